// Causal self-attention with grouped-query heads, as decoder LMs compute it (GPT-2 with as many
// key/value heads as query heads, Llama/Qwen2/SmolLM2 with fewer). Query head h reads key/value head
// h // (H / Hkv), as HF's repeat_kv arranges them: the H / Hkv query heads of a group are adjacent.
//
// The key/value heads are never copied H / Hkv times: the queries of one group are stacked along the
// rows instead, [B, H, T, hs] -> [B, Hkv, (H/Hkv) T, hs], which is a reshape because heads
// g * rep .. g * rep + rep - 1 are contiguous, and each group multiplies its one key/value head.
//
//   scores = q k^T / sqrt(hs) + causal + padding     causal: MASKED where key > query
//   out    = softmax(scores) v
import * as tf from '@tensorflow/tfjs';
import { MASKED, maskedSoftmax } from './attention.ts';

/** [T, T]: 0 where the key is at or before the query, MASKED after it. */
export function causalBias(T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const rows = tf.reshape(tf.range(0, T, 1, 'int32'), [T, 1]);
    const cols = tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]);
    return tf.mul(tf.cast(tf.greater(cols, rows), 'float32'), MASKED) as tf.Tensor2D;
  });
}

/**
 * q [B, H, T, hs], k and v [B, Hkv, T, hs], causal [T, T] (causalBias), padding [B, 1, 1, T]
 * (attentionBias: MASKED on padded keys) -> [B, H, T, hs]. H must be a multiple of Hkv.
 */
export function causalAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  causal: tf.Tensor2D,
  padding: tf.Tensor4D,
): tf.Tensor4D {
  const [B, H, T, hs] = q.shape;
  const Hkv = k.shape[1];
  if (H % Hkv !== 0) throw new Error(`${H} query heads cannot share ${Hkv} key/value heads evenly`);
  const rep = H / Hkv;
  // Scaling q before the product, as bert.ts does: one [B, H, T, T] tensor fewer kept for backward.
  const grouped = tf.reshape(tf.mul(q, 1 / Math.sqrt(hs)), [B, Hkv, rep * T, hs]); // [B, Hkv, rep T, hs]
  const scores = tf.reshape(tf.matMul(grouped, k, false, true), [B, H, T, T]); // [B, H, T, T]
  const probs = maskedSoftmax(tf.add(scores, causal), padding, 1); // [B, H, T, T]
  const y = tf.matMul(tf.reshape(probs, [B, Hkv, rep * T, T]), v); // [B, Hkv, rep T, hs]
  return tf.reshape(y, [B, H, T, hs]);
}
