// pytorch_model.bin, read without running it. Since PyTorch 1.6, torch.save writes a zip (stored,
// not compressed): <root>/data.pkl, a pickle of the state dict whose tensors name their storages by
// persistent id, and <root>/data/<key>, each storage's raw little-endian bytes. The pickle goes
// through the restricted reader (pickle.ts: only the globals a state dict needs, nothing called);
// each storage is checked against the bytes it claims before a tensor is made from it, and every
// view (offset, shape, strides) against its storage. F32, F16 and BF16 (and F64, I64, I32: BERT's
// position_ids buffer) become float32 as readSafetensors makes them; 8- and 16-bit integer and
// boolean buffers (old attention masks) are left out and named, as the encoders never use them.
import { unzipSync } from 'fflate';
import { decode, type SafetensorsDtype, type SafetensorsTensor } from './safetensors.ts';
import { PickleDict, PickleStorage, PickleTensor, STORAGE_TYPES, unpickle, type PickleValue } from './pickle.ts';

/** The dtype of each storage type, and its element size (torch's). */
const STORAGE: Record<string, { dtype: SafetensorsDtype | 'skip'; bytes: number }> = {
  'torch.FloatStorage': { dtype: 'F32', bytes: 4 },
  'torch.HalfStorage': { dtype: 'F16', bytes: 2 },
  'torch.BFloat16Storage': { dtype: 'BF16', bytes: 2 },
  'torch.DoubleStorage': { dtype: 'F64', bytes: 8 },
  'torch.LongStorage': { dtype: 'I64', bytes: 8 },
  'torch.IntStorage': { dtype: 'I32', bytes: 4 },
  'torch.ShortStorage': { dtype: 'skip', bytes: 2 },
  'torch.CharStorage': { dtype: 'skip', bytes: 1 },
  'torch.ByteStorage': { dtype: 'skip', bytes: 1 },
  'torch.BoolStorage': { dtype: 'skip', bytes: 1 },
};

/** The largest data.pkl read: a state dict's pickle is names and small tuples (BERT-large's is ~60 kB). */
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

export interface PytorchBin {
  tensors: Map<string, SafetensorsTensor>;
  /** Small-integer and boolean buffers left out (names). */
  skipped: string[];
}

export function readPytorchBin(bytes: Uint8Array, fileName = 'pytorch_model.bin'): PytorchBin {
  const files = unzipEntries(bytes, fileName);
  const pklName = [...files.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName) throw new Error(`${fileName} is a zip without a data.pkl: not a file torch.save wrote`);
  const root = pklName.slice(0, -'data.pkl'.length);
  const byteorder = files.get(`${root}byteorder`);
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new Error(`${fileName} was saved big-endian; RM Lab reads little-endian checkpoints only`);
  }
  const storages = new Map<string, PickleStorage>();
  const state = unpickle(
    files.get(pklName)!,
    (pid) => {
      const storage = storageOf(pid, fileName);
      const known = storages.get(storage.key);
      if (known && known.storageType !== storage.storageType) {
        throw new Error(`${fileName}: storage ${storage.key} is named with two types`);
      }
      storages.set(storage.key, storage);
      return storage;
    },
    `${fileName}'s data.pkl`,
  );
  return tensorsOf(state, (key) => files.get(`${root}data/${key}`), fileName);
}

/** The zip's entries, each size checked before it is inflated (torch stores, so sizes are the file's own). */
function unzipEntries(bytes: Uint8Array, fileName: string): Map<string, Uint8Array> {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    const legacy = bytes[0] === 0x80 ? ' (it is the format of torch.save before PyTorch 1.6)' : '';
    throw new Error(
      `${fileName} is not a zip${legacy}: RM Lab reads the checkpoints torch.save has written since PyTorch 1.6; ` +
        're-save it with torch.save(torch.load(path), path), or convert it to model.safetensors',
    );
  }
  let unpacked: Record<string, Uint8Array>;
  try {
    unpacked = unzipSync(bytes, {
      filter: (file) => {
        if (file.originalSize > bytes.byteLength && file.compression === 0) {
          throw new Error(`entry ${file.name} claims ${file.originalSize} bytes, more than the whole file`);
        }
        if (file.name.endsWith('data.pkl') && file.originalSize > MAX_PICKLE_BYTES) {
          throw new Error(`its data.pkl claims ${file.originalSize} bytes, far more than a state dict's`);
        }
        if (file.compression !== 0 && file.originalSize > 4 * bytes.byteLength) {
          throw new Error(`entry ${file.name} would inflate to ${file.originalSize} bytes`);
        }
        return true;
      },
    });
  } catch (error) {
    throw new Error(`${fileName} cannot be read as a zip: ${(error as Error).message}`, { cause: error });
  }
  return new Map(Object.entries(unpacked));
}

