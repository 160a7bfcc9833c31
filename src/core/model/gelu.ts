// GELU in its exact form, 0.5 x (1 + erf(x / sqrt 2)): BERT's "gelu" (torch's F.gelu), with a
// hand-written gradient that keeps only its input.
//
// tf.erf has a kernel on the cpu, wasm and webgpu backends in tfjs 4.22 and a gradient in tfjs-core
// (2/sqrt(pi) exp(-x^2)), so no erf of our own is needed; the cpu and webgpu kernels compute it with
// Abramowitz-Stegun 7.1.26 (absolute error under 1.5e-7), far inside the reference tolerance. Written
// with plain ops, though, GELU leaves five [N, intermediate] tensors alive until the backward pass, the
// widest tensors of a BERT layer; as one custom gradient only x is kept, and the derivative
//   d/dx GELU(x) = Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi)
// is recomputed from it in the backward pass.
import * as tf from '@tensorflow/tfjs';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function geluErf<T extends tf.Tensor>(x: T): T {
  const gelu = tf.customGrad((xIn, save) => {
    const input = xIn as tf.Tensor;
    (save as tf.GradSaveFunc)([input]);
    const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(input, Math.SQRT1_2)))); // Phi(x)
    return {
      value: tf.mul(input, cdf),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx] = saved as [tf.Tensor];
        const phi = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), INV_SQRT_2PI); // phi(x)
        const cdfAgain = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(sx, Math.SQRT1_2))));
        return tf.mul(dy, tf.add(cdfAgain, tf.mul(sx, phi)));
      },
    };
  });
  return gelu(x) as T;
}
