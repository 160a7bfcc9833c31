// One parameter's clipped AdamW update as one kernel on the 'wasm' backend (adamw.c), for
// ../adamw.ts: the plain composition runs ~14 tfjs kernels per parameter, each a pass over the
// whole tensor. Same numbers as the composition (its operations, in its order, in float32).
// Registered under RM Lab's own kernel name; three outputs: the new parameter, m and v.
import * as tf from '@tensorflow/tfjs';
import { bind, type WasmBackend } from './module.ts';

export const ADAMW_KERNEL = 'RmLabAdamW';

/** The numbers of one parameter's update (float32 when the kernel reads them, as tfjs's scalars are). */
export interface AdamWNumbers {
  /** 1 - lr wd for a decayed parameter, 1 otherwise. */
  keep: number;
  learningRate: number;
  /** 1 - beta1^t, 1 - beta2^t */
  oneMinusAcc1: number;
  oneMinusAcc2: number;
}

interface Args {
  inputs: { w: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo; coefficient?: tf.TensorInfo };
  backend: WasmBackend;
  attrs: AdamWNumbers;
}

/** Whether the update runs on this kernel now: the backend is wasm and RM Lab's kernels are bound to it. */
export function wasmAdamWOn(): boolean {
  if (tf.getBackend() !== 'wasm' || !tf.getKernel(ADAMW_KERNEL, 'wasm')) return false;
  return bind(tf.backend() as unknown as WasmBackend) !== null;
}

/**
 * [w, m, v] after one step (wasmAdamWOn() must hold); the gradient g is scaled by `coefficient`
 * (a device scalar) where given. adamw.c has the betas and epsilon of ../adamw.ts built in.
 */
export function adamwOnWasm(
  w: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  coefficient: tf.Scalar | undefined,
  numbers: AdamWNumbers,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const inputs: tf.NamedTensorMap = coefficient ? { w, g, m, v, coefficient } : { w, g, m, v };
  const attrs = numbers as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(ADAMW_KERNEL, inputs, attrs) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

function kernelFunc(args: Args): tf.TensorInfo[] {
  const b = args.backend;
  const kernel = bind(b);
  if (!kernel) throw new Error("RM Lab's WebAssembly AdamW kernel is not bound to this backend");
  const { w, g, m, v, coefficient } = args.inputs;
  const n = w.shape.reduce((p, d) => p * d, 1);
  for (const t of [g, m, v]) {
    if (t.shape.reduce((p, d) => p * d, 1) !== n) throw new Error(`AdamW: a tensor of ${t.shape}, not ${w.shape}`);
  }
  if ([w, g, m, v, coefficient].some((t) => t && t.dtype !== 'float32')) throw new Error('AdamW: float32 only');
  const outs = [w, m, v].map((t) => b.makeOutput(t.shape, 'float32'));
  const at = (t: tf.TensorInfo) => b.getMemoryOffset(t.dataId);
  const { keep, learningRate, oneMinusAcc1, oneMinusAcc2 } = args.attrs;
  kernel.exports.adamw(
    at(w),
    at(g),
    at(m),
    at(v),
    coefficient ? at(coefficient) : 0,
    at(outs[0]!),
    at(outs[1]!),
    at(outs[2]!),
    n,
    keep,
    -learningRate,
    oneMinusAcc1,
    oneMinusAcc2,
  );
  return outs;
}

export const adamwKernel: tf.KernelConfig = {
  kernelName: ADAMW_KERNEL,
  backendName: 'wasm',
  kernelFunc: kernelFunc as unknown as tf.KernelFunc,
};
