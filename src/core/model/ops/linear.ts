// A linear layer, x @ w + b, and the matrix product under it.
//
// On WebGPU the layer is tfjs's fused matMul with the bias added in the product's shader (one
// dispatch forward; its gradient uses the transpose flags, which cost nothing there). Elsewhere it is
// `dense` + add, with the gradient below.
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
import * as tf from '@tensorflow/tfjs';
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

/** x [..., in] @ w [in, out] + b [out] -> [..., out] */
export function linear<T extends tf.Tensor>(x: T, w: tf.Tensor2D, b: tf.Tensor1D): T {
  const inDim = w.shape[0];
  const lead = x.shape.slice(0, -1);
  const rows = tf.reshape(x, [-1, inDim]) as tf.Tensor2D; // [N, in]
  const y = tf.getBackend() === 'webgpu' ? tf.fused.matMul({ a: rows, b: w, bias: b }) : tf.add(dense(rows, w), b); // [N, out]
  return tf.reshape(y, [...lead, w.shape[1]]) as T;
}
