// From one vector per token to one per sequence: the encoders' pooling.
import * as tf from '@tensorflow/tfjs';
import type { Pooling } from '../encoders/encoder.ts';

/** x [B, T, D] -> [B, D]: the first ([CLS]) token, the mean over real tokens, or the last real token. */
export function pool(x: tf.Tensor3D, mask: tf.Tensor2D, pooling: Pooling): tf.Tensor2D {
  const [B, T, D] = x.shape;
  if (pooling === 'cls') return tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, D]), [B, D]);
  if (pooling === 'last') {
    // Sequences are padded on the right, so mask[t] - mask[t + 1] is 1 at the last real token only.
    // A product with that one-hot row, not a gather: gather's gradient is missing on WASM (embedding.ts).
    const next = tf.concat([tf.slice(mask, [0, 1], [B, T - 1]), tf.zeros([B, 1])], 1);
    const last = tf.expandDims(tf.sub(mask, next), 2); // [B, T, 1]
    return tf.sum(tf.mul(x, last), 1) as tf.Tensor2D;
  }
  const m = tf.expandDims(mask, 2); // [B, T, 1]
  return tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1)) as tf.Tensor2D; // [B, D]
}
