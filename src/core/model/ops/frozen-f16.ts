// Frozen weights stored on WebGPU in f16 (the "Frozen weights" option, TRAIN_FIELDS.frozenWeights).
//
// A frozen weight never changes, gets no gradient and no optimizer state, so nothing needs it in
// float32 on the GPU: its matrix is kept there as f16, two halves to a 32-bit word (f16.ts), half
// the bytes, and the ops that read it (linear.ts's product, embedding.ts's lookup and position rows)
// unpack it in their WGSL and compute in float32 (webgpu/f16-matmul.ts). Trainable weights, the
// gradients and AdamW's moments stay float32.
//
// The weight's variable stays the model's weight for everything else (checkpoints, export, scoring
// on another backend), holding the f16-rounded values in CPU memory: tfjs-backend-webgpu uploads a
// tensor written from the CPU only when a GPU program first reads it, and the ops above read the
// packed copy instead, so the float32 copy of a frozen weight does not reach the GPU. The model is
// then one function of its weights on every backend: the one with the frozen weights rounded to f16
// (the PyTorch reference rounds them with .half()).
//
// Before the first use on a device the kernels are checked against their plain compositions, as the
// other kernels are (webgpu/program.ts); where they fail or disagree the weights stay float32, with
// one console warning.
import * as tf from '@tensorflow/tfjs';
import { packHalves } from './f16.ts';
import { f16MatMulGradXKernel, f16MatMulKernel, f16RowsKernel } from './webgpu/f16-matmul.ts';
import { runProbes, type KernelProbe } from './webgpu/program.ts';

/** A frozen [rows, cols] weight's f16 copy on the GPU: words [rows, ceil(cols / 2)], int32 holding two halves each. */
export interface PackedF16Weight {
  words: tf.Tensor2D;
  rows: number;
  cols: number;
}

const packedCopies = new WeakMap<tf.Tensor, PackedF16Weight>();
const verdicts = new WeakMap<object, boolean>();
let warned = false;

/** The f16 copy the ops read instead of `w`: there is one and the f16 kernels passed their check on this backend. */
export function packedOf(w: tf.Tensor): PackedF16Weight | undefined {
  if (tf.getBackend() !== 'webgpu' || verdicts.get(tf.backend()) !== true) return undefined;
  return packedCopies.get(w);
}

/** What storeFrozenInF16 did: the weights now read as f16, and those kept float32 with the reason. */
export interface F16Storage {
  stored: string[];
  keptF32: { name: string; reason: string }[];
}

/**
 * Stores the frozen matrices among `frozen` (names in `params`) as f16 on the GPU. Only 2-D weights
 * (products' weights, embedding tables) are stored so; LayerNorm vectors and biases stay float32, and
 * a product's weight only when its bias is frozen too (the f16 product gives no bias gradient).
 * Returns undefined where the kernels cannot run (not WebGPU, or their check failed).
 */
export async function storeFrozenInF16(
  params: ReadonlyMap<string, tf.Variable>,
  frozen: readonly string[],
): Promise<F16Storage | undefined> {
  if (!(await checkF16Kernels())) return undefined;
  const frozenSet = new Set(frozen);
  const out: F16Storage = { stored: [], keptF32: [] };
  for (const name of frozen) {
    const v = params.get(name);
    if (!v || v.rank !== 2 || packedCopies.has(v)) continue;
    const bias = name.endsWith('.weight') ? `${name.slice(0, -'.weight'.length)}.bias` : undefined;
    if (bias && params.has(bias) && !frozenSet.has(bias)) {
      out.keptF32.push({ name, reason: 'its bias trains' });
      continue;
    }
    // Read before the weight is first used: a weight made from CPU data is read without a GPU round trip.
    if (storeInF16(v, await v.data())) out.stored.push(name);
    else out.keptF32.push({ name, reason: "a value is beyond f16's range (65504)" });
  }
  return out;
}

/**
 * Puts `values` into weight `v` rounded to f16, with its packed copy: false, and `v` untouched, where
 * a value is beyond f16's range.
 */
function storeInF16(v: tf.Variable, values: ArrayLike<number>): boolean {
  const [rows, cols] = v.shape as [number, number];
  const halves = packHalves(values, rows, cols);
  if (!halves.finite) return false;
  const rounded = tf.tensor2d(halves.rounded, [rows, cols]);
  v.assign(rounded); // frees the float32 GPU buffer, if the weight had one
  rounded.dispose();
  disposePacked(v);
  const words = tf.tensor2d(halves.words, [rows, Math.ceil(cols / 2)], 'int32');
  packedCopies.set(v, { words: tf.keep(words), rows, cols });
  return true;
}

/**
 * New values for a weight: one stored as f16 stays so (the values rounded, its packed copy remade;
 * float32 again if a value is beyond f16's range), any other is assigned as it is.
 */
