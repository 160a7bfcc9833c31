// LayerNorm over the last axis with a hand-written gradient that keeps only what it needs, and a
// WebGPU kernel (webgpu/layer-norm.ts: 1 dispatch forward, 2 backward).
//
// Written with plain ops, a LayerNorm leaves six [N, D] tensors alive until the backward pass (the
// centred input, its square, the normalised input, its scaled copy, ...): every op's output stays in
// the gradient tape's scope. As one custom gradient, its intermediates are freed as soon as the
// forward value exists, and only the normalised input and 1/std are kept (the kernel keeps x and
// recomputes the row statistics). On a MiniLM-sized BERT (13 LayerNorms) that is a large part of a
// step's memory, which bounds the batch a WASM heap (4 GB at most) can train. The numbers are those
// of the plain ops (tests/unit/bert-reference.test.ts, tests/unit/ops.test.ts).
//
//   y = gamma * xhat + beta,  xhat = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps)  (biased var, as torch)
//   dbeta = sum dy,  dgamma = sum dy * xhat,  g = dy * gamma,
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))     (means over the last axis)
import * as tf from '@tensorflow/tfjs';
import { kernelsOn, registerProbe } from './webgpu/program.ts';
import { layerNormGradKernel, layerNormKernel } from './webgpu/layer-norm.ts';

/** x [..., D], gamma [D], beta [D] -> [..., D] */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
  return kernelsOn() ? layerNormOnKernel(x, gamma, beta, eps) : layerNormPlain(x, gamma, beta, eps);
}

/** The plain-tfjs composition: the reference, and the path off WebGPU. */
export function layerNormPlain<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
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

/**
 * LayerNorm(x + residual): a residual connection and the LayerNorm after it (BERT's post-LN layers).
 * On the kernel the sum is made inside the LayerNorm's dispatches (one forward dispatch fewer, and
 * no [N, D] sum kept); elsewhere it is tf.add then layerNorm.
 */
export function addLayerNorm<T extends tf.Tensor>(
  x: T,
  residual: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): T {
  if (!kernelsOn()) return layerNormPlain(tf.add(x, residual) as T, gamma, beta, eps);
  return addLayerNormOnKernel(x, residual, gamma, beta, eps);
}

function addLayerNormOnKernel<T extends tf.Tensor>(
  x: T,
  residual: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): T {
  const D = x.shape[x.rank - 1]!;
  const norm = tf.customGrad((xIn, rIn, gIn, bIn, save) => {
    const rows = tf.reshape(xIn as tf.Tensor, [-1, D]) as tf.Tensor2D; // [N, D]
    const res = tf.reshape(rIn as tf.Tensor, [-1, D]) as tf.Tensor2D; // [N, D]
    (save as tf.GradSaveFunc)([rows, res, gIn as tf.Tensor1D]);
    return {
      value: tf.reshape(layerNormKernel(rows, gIn as tf.Tensor1D, bIn as tf.Tensor1D, eps, res), x.shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sr, sg] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const [dx, dgamma, dbeta] = layerNormGradKernel(tf.reshape(dy, [-1, D]) as tf.Tensor2D, sx, sg, eps, sr);
        const d = tf.reshape(dx, dy.shape);
        return [d, tf.clone(d), dgamma, dbeta]; // the sum's gradient, to both terms (a clone: no copy)
      },
    };
  });
  return norm(x, residual, gamma, beta) as T;
}

function layerNormOnKernel<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
  const D = x.shape[x.rank - 1]!;
  const norm = tf.customGrad((xIn, gIn, bIn, save) => {
    const [input, g, b] = [xIn as tf.Tensor, gIn as tf.Tensor1D, bIn as tf.Tensor1D];
    const rows = tf.reshape(input, [-1, D]) as tf.Tensor2D; // [N, D]
    (save as tf.GradSaveFunc)([rows, g]);
    return {
      value: tf.reshape(layerNormKernel(rows, g, b, eps), input.shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg] = saved as [tf.Tensor2D, tf.Tensor1D];
        const [dx, dgamma, dbeta] = layerNormGradKernel(tf.reshape(dy, [-1, D]) as tf.Tensor2D, sx, sg, eps);
        return [tf.reshape(dx, dy.shape), dgamma, dbeta];
      },
    };
  });
  return norm(x, gamma, beta) as T;
}

registerProbe(() =>
  tf.tidy(() => {
    const x = tf.reshape(tf.sin(tf.linspace(0, 40, 5 * 24)), [5, 24]) as tf.Tensor2D;
    const gamma = tf.linspace(0.5, 1.5, 24) as tf.Tensor1D;
    const beta = tf.linspace(-0.2, 0.3, 24) as tf.Tensor1D;
    const dy = tf.reshape(tf.cos(tf.linspace(0, 17, 5 * 24)), [5, 24]) as tf.Tensor2D;
    const grads = (f: typeof layerNormPlain) =>
      tf.grads((a, g, b) => tf.sum(tf.mul(f(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5), dy)))([
        x,
        gamma,
        beta,
      ]);
    return {
      name: 'layer norm',
      kernel: tf.concat(
        [layerNormOnKernel(x, gamma, beta, 1e-5), ...grads(layerNormOnKernel)].map((t) => tf.reshape(t, [-1])),
      ),
      plain: tf.concat(
        [layerNormPlain(x, gamma, beta, 1e-5), ...grads(layerNormPlain)].map((t) => tf.reshape(t, [-1])),
      ),
      tolerance: 1e-4,
    };
  }),
);

registerProbe(() =>
  tf.tidy(() => {
    const x = tf.reshape(tf.sin(tf.linspace(0, 40, 5 * 24)), [5, 24]) as tf.Tensor2D;
    const r = tf.reshape(tf.cos(tf.linspace(0, 23, 5 * 24)), [5, 24]) as tf.Tensor2D;
    const gamma = tf.linspace(0.5, 1.5, 24) as tf.Tensor1D;
    const beta = tf.linspace(-0.2, 0.3, 24) as tf.Tensor1D;
    const dy = tf.reshape(tf.sin(tf.linspace(0, 17, 5 * 24)), [5, 24]) as tf.Tensor2D;
    type F = (a: tf.Tensor2D, b: tf.Tensor2D, g: tf.Tensor1D, be: tf.Tensor1D, eps: number) => tf.Tensor2D;
    const both = (f: F) =>
      tf.concat(
        [
          f(x, r, gamma, beta, 1e-12),
          ...tf.grads((a, b, g, be) =>
            tf.sum(tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D, g as tf.Tensor1D, be as tf.Tensor1D, 1e-12), dy)),
          )([x, r, gamma, beta]),
        ].map((t) => tf.reshape(t, [-1])),
      );
    const plain: F = (a, b, g, be, eps) => layerNormPlain(tf.add(a, b), g, be, eps);
    return { name: 'add + layer norm', kernel: both(addLayerNormOnKernel), plain: both(plain), tolerance: 1e-4 };
  }),
);
