// The pieces of attention the encoders share: the additive padding bias and the masked, scaled
// softmax over the keys, with a WebGPU kernel for the latter (webgpu/masked-softmax.ts).
import * as tf from '@tensorflow/tfjs';
import { maskedSoftmaxGradKernel, maskedSoftmaxKernel } from './webgpu/masked-softmax.ts';
import { kernelsOn, registerProbe } from './webgpu/program.ts';

/** Large negative instead of -Infinity: WGSL code may assume no Inf/NaN (see the guide). */
export const MASKED = -1e9;

/** mask [B, T] (1 = token, 0 = padding) -> additive bias [B, 1, 1, T]: 0 on tokens, MASKED on padding. */
export function attentionBias(mask: tf.Tensor2D): tf.Tensor4D {
  const [B, T] = mask.shape;
  return tf.reshape(tf.mul(tf.sub(1, mask), MASKED), [B, 1, 1, T]);
}

/**
 * softmax(scale * scores + bias) over the keys: scores [B, H, T, T] (q k^T), bias [B, 1, 1, T].
 * The bias has no gradient (it comes from the mask); the scores' gradient is scale * P * (dP - sum(dP P)).
 */
export function maskedSoftmax(scores: tf.Tensor4D, bias: tf.Tensor4D, scale: number): tf.Tensor4D {
  if (kernelsOn()) return maskedSoftmaxOnKernel(scores, bias, scale);
  return tf.softmax(tf.add(scale === 1 ? scores : tf.mul(scores, scale), bias)) as tf.Tensor4D;
}

function maskedSoftmaxOnKernel(scores: tf.Tensor4D, bias: tf.Tensor4D, scale: number): tf.Tensor4D {
  const op = tf.customGrad((s, save) => {
    const probs = maskedSoftmaxKernel(s as tf.Tensor4D, bias, scale);
    (save as tf.GradSaveFunc)([probs]);
    return {
      value: probs,
      gradFunc: (dp: tf.Tensor, saved: tf.Tensor[]) =>
        maskedSoftmaxGradKernel(dp as tf.Tensor4D, saved[0] as tf.Tensor4D, scale),
    };
  });
  return op(scores) as tf.Tensor4D;
}

registerProbe(() =>
  tf.tidy(() => {
    const scores = tf.reshape(tf.sin(tf.linspace(0, 30, 2 * 2 * 5 * 5)), [2, 2, 5, 5]) as tf.Tensor4D;
    const bias = attentionBias(tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5]));
    const dp = tf.reshape(tf.cos(tf.linspace(0, 11, 100)), [2, 2, 5, 5]);
    const plain = (s: tf.Tensor) => tf.softmax(tf.add(tf.mul(s, 0.7), bias));
    const grad = (f: (s: tf.Tensor) => tf.Tensor) => tf.grad((s: tf.Tensor) => tf.sum(tf.mul(f(s), dp)))(scores);
    const kernel = (s: tf.Tensor) => maskedSoftmaxOnKernel(s as tf.Tensor4D, bias, 0.7);
    return {
      name: 'masked softmax',
      kernel: tf.concat([tf.reshape(kernel(scores), [-1]), tf.reshape(grad(kernel), [-1])]),
      plain: tf.concat([tf.reshape(plain(scores), [-1]), tf.reshape(grad(plain), [-1])]),
      tolerance: 1e-5,
    };
  }),
);
