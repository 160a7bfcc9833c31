// RM Lab's WebAssembly row gather (src/core/model/ops/wasm/gather-rows.c) against tfjs's own wasm
// GatherV2: embedding lookups (float32 and int32 tables, index tensors of any rank, repeated rows),
// the same error as tfjs for an index out of range, the gathers it leaves to tfjs, and the
// embedding's gradient (embedding.ts's scatter).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWasmKernels } from '../../src/cli/wasm-kernels.ts';
import { wasmSimdKernelsActive } from '../../src/core/model/ops/wasm/kernels.ts';
import { embeddingLookup } from '../../src/core/model/embedding.ts';
import { random, withPlainKernels } from '../wasm-kernels-compare.ts';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await installWasmKernels()).toBe(true);
  expect(wasmSimdKernelsActive()).toBe(true); // bound, and every self-check passed (else tfjs's kernels run)
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const same = (x: tf.Tensor, y: tf.Tensor) => {
  expect(x.shape).toEqual(y.shape);
  expect(x.dtype).toBe(y.dtype);
  expect(Array.from(x.dataSync())).toEqual(Array.from(y.dataSync()));
};

describe("RM Lab's wasm row gather (tfjs GatherV2 on axis 0)", () => {
  it('matches tfjs: an embedding table by a [2, 5] id tensor, a 3-D table, an int32 table, no ids', async () => {
    const ids = tf.tensor2d([0, 9, 3, 3, 9, 1, 0, 0, 8, 2], [2, 5], 'int32');
    const run = () => [
      tf.gather(random([10, 7], 1), ids),
      tf.gather(random([4, 3, 5], 2), tf.tensor1d([3, 0, 3], 'int32')),
      tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([2, 1], 'int32')),
      tf.gather(random([4, 3], 3), tf.tensor1d([], 'int32')),
    ];
    const ours = run();
    const theirs = await withPlainKernels(run);
    ours.forEach((o, i) => same(o, theirs[i]!));
    expect(Array.from(ours[2]!.dataSync())).toEqual([5, 6, 3, 4]);
    tf.dispose([...ours, ...theirs, ids]);
  });

  it("throws tfjs's error for an index out of range, and writes nothing", () => {
    const table = random([4, 3], 1);
    for (const bad of [4, -1]) {
      expect(() => tf.gather(table, tf.tensor1d([0, bad], 'int32'))).toThrow(
        `GatherV2: the index value ${bad} is not in [0, 3]`,
      );
    }
    table.dispose();
  });

  it("leaves other axes and batch dimensions to tfjs's kernel (same results)", async () => {
    const run = () => [
      tf.gather(random([3, 6], 1), tf.tensor1d([5, 0], 'int32'), 1),
      tf.gather(random([2, 3, 4], 2), tf.tensor2d([2, 0, 1, 1], [2, 2], 'int32'), 1, 1),
    ];
    const ours = run();
    const theirs = await withPlainKernels(run);
    ours.forEach((o, i) => same(o, theirs[i]!));
    tf.dispose([...ours, ...theirs]);
  });

  it("gives the same embedding gradient as tfjs's kernel", async () => {
    const run = () =>
      tf.tidy(() => {
        const ids = tf.tensor2d([1, 4, 4, 0, 2, 1], [2, 3], 'int32');
        const dy = random([2, 3, 8], 5);
        const f = (table: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(table as tf.Tensor2D, ids), dy));
        return tf.grad(f)(random([6, 8], 4));
      });
    const ours = run();
    const theirs = await withPlainKernels(run);
    same(ours, theirs);
    tf.dispose([ours, theirs]);
  });
});
