// A linear layer, x @ w + b, and the matrix product under it.
//
// On WebGPU the layer is tfjs's fused matMul with the bias added in the product's shader (one
// dispatch forward; its gradient uses the transpose flags, which cost nothing there), and with RM
// Lab's kernels on, the bias's gradient is one column sum (webgpu/pool.ts) instead of tfjs's
// transpose + reduce. Elsewhere it is `dense` + add, with the gradient below.
//
// dense: x @ w with a gradient made of plain (untransposed) matrix products.
//
// tfjs differentiates matMul with transposed products (dx = dy @ wᵀ, dw = xᵀ @ dy, via the
// transposeA/transposeB flags). tfjs-backend-wasm 4.22 runs those through a slow path that skips
// its fast (XNNPACK, threaded) kernel: [4096,64]ᵀ·[4096,256] took 72 ms against 5.6 ms for an
// explicit transpose followed by a plain product. Transposing explicitly is exact (a copy), so the
// numbers do not change; bench/train-node.ts measures the step time. RM Lab's own wasm kernel
// (wasm/batch-matmul.ts) reads either operand transposed in place, at the same speed, and sums in
// the same order: where it runs every product, dense is tf.matMul and its gradient tfjs's, without
// the copies.
//
// A frozen weight stored as f16 on WebGPU (frozen-f16.ts) is read by its own product kernel instead.
import * as tf from '@tensorflow/tfjs';
import { f16Linear, packedOf } from './frozen-f16.ts';
import { columnSumKernel } from './webgpu/pool.ts';
import { kernelsOn, registerProbe } from './webgpu/program.ts';
import { wasmBatchMatMulMode } from './wasm/batch-matmul.ts';

/** x [N, in] @ w [in, out] -> [N, out] */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() === 'wasm' && wasmBatchMatMulMode() === 'all') return tf.matMul(x, w);
  const product = tf.customGrad((a, b, save) => {
    const xa = a as tf.Tensor2D;
    const wb = b as tf.Tensor2D;
    (save as tf.GradSaveFunc)([xa, wb]);
    return {
      value: tf.matMul(xa, wb),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        return [tf.matMul(g, tf.transpose(sw)), tf.matMul(tf.transpose(sx), g)]; // [N, in], [in, out]
      },
    };
  });
  return product(x, w) as unknown as tf.Tensor2D;
}

/** x [..., in] @ w [in, out] + b [out] -> [..., out]; without b, x @ w (Llama's projections have no bias). */
export function linear<T extends tf.Tensor>(x: T, w: tf.Tensor2D, b?: tf.Tensor1D): T {
  const inDim = w.shape[0];
  const lead = x.shape.slice(0, -1);
  const rows = tf.reshape(x, [-1, inDim]) as tf.Tensor2D; // [N, in]
  const half = packedOf(w);
  if (half) return tf.reshape(f16Linear(rows, half, b), [...lead, w.shape[1]]) as T; // [..., out]
  const y = b === undefined ? unbiased(rows, w) : kernelsOn() ? biasedOnKernel(rows, w, b) : biased(rows, w, b); // [N, out]
  return tf.reshape(y, [...lead, w.shape[1]]) as T;
}

/** x [N, in] @ w, with no bias to add or to take a gradient for. */
function unbiased(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() === 'webgpu') return tf.fused.matMul({ a: x, b: w }) as tf.Tensor2D;
  return dense(x, w);
}

/** x [N, in] @ w + b, without RM Lab's kernels. */
function biased(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (tf.getBackend() === 'webgpu') return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
  return tf.add(dense(x, w), b);
}

/** tfjs's fused product forward; backward its two products and one column sum for the bias. */
function biasedOnKernel(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((xIn, wIn, bIn, save) => {
    const [xa, wb] = [xIn as tf.Tensor2D, wIn as tf.Tensor2D];
    (save as tf.GradSaveFunc)([xa, wb]);
    return {
      value: tf.fused.matMul({ a: xa, b: wb, bias: bIn as tf.Tensor1D }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        return [tf.matMul(g, sw, false, true), tf.matMul(sx, g, true, false), columnSumKernel(g)]; // [N, in], [in, out], [out]
      },
    };
  });
  return op(x, w, b) as tf.Tensor2D;
}

registerProbe(() =>
  tf.tidy(() => {
    const x = tf.reshape(tf.sin(tf.linspace(0, 20, 70 * 6)), [70, 6]) as tf.Tensor2D;
    const w = tf.reshape(tf.cos(tf.linspace(0, 7, 6 * 5)), [6, 5]) as tf.Tensor2D;
    const b = tf.linspace(-1, 1, 5) as tf.Tensor1D;
    const dy = tf.reshape(tf.cos(tf.linspace(0, 13, 70 * 5)), [70, 5]);
    const both = (f: typeof biased) =>
      tf.concat(
        [
          f(x, w, b),
          ...tf.grads((a, c, d) => tf.sum(tf.mul(f(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D), dy)))([
            x,
            w,
            b,
          ]),
        ].map((t) => tf.reshape(t, [-1])),
      );
    return { name: 'linear', kernel: both(biasedOnKernel), plain: both(biased), tolerance: 1e-4 };
  }),
);