/** A persistent id ('storage', storage type, key, location, numel) -> the storage it names. */
function storageOf(pid: PickleValue, fileName: string): PickleStorage {
  const [kind, type, key, , numel] = Array.isArray(pid) ? pid : [];
  const typeName = type && typeof type === 'object' && 'name' in type ? String(type.name) : undefined;
  if (
    kind !== 'storage' ||
    typeName === undefined ||
    !STORAGE_TYPES.includes(typeName) ||
    typeof key !== 'string' ||
    !/^\d+$/.test(key) ||
    typeof numel !== 'number' ||
    !Number.isSafeInteger(numel) ||
    numel < 0
  ) {
    throw new Error(`${fileName}: a persistent id that is not a storage of a known type (${JSON.stringify(kind)})`);
  }
  return new PickleStorage(typeName, key, numel);
}

/** The state dict's tensors, each storage's bytes checked and decoded once. */
function tensorsOf(
  state: PickleValue,
  storageBytes: (key: string) => Uint8Array | undefined,
  fileName: string,
): PytorchBin {
  if (!(state instanceof PickleDict)) throw new Error(`${fileName} does not hold a state dict (a dict of tensors)`);
  const decoded = new Map<string, Float32Array>();
  const tensors = new Map<string, SafetensorsTensor>();
  const skipped: string[] = [];
  for (const [name, value] of state.entries) {
    if (typeof name !== 'string') throw new Error(`${fileName}: a state dict key that is not a string`);
    if (!(value instanceof PickleTensor)) {
      throw new Error(`${fileName}: ${name} is not a tensor; a state dict holds tensors only`);
    }
    const { dtype, bytes } = STORAGE[value.storage.storageType]!;
    checkView(name, value, fileName);
    if (dtype === 'skip') {
      skipped.push(name);
      continue;
    }
    const { key, numel } = value.storage;
    let data = decoded.get(key);
    if (!data) {
      const raw = storageBytes(key);
      if (!raw) throw new Error(`${fileName}: ${name}'s storage data/${key} is missing`);
      if (raw.byteLength < numel * bytes) {
        throw new Error(
          `${fileName}: storage data/${key} holds ${raw.byteLength} bytes, its ${numel} elements need ${numel * bytes}`,
        );
      }
      data = decode(dtype, raw.subarray(0, numel * bytes), numel);
      decoded.set(key, data);
    }
    tensors.set(name, { dtype, shape: value.shape, data: gather(data, value) });
  }
  return { tensors, skipped };
}

/** Refuses a view that reaches outside its storage, before anything is allocated for it. */
function checkView(name: string, t: PickleTensor, fileName: string): void {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count === 0) return;
  const last = t.offset + t.shape.reduce((sum, n, i) => sum + (n - 1) * t.stride[i]!, 0);
  if (!Number.isSafeInteger(last) || last >= t.storage.numel) {
    throw new Error(
      `${fileName}: tensor ${name} [${t.shape}] reaches element ${last} of a storage of ${t.storage.numel}; refused before reading it`,
    );
  }
}

/** The view's elements in row-major order (a copy unless it is the whole storage, contiguous). */
function gather(data: Float32Array, t: PickleTensor): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  let contiguous = true;
  for (let i = t.shape.length - 1, expected = 1; i >= 0; expected *= t.shape[i]!, i--) {
    if (t.shape[i]! > 1 && t.stride[i] !== expected) contiguous = false;
  }
  if (contiguous) {
    return t.offset === 0 && count === data.length ? data : data.slice(t.offset, t.offset + count);
  }
  const out = new Float32Array(count);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = t.offset;
    for (let i = 0; i < index.length; i++) at += index[i]! * t.stride[i]!;
    out[n] = data[at]!;
    for (let i = index.length - 1; i >= 0; i--) {
      if (++index[i]! < t.shape[i]!) break;
      index[i] = 0;
    }
  }
  return out;
}