export function assignWeight(v: tf.Variable, values: Float32Array): void {
  if (packedCopies.has(v) && storeInF16(v, values)) return;
  disposePacked(v);
  tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
}

/** Frees `w`'s f16 copy, if it has one (the model's dispose). */
export function disposePacked(w: tf.Tensor): void {
  packedCopies.get(w)?.words.dispose();
  packedCopies.delete(w);
}

/** x [N, K] @ W [K, C] (+ b) with W read as f16; the gradient is x's alone (W and b are frozen). */
export function f16Linear(x: tf.Tensor2D, w: PackedF16Weight, b?: tf.Tensor1D): tf.Tensor2D {
  const product = tf.customGrad((xIn) => ({
    value: f16MatMulKernel(xIn as tf.Tensor2D, w.words, w.cols, b), // [N, C]
    gradFunc: (dy: tf.Tensor) => f16MatMulGradXKernel(dy as tf.Tensor2D, w.words), // [N, K]
  }));
  return product(x) as tf.Tensor2D;
}

/** Rows ids [B, T] of an f16 table [V, C] -> [B, T, C] float32; no gradient (the table is frozen). */
export function f16Lookup(table: PackedF16Weight, ids: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = ids.shape;
  const flat = tf.reshape(ids, [B * T]) as tf.Tensor1D; // [B*T]
  return tf.reshape(f16RowsKernel(table.words, table.cols, { ids: flat }), [B, T, table.cols]); // [B, T, C]
}

/** Rows start .. start + count - 1 of an f16 table -> [count, C] float32 (position embeddings). */
export function f16Rows(table: PackedF16Weight, start: number, count: number): tf.Tensor2D {
  return f16RowsKernel(table.words, table.cols, { start, count });
}

/**
 * Whether the f16 kernels may run on the current backend: WebGPU, and on their first use there each
 * compiled and agreed with its plain composition on a small input (the weight rounded to f16, in
 * float32). Checked once per backend; a failure warns once and leaves frozen weights float32.
 */
export async function checkF16Kernels(): Promise<boolean> {
  if (tf.getBackend() !== 'webgpu') return false;
  const backend = tf.backend();
  if (!verdicts.has(backend)) {
    const problems = await runProbes(F16_PROBES);
    verdicts.set(backend, problems.length === 0);
    if (problems.length > 0 && !warned) {
      warned = true;
      console.warn(
        `Frozen weights stay float32 on this device: RM Lab's f16 weight kernels failed: ${problems.join('; ')}`,
      );
    }
  }
  return verdicts.get(backend) === true;
}

/** For tests: forget the verdicts, so the next check runs the probes again. */
export function resetF16Checks(): void {
  verdicts.delete(tf.backend());
  warned = false;
}

/** A [rows, cols] matrix of deterministic values, packed, and its f16-rounded float32 tensor. */
function probeMatrix(rows: number, cols: number, phase: number): { words: tf.Tensor2D; w: tf.Tensor2D } {
  const values = Array.from({ length: rows * cols }, (_, i) => Math.sin(phase + 0.37 * i) * (1 + (i % 7)));
  const { words, rounded } = packHalves(values, rows, cols);
  return {
    words: tf.tensor2d(words, [rows, Math.ceil(cols / 2)], 'int32'),
    w: tf.tensor2d(rounded, [rows, cols]),
  };
}

/** The product (with bias, odd width), its gradient wrt x, and a lookup, each against tfjs on the rounded weight. */
const F16_PROBES: KernelProbe[] = [
  () =>
    tf.tidy(() => {
      const { words, w } = probeMatrix(6, 5, 0.1);
      const x = tf.reshape(tf.sin(tf.linspace(0, 20, 70 * 6)), [70, 6]) as tf.Tensor2D;
      const b = tf.linspace(-1, 1, 5) as tf.Tensor1D;
      const dy = tf.reshape(tf.cos(tf.linspace(0, 13, 70 * 5)), [70, 5]) as tf.Tensor2D;
      const kernel = tf.concat([f16MatMulKernel(x, words, 5, b), f16MatMulGradXKernel(dy, words)], 1);
      const plain = tf.concat([tf.add(tf.matMul(x, w), b), tf.matMul(dy, w, false, true)], 1);
      return { name: 'f16 product', kernel, plain, tolerance: 1e-4 };
    }),
  () =>
    tf.tidy(() => {
      const { words, w } = probeMatrix(9, 7, 0.7);
      const ids = tf.tensor1d([3, 0, 8, 3, 5], 'int32');
      const kernel = tf.concat([f16RowsKernel(words, 7, { ids }), f16RowsKernel(words, 7, { start: 2, count: 4 })]);
      const plain = tf.concat([tf.gather(w, ids), tf.slice(w, [2, 0], [4, 7])]);
      return { name: 'f16 rows', kernel, plain, tolerance: 0 };
    }),
];
