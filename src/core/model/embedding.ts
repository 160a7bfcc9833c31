// Embedding lookup with a gradient every backend can run.
//
// tfjs differentiates gather through UnsortedSegmentSum, which the WASM backend does not
// implement ("Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'"). The gradient of a
// lookup is a scatter-add of the output gradients into the rows that were read; ScatterNd sums
// duplicate indices on the CPU, WASM and WebGPU backends alike, so it is used instead.
//
// A frozen table stored as f16 on WebGPU (ops/frozen-f16.ts) is read by its own kernel, without a gradient.
import * as tf from '@tensorflow/tfjs';
import { f16Lookup, f16Rows, packedOf } from './ops/frozen-f16.ts';

/** Rows start .. start + count - 1 of a table [V, D] -> [count, D] (position embeddings). */
export function embeddingRows(table: tf.Tensor2D, start: number, count: number): tf.Tensor2D {
  const half = packedOf(table);
  if (half) return f16Rows(half, start, count);
  return tf.slice(table, [start, 0], [count, table.shape[1]]); // [count, D]
}

/** table [V, D], ids [B, T] int32 -> [B, T, D] */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor2D): tf.Tensor3D {
  const half = packedOf(table);
  if (half) return f16Lookup(half, ids);
  const lookup = tf.customGrad((t, i, save) => {
    const tab = t as tf.Tensor2D;
    const idx = i as tf.Tensor2D;
    (save as tf.GradSaveFunc)([idx]);
    return {
      value: tf.gather(tab, idx), // [B, T, D]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [B, T] = saved[0]!.shape as [number, number];
        const [V, D] = tab.shape;
        const rows = tf.reshape(saved[0]!, [B * T, 1]); // [B*T, 1]
        const grads = tf.reshape(dy, [B * T, D]); // [B*T, D]
        return [tf.scatterND(rows, grads, [V, D]), tf.zerosLike(saved[0]!)];
      },
    };
  });
  return lookup(table, ids) as unknown as tf.Tensor3D;
}
