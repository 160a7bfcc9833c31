// RMSNorm over the last axis (Zhang & Sennrich 2019), as Llama, Qwen2 and SmolLM2 normalise:
// no centring and no bias, y = weight * x / sqrt(mean(x^2) + eps) (HF's LlamaRMSNorm). Written as one
// custom gradient, like layer-norm.ts, so that only the normalised input and 1/rms stay alive for the
// backward pass instead of every intermediate of the plain composition: a decoder has two of these
// per layer, and activation memory is what bounds the batch a WASM heap can train.
//
//   y = w * xhat,  xhat = x * rrms,  rrms = 1 / sqrt(mean(x^2) + eps)
//   dw = sum dy * xhat,  g = dy * w,  dx = rrms * (g - xhat * mean(g * xhat))     (means over the last axis)
import * as tf from '@tensorflow/tfjs';

/** x [..., D], weight [D] -> [..., D] */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, eps: number): T {
  const norm = tf.customGrad((xIn, wIn, save) => {
    const [input, w] = [xIn as tf.Tensor, wIn as tf.Tensor1D];
    const rrms = tf.rsqrt(tf.add(tf.mean(tf.square(input), -1, true), eps)); // [..., 1]
    const xhat = tf.mul(input, rrms); // [..., D]
    (save as tf.GradSaveFunc)([xhat, rrms, w]);
    return {
      value: tf.mul(xhat, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, srrms, sw] = saved as [tf.Tensor, tf.Tensor, tf.Tensor1D];
        const D = sxhat.shape[sxhat.rank - 1]!;
        const g = tf.mul(dy, sw); // d loss / d xhat
        const dx = tf.mul(tf.sub(g, tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true))), srrms);
        const dw = tf.sum(tf.mul(tf.reshape(dy, [-1, D]), tf.reshape(sxhat, [-1, D])), 0); // [D]
        return [dx, dw];
      },
    };
  });
  return norm(x, weight) as T;
}
