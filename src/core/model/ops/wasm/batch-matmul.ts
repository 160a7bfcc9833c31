// tfjs's BatchMatMul on the 'wasm' backend, replaced by RM Lab's SIMD kernel (batch-matmul.c; the
// module, its loading and its fallback: module.ts; installed by kernels.ts).
//
// tfjs-backend-wasm 4.22 runs batched or transposed products in a scalar loop (~1.3 GFLOP/s): that is
// attention's q kᵀ and p v and every matrix product of a gradient (tfjs differentiates matMul with
// transposed products). It sends 2-D untransposed products to XNNPACK, but builds an XNNPACK operator
// (packing the right-hand matrix) per call and per new matrix, and training changes its weights every
// step: measured side by side on the linear layers' shapes on one thread, this kernel was faster there
// too (bench/wasm-matmul.ts). So it takes every float32 product whose batches are equal or 1, except
// where tfjs runs a thread pool (its threaded build, in a cross-origin isolated page on a machine
// with 4+ logical cores): there XNNPACK spreads 2-D products over the threads and keeps them, and this
// single-threaded kernel takes the batched and transposed ones.
import * as tf from '@tensorflow/tfjs';
import { bind, plainKernel, type Bound, type WasmBackend } from './module.ts';

export type WasmMatMulMode = 'all' | 'batched-or-transposed' | 'none';

/**
 * Which of this (wasm) backend's matrix products RM Lab's kernel runs: 'all', 'batched-or-transposed'
 * (tfjs runs threads, which XNNPACK uses for 2-D products), or 'none' (not installed, or it failed).
 */
export function wasmBatchMatMulMode(backend: tf.KernelBackend = tf.backend()): WasmMatMulMode {
  const bound = bind(backend as unknown as WasmBackend);
  return !bound ? 'none' : bound.threaded ? 'batched-or-transposed' : 'all';
}

/** Whether RM Lab's kernel runs (some of) this backend's matrix products. */
export function wasmBatchMatMulActive(backend: tf.KernelBackend = tf.backend()): boolean {
  return wasmBatchMatMulMode(backend) !== 'none';
}

interface Args {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { transposeA: boolean; transposeB: boolean };
}

export function batchMatMul(args: Args): tf.TensorInfo {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  const shape = productShape(a.shape, b.shape, transposeA, transposeB);
  const kernel = a.dtype === 'float32' && b.dtype === 'float32' && shape ? bind(args.backend) : null;
  const xnnpack = kernel?.threaded && shape!.batch === 1 && !transposeA && !transposeB;
  if (!kernel || !shape || xnnpack) return plainKernel<Args>(tf.BatchMatMul)(args);
  return run(kernel, args.backend, a, b, shape, transposeA, transposeB);
}

interface ProductShape {
  /** Output shape: the broadcast batch dimensions, then [M, N]. */
  out: number[];
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
}

/** The product's dimensions, or null where this kernel does not apply (batches that are neither equal nor 1). */
function productShape(a: number[], b: number[], transA: boolean, transB: boolean): ProductShape | null {
  const [ra, rb] = [a.length, b.length];
  const m = transA ? a[ra - 1]! : a[ra - 2]!;
  const k = transA ? a[ra - 2]! : a[ra - 1]!;
  const kb = transB ? b[rb - 1]! : b[rb - 2]!;
  const n = transB ? b[rb - 2]! : b[rb - 1]!;
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a} and ${b} must match.`,
    );
  }
  const outerA = a.slice(0, -2);
  const outerB = b.slice(0, -2);
  const batchA = outerA.reduce((x, y) => x * y, 1);
  const batchB = outerB.reduce((x, y) => x * y, 1);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = outer.reduce((x, y) => x * y, 1);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  return { out: [...outer, m, n], batch, batchA, batchB, m, n, k };
}

function run(
  kernel: Bound,
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  s: ProductShape,
  transA: boolean,
  transB: boolean,
): tf.TensorInfo {
  const out = backend.makeOutput(s.out, 'float32');
  if (s.batch * s.m * s.n === 0) return out;
  kernel.exports.batch_matmul(
    backend.getMemoryOffset(a.dataId),
    backend.getMemoryOffset(b.dataId),
    backend.getMemoryOffset(out.dataId),
    kernel.scratch,
    s.batch,
    s.batchA,
    s.batchB,
    s.m,
    s.n,
    s.k,
    transA ? 1 : 0,
    transB ? 1 : 0,
  );
  return out;
}

/**
 * One small product per transpose combination, against tfjs's kernel on the same backend: a kernel
 * that computes wrong numbers here (a changed tfjs memory layout, say) must not train a model.
 */
export function batchMatMulSelfCheck(kernel: Bound, backend: WasmBackend): void {
  const [batch, m, n, k] = [2, 5, 11, 7];
  const values = (size: number, seed: number) => Float32Array.from({ length: size }, (_, i) => Math.sin(seed + i));
  const a = backend.makeOutput([batch, m * k], 'float32', undefined, values(batch * m * k, 1));
  const b = backend.makeOutput([batch, k * n], 'float32', undefined, values(batch * k * n, 2));
  try {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const ai = { ...a, shape: transA ? [batch, k, m] : [batch, m, k] };
        const bi = { ...b, shape: transB ? [batch, n, k] : [batch, k, n] };
        const shape = productShape(ai.shape, bi.shape, transA, transB)!;
        const ours = run(kernel, backend, ai, bi, shape, transA, transB);
        const attrs = { transposeA: transA, transposeB: transB };
        const theirs = plainKernel<Args>(tf.BatchMatMul)({
          inputs: { a: ai, b: bi },
          backend,
          attrs,
        });
        const [x, y] = [backend.readSync(ours.dataId) as Float32Array, backend.readSync(theirs.dataId)];
        backend.disposeData(ours.dataId);
        backend.disposeData(theirs.dataId);
        const worst = x.reduce((w, v, i) => Math.max(w, Math.abs(v - y[i]!)), 0);
        if (!(worst < 1e-5)) throw new Error(`self-check (transposeA ${transA}, transposeB ${transB}) off by ${worst}`);
      }
    }
  } finally {
    backend.disposeData(a.dataId);
    backend.disposeData(b.dataId);
  }
}
