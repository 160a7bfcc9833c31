// DeBERTa's relative positions (modeling_deberta_v2.py: make_log_bucket_position,
// build_relative_position and the index clamping of disentangled_attention_bias), and the gather
// that reads a score per (query, key) out of a per-(query, relative position) table.
//
//   delta(i, j)   = i - j                                   query i, key j
//   bucketed      = delta                                   where |delta| <= mid = buckets / 2
//                 = sign(delta) * (ceil(log(|delta| / mid) / log((maxPos - 1) / mid) * (mid - 1)) + mid)
//   index(i, j)   = clamp(bucketed(i, j) + span, 0, 2 span - 1)      span = buckets, or maxPos unbucketed
//
// The tables depend on T alone: they are built here in JavaScript (no gradient flows through an
// index) and uploaded as int32.
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from '../embedding.ts';

/**
 * make_log_bucket_position for one relative position. HF computes the logarithms on float32 tensors
 * (a long divided by an int is float32): each step is rounded to float32 here too, so the ceil
 * lands where torch's does.
 */
export function logBucketPosition(delta: number, buckets: number, maxPosition: number): number {
  const mid = Math.floor(buckets / 2);
  const abs = delta < mid && delta > -mid ? mid - 1 : Math.abs(delta);
  if (abs <= mid) return delta;
  const f = Math.fround;
  const ratio = f(f(Math.log(f(abs / mid))) / f(Math.log(f((maxPosition - 1) / mid))));
  return Math.sign(delta) * (Math.ceil(f(ratio * (mid - 1))) + mid);
}

/** build_relative_position for T queries and T keys: [T * T], row i holding delta(i, j) bucketed. */
export function relativePositions(T: number, buckets: number, maxPosition: number): Int32Array {
  const out = new Int32Array(T * T);
  const bucketed = buckets > 0 && maxPosition > 0;
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const delta = i - j;
      out[i * T + j] = bucketed ? logBucketPosition(delta, buckets, maxPosition) : delta;
    }
  }
  return out;
}

/**
 * The rows of the relative embedding table each (query, key) reads, [T * T]:
 *   c2p: clamp(rel(i, j) + span, 0, 2 span - 1), row i, column j;
 *   p2c: clamp(-rel(j, c) + span, ...), row j, column c: HF gathers the key's row with it and then
 *        transposes, so the query is the column (disentangled_attention_bias).
 */
export function relativeIndex(rel: Int32Array, span: number, sign: 1 | -1): Int32Array {
  const out = new Int32Array(rel.length);
  for (let n = 0; n < rel.length; n++) out[n] = Math.min(Math.max(sign * rel[n]! + span, 0), 2 * span - 1);
  return out;
}

/**
 * torch.gather(x, -1, index) for a per-row index shared by the batch and the heads:
 * x [B, H, T, R] (scores against each of R relative positions), index [T * T] (row t's T columns)
 * -> [B, H, T, T], out[b, h, t, u] = x[b, h, t, index[t * T + u]].
 * Written as a row lookup (embeddingLookup: its gradient is a scatter-add every backend runs) in a
 * [T * R, B * H] table: row t * R + r holds every head's score for row t at position r.
 */
export function gatherRelative(x: tf.Tensor4D, index: tf.Tensor2D): tf.Tensor4D {
  const [B, H, T, R] = x.shape;
  const table = tf.reshape(tf.transpose(x, [2, 3, 0, 1]), [T * R, B * H]) as tf.Tensor2D; // [T*R, B*H]
  const rows = embeddingLookup(table, index); // [1, T*T, B*H]
  return tf.transpose(tf.reshape(rows, [T, T, B, H]), [2, 3, 0, 1]); // [B, H, T, T]
}

/** An index table [T * T] (relativeIndex's) as the row numbers gatherRelative looks up: t * R + index. */
export function gatherRows(index: Int32Array, T: number, R: number): tf.Tensor2D {
  const rows = new Int32Array(index.length);
  for (let n = 0; n < index.length; n++) rows[n] = Math.floor(n / T) * R + index[n]!;
  return tf.tensor2d(rows, [1, index.length], 'int32');
}
