// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then the raw bytes.
// Written by hand: the format is forty lines of spec, and the npm readers either pull in Node's fs
// or do not decode BF16/F16, which pretrained checkpoints on the Hub are often stored in.
// Everything is decoded to float32, the only float type the tfjs backends train in.

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32';

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  /** The header's free-form string map (`__metadata__`), {} when absent. */
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  start: number;
  end: number;
}

const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const shown = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v)).slice(0, 80);

/**
 * Every tensor entry of a header checked (dtype, shape, byte range inside the body, no two ranges
 * sharing bytes) before any is decoded: a crafted header fails here, having cost nothing.
 */
function checkHeader(
  header: unknown,
  bodyLength: number,
  fileName: string,
): { entries: TensorEntry[]; metadata: Record<string, string> } {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    const got = header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header;
    throw new Error(`${fileName}: its header is not a JSON object (got ${got})`);
  }
  const entries: TensorEntry[] = [];
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new Error(`${fileName}: its __metadata__ must be an object mapping names to strings`);
      }
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') {
          throw new Error(
            `${fileName}: its __metadata__ must map names to strings; ${JSON.stringify(key)} is not a string`,
          );
        }
        metadata[key] = value;
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new Error(`${fileName}: tensor ${name}'s entry is not an object with dtype, shape and data_offsets`);
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) {
      const stored = typeof dtype === 'string' ? dtype.slice(0, 40) : shown(dtype);
      throw new Error(
        `${fileName}: tensor ${name} is stored as ${stored}; RM Lab reads F32, F16, BF16, F64, I64 and I32`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isWhole)) {
      throw new Error(`${fileName}: tensor ${name}'s shape must be a list of whole numbers, got ${shown(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isWhole) || offsets[0]! > offsets[1]!) {
      throw new Error(
        `${fileName}: tensor ${name}'s data_offsets must be two whole byte offsets [start, end], got ${shown(offsets)}`,
      );
    }
    const [start, end] = offsets as [number, number];
    // The product in floating point: a crafted shape overflows to a size no byte range matches.
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (end - start !== count * BYTES[dtype as SafetensorsDtype] || end > bodyLength) {
      throw new Error(
        `${fileName}: tensor ${name} (${dtype} [${shape}]) does not match its byte range ${start}-${end}`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], start, end });
  }
  const byStart = [...entries].filter((e) => e.end > e.start).sort((a, b) => a.start - b.start);
  for (let i = 1; i < byStart.length; i++) {
    const [a, b] = [byStart[i - 1]!, byStart[i]!];
    if (b.start < a.end) {
      throw new Error(
        `${fileName}: tensors ${a.name} and ${b.name} overlap (bytes ${a.start}-${a.end} and ${b.start}-${b.end})`,
      );
    }
  }
  return { entries, metadata };
}

/** Reads a whole .safetensors file. Errors name the file, the tensor and what is wrong with it. */
export function readSafetensors(bytes: Uint8Array, fileName = 'model.safetensors'): SafetensorsFile {
  if (bytes.byteLength < 8) throw new Error(`${fileName} is not a safetensors file (only ${bytes.byteLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8 || headerLength > 100_000_000) {
    throw new Error(`${fileName} is not a safetensors file (its header length ${headerLength} does not fit the file)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new Error(`${fileName} is not a safetensors file (its header is not JSON)`);
  }
  const body = bytes.subarray(8 + headerLength);
  const { entries, metadata } = checkHeader(header, body.byteLength, fileName);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const { name, dtype, shape, start, end } of entries) {
    tensors.set(name, { dtype, shape, data: decode(dtype, body.subarray(start, end), (end - start) / BYTES[dtype]) });
  }
  return { tensors, metadata };
}

/** Raw little-endian tensor bytes of a dtype -> float32 values (pytorch-bin.ts decodes its storages with it too). */
export function decode(dtype: SafetensorsDtype, raw: Uint8Array, count: number): Float32Array {
  // Copy first: the tensor's bytes need not be aligned to their element size inside the file.
  // new Uint8Array(view) copies; view.slice() would not for a Node Buffer (its slice is a view of
  // Node's shared pool), and the read would take in the whole pool.
  const aligned = new Uint8Array(raw).buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned);
    case 'F64':
      return Float32Array.from(new Float64Array(aligned));
    case 'I32':
      return Float32Array.from(new Int32Array(aligned));
    case 'I64':
      return Float32Array.from(new BigInt64Array(aligned), (v) => Number(v));
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const halves = new Uint16Array(aligned);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = halves[i]! << 16;
      return new Float32Array(bits.buffer);
    }
    case 'F16': {
      const halves = new Uint16Array(aligned);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]!);
      return out;
    }
  }
}

/** IEEE 754 binary16 -> number, subnormals, infinities and NaN included. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** number -> IEEE 754 binary16 bits (round to nearest even), for writing F16 test files. */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  let mantissa = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa = (mantissa | 0x800000) >> (1 - exponent);
    return sign | ((mantissa + 0xfff + ((mantissa >> 13) & 1)) >> 13);
  }
  const rounded = (exponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && rounded & 1) ? rounded + 1 : rounded);
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
  /** How to store it: F32 (default), F16 or BF16 (BF16 truncates; used only to write test files). */
  dtype?: 'F32' | 'F16' | 'BF16';
}

/** Writes a .safetensors file; tensors in the order given, 8-byte aligned as the format asks. */
export function writeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`tensor ${t.name}: shape [${t.shape}] needs ${count} values, got ${t.data.length}`);
    const dtype = t.dtype ?? 'F32';
    const raw = encode(dtype, t.data);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + raw.byteLength] };
    parts.push(raw);
    offset += raw.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).byteLength) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function encode(dtype: 'F32' | 'F16' | 'BF16', data: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.slice().buffer);
  const halves = new Uint16Array(data.length);
  if (dtype === 'F16') for (let i = 0; i < data.length; i++) halves[i] = floatToHalf(data[i]!);
  else {
    const bits = new Uint32Array(data.slice().buffer);
    for (let i = 0; i < data.length; i++) halves[i] = bits[i]! >>> 16;
  }
  return new Uint8Array(halves.buffer);
}

/**
 * A sharded checkpoint's `model.safetensors.index.json`: which shard file holds each tensor.
 * Returns the shard file names in a stable order.
 */
export function shardFiles(indexJson: unknown, fileName = 'model.safetensors.index.json'): string[] {
  const map = (indexJson as { weight_map?: Record<string, string> } | null)?.weight_map;
  if (!map || typeof map !== 'object') throw new Error(`${fileName} has no weight_map`);
  return [...new Set(Object.values(map))].sort();
}

/** Tensors of several shards as one map; a tensor in two shards is an error. */
export function mergeShards(files: SafetensorsFile[]): SafetensorsFile {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const f of files) {
    for (const [name, t] of f.tensors) {
      if (tensors.has(name)) throw new Error(`tensor ${name} appears in two shards`);
      tensors.set(name, t);
    }
  }
  return { tensors, metadata: files[0]?.metadata ?? {} };
}
