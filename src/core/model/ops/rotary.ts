// Rotary position embeddings (RoPE, Su et al. 2021) in the convention Hugging Face's Llama, Qwen2
// and SmolLM2 checkpoints are trained with: the head is split into halves, not interleaved pairs.
// Dimension i of the first half and dimension i + hs/2 of the second are rotated together by the
// angle position * theta^(-2i/hs):
//
//   rope(x) = x * cos + rotate_half(x) * sin,   rotate_half([x1, x2]) = [-x2, x1]
//   cos, sin [T, hs] = cos/sin of [f, f],  f[t, i] = t * theta^(-2i/hs)   (i < hs/2)
//
// (GPT-J and Meta's original Llama code pair dimensions 2i and 2i+1 instead; HF permutes the q/k
// weights when converting those, so a checkpoint under HF's names always uses the half split.)
// Positions start at 0 at the first column, as HF's models number them when given no position ids:
// with left padding the first real token sits at a later position, in PyTorch as here.
import * as tf from '@tensorflow/tfjs';

export interface RotaryTables {
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/** cos and sin [T, hs] for positions 0..T-1, computed in float64 and rounded once. */
export function rotaryTables(T: number, headSize: number, theta: number): RotaryTables {
  if (headSize % 2 !== 0) throw new Error(`rotary positions need an even head size, got ${headSize}`);
  const half = headSize / 2;
  const cos = new Float32Array(T * headSize);
  const sin = new Float32Array(T * headSize);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.pow(theta, (-2 * i) / headSize);
      for (const j of [i, i + half]) {
        cos[t * headSize + j] = Math.cos(angle);
        sin[t * headSize + j] = Math.sin(angle);
      }
    }
  }
  return { cos: tf.tensor2d(cos, [T, headSize]), sin: tf.tensor2d(sin, [T, headSize]) };
}

/** x [B, H, T, hs] -> x rotated by its position (the tables' rows broadcast over B and H). */
export function applyRotary(x: tf.Tensor4D, { cos, sin }: RotaryTables): tf.Tensor4D {
  const [B, H, T, hs] = x.shape;
  const half = hs / 2;
  const x1 = tf.slice(x, [0, 0, 0, 0], [B, H, T, half]); // [B, H, T, hs/2]
  const x2 = tf.slice(x, [0, 0, 0, half], [B, H, T, half]); // [B, H, T, hs/2]
  const rotated = tf.concat([tf.neg(x2), x1], 3); // [B, H, T, hs]
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}
