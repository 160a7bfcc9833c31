// For the tests of RM Lab's WebAssembly kernels (src/core/model/ops/wasm/): runs code with tfjs's own
// kernels and the plain compositions in their place, then puts RM Lab's back; and seeded inputs.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { installWasmKernels } from '../src/cli/wasm-kernels.ts';
import { wasmBatchMatMulActive } from '../src/core/model/ops/wasm/batch-matmul.ts';
import { uninstallWasmSimdKernels, wasmSimdKernelsActive } from '../src/core/model/ops/wasm/kernels.ts';
import { mulberry32 } from '../src/core/train/shuffle.ts';

/** f's outputs with tfjs's own kernels (and the plain compositions) in place of RM Lab's. */
export async function withPlainKernels<T>(f: () => T): Promise<T> {
  uninstallWasmSimdKernels();
  expect(wasmBatchMatMulActive()).toBe(false);
  try {
    return f();
  } finally {
    expect(await installWasmKernels()).toBe(true);
    expect(wasmSimdKernelsActive()).toBe(true); // bound again, every self-check passed
  }
}

/** A tensor of uniform values in [-scale, scale), from a seed. */
export function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale),
    shape,
  );
}

/** Largest |x - y| elementwise (the shapes must agree). */
export function maxAbsDiff(x: tf.Tensor, y: tf.Tensor): number {
  expect(x.shape).toEqual(y.shape);
  const [a, b] = [x.dataSync(), y.dataSync()];
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
  return err;
}
