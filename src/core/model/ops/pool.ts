// From one vector per token to one per sequence: the encoders' pooling. Mean pooling has a WebGPU
// kernel (webgpu/pool.ts: one dispatch forward, one backward).
import * as tf from '@tensorflow/tfjs';
import type { Pooling } from '../encoders/encoder.ts';
import { meanPoolGradKernel, meanPoolKernel } from './webgpu/pool.ts';
import { kernelsOn, registerProbe } from './webgpu/program.ts';

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
  return kernelsOn() ? meanPoolOnKernel(x, mask) : meanPoolPlain(x, mask);
}

/** The plain composition of mean pooling. */
function meanPoolPlain(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const m = tf.expandDims(mask, 2); // [B, T, 1]
  return tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1)) as tf.Tensor2D; // [B, D]
}

/** The kernels under a custom gradient (the mask has none). */
function meanPoolOnKernel(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((xIn, save) => {
    (save as tf.GradSaveFunc)([]);
    return {
      value: meanPoolKernel(xIn as tf.Tensor3D, mask),
      gradFunc: (dy: tf.Tensor) => meanPoolGradKernel(dy as tf.Tensor2D, mask),
    };
  });
  return op(x) as tf.Tensor2D;
}

registerProbe(() =>
  tf.tidy(() => {
    const x = tf.reshape(tf.sin(tf.linspace(0, 30, 2 * 5 * 7)), [2, 5, 7]) as tf.Tensor3D;
    const mask = tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5]);
    const dy = tf.reshape(tf.cos(tf.linspace(0, 9, 14)), [2, 7]);
    const both = (f: (a: tf.Tensor3D) => tf.Tensor2D) =>
      tf.concat([tf.reshape(f(x), [-1]), tf.reshape(tf.grad((a) => tf.sum(tf.mul(f(a as tf.Tensor3D), dy)))(x), [-1])]);
    return {
      name: 'mean pool',
      kernel: both((a) => meanPoolOnKernel(a, mask)),
      plain: both((a) => meanPoolPlain(a, mask)),
      tolerance: 1e-5,
    };
  }),
);
