// LayerNorm over the last axis with a hand-written gradient that keeps only what it needs.
//
// Written with plain ops, a LayerNorm leaves six [N, D] tensors alive until the backward pass (the
// centred input, its square, the normalised input, its scaled copy, ...): every op's output stays in
// the gradient tape's scope. As one custom gradient, its intermediates are freed as soon as the
// forward value exists, and only the normalised input and 1/std are kept. On a MiniLM-sized BERT
// (13 LayerNorms) that is a large part of a step's memory, which bounds the batch a WASM heap
// (4 GB at most) can train. The numbers are those of the plain ops (tests/unit/bert-reference.test.ts).
//
//   y = gamma * xhat + beta,  xhat = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps)  (biased var, as torch)
//   dbeta = sum dy,  dgamma = sum dy * xhat,  g = dy * gamma,
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))     (means over the last axis)
import * as tf from '@tensorflow/tfjs';

/** x [..., D], gamma [D], beta [D] -> [..., D] */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
  const norm = tf.customGrad((xIn, gIn, bIn, save) => {
    const [input, g, b] = [xIn as tf.Tensor, gIn as tf.Tensor1D, bIn as tf.Tensor1D];
    const mean = tf.mean(input, -1, true);
    const centered = tf.sub(input, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps)); // [..., 1]
    const xhat = tf.mul(centered, rstd);
    (save as tf.GradSaveFunc)([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, srstd, sg] = saved as [tf.Tensor, tf.Tensor, tf.Tensor1D];
        const D = sxhat.shape[sxhat.rank - 1]!;
        const rows = tf.reshape(dy, [-1, D]); // [N, D]
        const gxhat = tf.mul(dy, sg); // d loss / d xhat
        const meanG = tf.mean(gxhat, -1, true);
        const meanGX = tf.mean(tf.mul(gxhat, sxhat), -1, true);
        const dx = tf.mul(tf.sub(tf.sub(gxhat, meanG), tf.mul(sxhat, meanGX)), srstd);
        const dgamma = tf.sum(tf.mul(rows, tf.reshape(sxhat, [-1, D])), 0);
        return [dx, dgamma, tf.sum(rows, 0)];
      },
    };
  });
  return norm(x, gamma, beta) as T;
}
