// Attention as the encoders share it: multi-head scaled dot-product attention over right-padded
// sequences, from separate q, k, v projections (BERT) or one packed projection (the built-in
// encoder), and its pieces: the additive padding bias and the masked, scaled softmax over the keys.
//
//   y_h = softmax(q_h k_h^T / sqrt(hs) + bias) v_h   for each head h, bias = 0 on tokens, MASKED on padding
//
// On WebGPU with the kernels on, the whole of it is one dispatch forward and two backward
// (webgpu/attention.ts); elsewhere, the plain composition below (the reference), whose masked softmax
// has its own kernel (webgpu/masked-softmax.ts) for a backend that runs the composition.
import * as tf from '@tensorflow/tfjs';
import { attentionGradKernel, attentionKernel, type HeadLayout } from './webgpu/attention.ts';
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

/** The padding mask as attention reads it: the mask itself, and its additive bias where the composition runs. */
export interface AttentionMask {
  /** [B, T]: 1 = token, 0 = padding. */
  mask: tf.Tensor2D;
  /** [B, 1, 1, T]; made once per batch, and only off the fused kernel (which reads the mask). */
  bias?: tf.Tensor4D;
}

/** Call once per batch, outside any per-layer tidy (the bias is shared by the layers). */
export function attentionMask(mask: tf.Tensor2D): AttentionMask {
  return kernelsOn() ? { mask } : { mask, bias: attentionBias(mask) };
}

/** How q, k and v are laid out in their tensors. */
interface Layout extends HeadLayout {
  packed: boolean;
}

function layoutOf(x: tf.Tensor3D, heads: number, packed: boolean): Layout {
  const [B, T, width] = x.shape;
  const D = packed ? width / 3 : width;
  const hs = D / heads;
  const offsets: [number, number, number] = packed ? [0, D, 2 * D] : [0, 0, 0];
  return { B, T, H: heads, hs, stride: width, offsets, packed };
}

/** [B, T, D] -> [B, H, T, hs] */
function splitHeads(x: tf.Tensor, l: HeadLayout): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [l.B, l.T, l.H, l.hs]), [0, 2, 1, 3]);
}

/**
 * The plain composition. `scaleQueries`: q / sqrt(hs) before the product (BERT's way: one [B, H, T, T]
 * tensor fewer kept for the backward pass), else the scale inside the masked softmax (the built-in
 * encoder's); the same function, rounded differently.
 */
function attentionPlain(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  bias: tf.Tensor4D,
  l: HeadLayout,
  scaleQueries: boolean,
): tf.Tensor3D {
  const scale = 1 / Math.sqrt(l.hs);
  const [qh, kh, vh] = [splitHeads(scaleQueries ? tf.mul(q, scale) : q, l), splitHeads(k, l), splitHeads(v, l)];
  const probs = maskedSoftmax(tf.matMul(qh, kh, false, true), bias, scaleQueries ? 1 : scale); // [B, H, T, T]
  const y = tf.matMul(probs, vh); // [B, H, T, hs]
  return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [l.B, l.T, l.H * l.hs]); // [B, T, D]
}

/** The fused kernels under one custom gradient: inputs [q, k, v], or [qkv] when packed. */
function attentionOnKernel(inputs: tf.Tensor3D[], mask: tf.Tensor2D, l: Layout): tf.Tensor3D {
  const scale = 1 / Math.sqrt(l.hs);
  const op = tf.customGrad((...args) => {
    const save = args.pop() as tf.GradSaveFunc;
    const given = args as tf.Tensor[];
    const [q, k, v] = l.packed ? [given[0]!, given[0]!, given[0]!] : [given[0]!, given[1]!, given[2]!];
    const [y, probs] = attentionKernel(q, k, v, mask, l, scale, MASKED);
    save([q, k, v, probs]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sp] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor4D];
        return attentionGradKernel(sq, sk, sv, sp, dy, l, scale, l.packed);
      },
    };
  });
  return op(...inputs) as tf.Tensor3D;
}

/**
 * Self-attention from separate projections: q, k, v [B, T, D] (heads side by side) -> [B, T, D].
 * `scaleQueries` picks the composition's rounding (see attentionPlain); the kernel's is its own.
 */
export function multiHeadAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  mask: AttentionMask,
  heads: number,
  scaleQueries = false,
): tf.Tensor3D {
  const l = layoutOf(q, heads, false);
  if (!mask.bias) return attentionOnKernel([q, k, v], mask.mask, l);
  return attentionPlain(q, k, v, mask.bias, l, scaleQueries);
}

/** Self-attention from one packed projection: qkv [B, T, 3D] (q, then k, then v) -> [B, T, D]. */
export function packedAttention(qkv: tf.Tensor3D, mask: AttentionMask, heads: number): tf.Tensor3D {
  const l = layoutOf(qkv, heads, true);
  if (!mask.bias) return attentionOnKernel([qkv], mask.mask, l);
  const [q, k, v] = tf.split(qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]; // [B, T, D] each
  return attentionPlain(q, k, v, mask.bias, l, false);
}

for (const packed of [false, true]) {
  registerProbe(() =>
    tf.tidy(() => {
      // 2 sequences, 5 tokens (the first padded after 3), 2 heads of 3.
      const width = packed ? 18 : 6;
      const x = tf.reshape(tf.sin(tf.linspace(0, 40, 2 * 5 * width)), [2, 5, width]) as tf.Tensor3D;
      const parts = packed ? [x] : [x, tf.cos(x) as tf.Tensor3D, tf.mul(x, 0.5) as tf.Tensor3D];
      const mask = tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5]);
      const dy = tf.reshape(tf.cos(tf.linspace(0, 11, 2 * 5 * 6)), [2, 5, 6]);
      const l = layoutOf(x, 2, packed);
      const plain = (...xs: tf.Tensor[]) =>
        packed
          ? packedAttention(xs[0] as tf.Tensor3D, { mask, bias: attentionBias(mask) }, 2)
          : multiHeadAttention(
              xs[0] as tf.Tensor3D,
              xs[1] as tf.Tensor3D,
              xs[2] as tf.Tensor3D,
              {
                mask,
                bias: attentionBias(mask),
              },
              2,
            );
      const kernel = (...xs: tf.Tensor[]) => attentionOnKernel(xs as tf.Tensor3D[], mask, l);
      const both = (f: (...xs: tf.Tensor[]) => tf.Tensor) =>
        tf.concat(
          [f(...parts), ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(parts)].map((t) =>
            tf.reshape(t, [-1]),
          ),
        );
      return {
        name: packed ? 'packed attention' : 'attention',
        kernel: both(kernel),
        plain: both(plain),
        tolerance: 1e-5,
      };
    }),
  );
}
