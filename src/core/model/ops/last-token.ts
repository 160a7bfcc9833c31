// Pooling at the last real token, as Hugging Face's *ForSequenceClassification decoders (GPT-2,
// Llama, Qwen2) read a sequence's score: a decoder's last position is the only one that has seen the
// whole prompt and response. The last real token is the rightmost position whose mask is 1, so right
// and left padding both work (HF finds it from input_ids != pad_token_id; from the mask it is the
// same token whenever the text does not itself end in the pad token, and it needs no pad id at all,
// which GPT-2 does not have).
import * as tf from '@tensorflow/tfjs';

/** mask [B, T] -> [B, T], 1 at each row's last real token, 0 elsewhere. */
export function lastTokenOneHot(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const after = tf.cumsum(mask, 1, true, true); // [B, T]: real tokens strictly after each position
    return tf.mul(mask, tf.cast(tf.equal(after, 0), 'float32')) as tf.Tensor2D;
  });
}

/**
 * x [B, T, D], mask [B, T] -> [B, D], the hidden state at each row's last real token. A product with
 * the one-hot row, not a gather: gather's gradient is missing on WASM (embedding.ts).
 */
export function lastTokenPool(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.sum(tf.mul(x, tf.expandDims(lastTokenOneHot(mask), 2)), 1) as tf.Tensor2D; // [B, D]
}
