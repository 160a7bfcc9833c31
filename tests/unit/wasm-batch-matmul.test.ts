// RM Lab's WebAssembly BatchMatMul (src/core/model/ops/wasm/) against tfjs's own wasm kernel: every
// transpose combination, odd sizes (1, 3, 17, 129: the kernel's 4 x 8 tiles and 256-deep blocks all
// end part-way), broadcast batches, gradients through attention, and the fallback when the module
// does not load. The unit project's setup installs the kernel (tests/wasm-kernels-setup.ts), as the
// CLI does; these tests take it out and put it back to compare.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installWasmKernels } from '../../src/cli/wasm-kernels.ts';
import { attentionBias, maskedSoftmax } from '../../src/core/model/ops/attention.ts';
import { wasmBatchMatMulActive, wasmBatchMatMulMode } from '../../src/core/model/ops/wasm/batch-matmul.ts';
import { installWasmSimdKernels, uninstallWasmSimdKernels } from '../../src/core/model/ops/wasm/kernels.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';

function random(shape: number[], seed: number): tf.Tensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => next() * 2 - 1),
    shape,
  );
}

/** Each f's outputs with tfjs's own kernel in place of RM Lab's (put back afterwards). */
async function withPlainKernel<T>(f: () => T): Promise<T> {
  uninstallWasmSimdKernels();
  expect(wasmBatchMatMulActive()).toBe(false);
  try {
    return f();
  } finally {
    expect(await installWasmKernels()).toBe(true);
  }
}

/** Largest |x - y| over the largest |y| (at least 1e-3), and whether the shapes agree. */
function worst(x: tf.Tensor, y: tf.Tensor): number {
  expect(x.shape).toEqual(y.shape);
  const [a, b] = [x.dataSync(), y.dataSync()];
  let err = 0;
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

const SIZES = [1, 3, 17, 129];

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await installWasmKernels()).toBe(true);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe("RM Lab's wasm BatchMatMul", () => {
  it('runs every product on the wasm backend in Node (one thread; it bound to its memory and passed its self-check)', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmBatchMatMulMode()).toBe('all');
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('matches tfjs for transposeA %s, transposeB %s at M, N, K in 1, 3, 17, 129', async (ta, tb) => {
    const cases: [number[], number[]][] = [];
    for (const m of SIZES) {
      for (const n of SIZES) {
        for (const k of SIZES) {
          // batched [2, 3] for all but the largest, which run as one product: the module's loops are per product
          const batch = m * n * k > 17 * 17 * 129 ? [] : [2, 3];
          cases.push([
            [...batch, ...(ta ? [k, m] : [m, k])],
            [...batch, ...(tb ? [n, k] : [k, n])],
          ]);
        }
      }
    }
    const products = (seed: number) =>
      cases.map(([sa, sb], i) => tf.matMul(random(sa, seed + i), random(sb, seed + 1000 + i), ta, tb));
    expect(wasmBatchMatMulActive()).toBe(true);
    const ours = products(1);
    const theirs = await withPlainKernel(() => products(1));
    for (const [i, o] of ours.entries()) {
      expect(worst(o, theirs[i]!), `case ${cases[i]![0]} @ ${cases[i]![1]}`).toBeLessThan(1e-6);
    }
    tf.dispose([...ours, ...theirs]);
  });

  it('broadcasts a batch of one over the other operand, and runs 2-D products', async () => {
    const pairs: [number[], number[], boolean, boolean][] = [
      [[1, 5, 17], [4, 17, 3], false, false],
      [[3, 2, 9, 17], [5, 17], false, true],
      [[17, 9], [129, 9], false, true],
      [[9, 17], [9, 129], true, false],
      [[33, 17], [17, 129], false, false],
    ];
    const run = () => pairs.map(([sa, sb, ta, tb], i) => tf.matMul(random(sa, i), random(sb, 50 + i), ta, tb));
    expect(wasmBatchMatMulActive()).toBe(true);
    const ours = run();
    const theirs = await withPlainKernel(run);
    for (const [i, o] of ours.entries()) expect(worst(o, theirs[i]!)).toBeLessThan(1e-6);
    tf.dispose([...ours, ...theirs]);
  });

  it('gives the same attention output and gradients for q, k and v (masked, 2 sequences x 2 heads)', async () => {
    const [B, H, T, hs] = [2, 2, 17, 8];
    const mask = tf.tensor2d([...Array(T).fill(1), ...Array(11).fill(1), ...Array(T - 11).fill(0)], [B, T]);
    const bias = attentionBias(mask);
    const attention = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
      tf.matMul(maskedSoftmax(tf.matMul(q, k, false, true) as tf.Tensor4D, bias, 1 / Math.sqrt(hs)), v);
    const run = () =>
      tf.tidy(() => {
        const [q, k, v] = [1, 2, 3].map((s) => random([B, H, T, hs], s));
        const dy = random([B, H, T, hs], 9);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attention(a, b, c), dy));
        return [attention(q!, k!, v!), ...tf.grads(f)([q!, k!, v!])];
      });
    expect(wasmBatchMatMulActive()).toBe(true);
    const ours = run();
    const theirs = await withPlainKernel(run);
    for (const [i, o] of ours.entries()) expect(worst(o, theirs[i]!)).toBeLessThan(1e-5);
    tf.dispose([...ours, ...theirs, mask, bias]);
  });

  it('falls back to tfjs with one console warning when its module does not compile', async () => {
    uninstallWasmSimdKernels();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const broken = async () => new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]); // a truncated module
      expect(await installWasmSimdKernels(broken)).toBe(false);
      expect(await installWasmSimdKernels(broken)).toBe(false);
      expect(wasmBatchMatMulActive()).toBe(false);
      const y = tf.matMul(tf.ones([2, 3, 4]), tf.ones([2, 4, 5]));
      expect(Array.from(y.dataSync())).toEqual(Array(30).fill(4));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/WebAssembly kernels are off/);
    } finally {
      warn.mockRestore();
      expect(await installWasmKernels()).toBe(true);
    }
  });
});
