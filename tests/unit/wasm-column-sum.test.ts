// RM Lab's WebAssembly Sum over leading axes (src/core/model/ops/wasm/column-sum.c) against tfjs's
// own wasm Sum (within float32 rounding of the column's sum of magnitudes: the two add in different
// orders) and against float64, with keepDims, axes given in any
// order or negative, column counts that end part-way through its 16- and 4-wide blocks; the cases
// it leaves to tfjs; and a bias's and a LayerNorm's gradients, which it computes in training.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWasmKernels } from '../../src/cli/wasm-kernels.ts';
import { wasmSimdKernelsActive } from '../../src/core/model/ops/wasm/kernels.ts';
import { layerNorm } from '../../src/core/model/ops/layer-norm.ts';
import { maxAbsDiff, random, withPlainKernels } from '../wasm-kernels-compare.ts';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await installWasmKernels()).toBe(true);
  expect(wasmSimdKernelsActive()).toBe(true); // bound, and every self-check passed (else tfjs's kernels run)
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Sums of x viewed as [rows, cols], in float64. */
function float64ColumnSums(x: ArrayLike<number>, cols: number): number[] {
  const out = new Array<number>(cols).fill(0);
  for (let i = 0; i < x.length; i++) out[i % cols]! += x[i]!;
  return out;
}

const same = (x: tf.Tensor, y: tf.Tensor) => {
  expect(x.shape).toEqual(y.shape);
  expect(x.dtype).toBe(y.dtype);
  expect(Array.from(x.dataSync())).toEqual(Array.from(y.dataSync()));
};

describe("RM Lab's wasm column sum (tfjs Sum over leading axes)", () => {
  const cases: [number[], number | number[], boolean][] = [
    [[4096, 128], 0, false],
    [[37, 1], 0, false],
    [[5, 3], 0, true],
    [[9, 21], [0], false],
    [[2, 7, 33], [1, 0], false],
    [[2, 7, 33], [-3, -2], true],
    [[3, 4, 5, 6], [0, 1, 2], false],
    [[300, 20], 0, false],
  ];

  it('matches tfjs and float64: [4096, 128], 1, 3, 21, 33 and 20 columns, axes in any order, keepDims', async () => {
    const run = () => cases.map(([shape, axis, keep], i) => tf.sum(random(shape, i, 3), axis, keep));
    const ours = run();
    const theirs = await withPlainKernels(run);
    ours.forEach((o, i) => {
      const [shape, axis, keep] = cases[i]!;
      const x = random(shape, i, 3);
      const magnitude = tf.sum(tf.abs(x), axis, keep).dataSync(); // bounds the rounding (Higham 4.2)
      const exact = float64ColumnSums(x.dataSync(), o.size);
      expect(o.shape).toEqual(theirs[i]!.shape);
      const [a, b] = [o.dataSync(), theirs[i]!.dataSync()];
      for (let j = 0; j < a.length; j++) {
        expect(Math.abs(a[j]! - b[j]!), `case ${i}, column ${j}`).toBeLessThanOrEqual(1e-6 * magnitude[j]!);
        expect(Math.abs(a[j]! - exact[j]!), `case ${i}, column ${j}`).toBeLessThanOrEqual(1e-6 * magnitude[j]!);
      }
      x.dispose();
    });
    tf.dispose([...ours, ...theirs]);
  });

  it("leaves inner axes, full reductions and int32 to tfjs's kernel (same results)", async () => {
    const run = () => [
      tf.sum(random([6, 10], 1), 1),
      tf.sum(random([6, 10], 2)),
      tf.sum(random([2, 3, 4], 3), [0, 2]),
      tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0),
    ];
    const ours = run();
    const theirs = await withPlainKernels(run);
    ours.forEach((o, i) => same(o, theirs[i]!));
    expect(Array.from(ours[3]!.dataSync())).toEqual([9, 12]);
    tf.dispose([...ours, ...theirs]);
  });

  it("gives the same gradients as tfjs's kernel for a bias and a LayerNorm's gamma and beta", async () => {
    const run = () =>
      tf.tidy(() => {
        const x = random([4, 17, 24], 1);
        const [w, b, gamma, beta] = [random([24], 2), random([24], 3), random([24], 4), random([24], 5)];
        const dy = random([4, 17, 24], 6);
        const f = (bias: tf.Tensor, g: tf.Tensor, be: tf.Tensor) =>
          tf.sum(tf.mul(layerNorm(tf.add(tf.mul(x, w), bias), g as tf.Tensor1D, be as tf.Tensor1D, 1e-5), dy));
        return tf.grads(f)([b, gamma, beta]);
      });
    const ours = run();
    const theirs = await withPlainKernels(run);
    ours.forEach((o, i) => expect(maxAbsDiff(o, theirs[i]!)).toBeLessThan(1e-5));
    tf.dispose([...ours, ...theirs]);
  });
});
