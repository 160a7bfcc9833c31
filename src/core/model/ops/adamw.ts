// AdamW with gradient clipping by global norm, as torch.optim.AdamW and torch.nn.utils.clip_grad_norm_
// compute them: the plain-tfjs composition. It is the reference the WebGPU kernel
// (webgpu/adamw.ts) and the WebAssembly one (wasm/adamw.ts: one pass per parameter, the same
// operations) are tested against, and the path the cpu backend takes.
//
//   norm  = sqrt(sum over tensors of sum g^2)
//   c     = min(maxNorm / (norm + 1e-6), 1)                    (1 when maxNorm is 0: no clipping)
//   g     = c g
//   w     = w (1 - lr wd)                                       decayed parameters only
//   m     = beta1 m + (1 - beta1) g
//   v     = beta2 v + (1 - beta2) g^2
//   w     = w - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
//
// The update is tfjs's Adam's, op for op (the bias corrections applied to the moments, as tfjs does
// it: the same number as torch's, written the other way round), so a model trained before this
// module existed trains on bit for bit the same on the cpu backend. beta1^t and beta2^t are float32
// running products (tfjs Adam's accBeta1/accBeta2), kept as numbers: Math.fround of a product of two
// float32 values is exactly float32 multiplication.
import * as tf from '@tensorflow/tfjs';
import { adamwOnWasm, wasmAdamWOn } from './wasm/adamw.ts';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
/** torch's and the HF Trainer's epsilon (tfjs's default is 1e-7). */
export const ADAM_EPSILON = 1e-8;
/** clip_grad_norm_'s guard against a zero norm. */
export const CLIP_EPSILON = 1e-6;

/** One parameter's moments, created at the optimizer's first step. */
export interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/** What an AdamW step needs besides the tensors: the numbers of step t. */
export interface AdamWStep {
  learningRate: number;
  weightDecay: number;
  /** 0: no clipping. */
  maxGradNorm: number;
  /** beta1^t and beta2^t as float32 running products (t = this step, from 1). */
  accBeta1: number;
  accBeta2: number;
}

/** beta^(t+1) from beta^t, as tfjs's Adam computes it on the device in float32. */
export function nextAccBeta(acc: number, beta: number): number {
  return Math.fround(Math.fround(acc) * Math.fround(beta));
}

/**
 * The gradients' global L2 norm, and the coefficient clip_grad_norm_ scales them by (undefined when
 * maxNorm is 0). Not tf.addN: tfjs-backend-webgpu 4.22's AddN sums only the first inputs (18
 * scalars gave 0); stack + sum is right on every backend.
 */
export function globalNorm(
  grads: tf.Tensor[],
  maxNorm: number,
): { norm: tf.Scalar; coefficient: tf.Scalar | undefined } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.stack(grads.map((g) => tf.sum(tf.square(g)))))) as tf.Scalar;
    if (!(maxNorm > 0)) return { norm, coefficient: undefined };
    return { norm, coefficient: tf.minimum(tf.div(maxNorm, tf.add(norm, CLIP_EPSILON)), 1) as tf.Scalar };
  });
}

/**
 * One clipped AdamW step over every parameter, in plain tfjs ops. `decays[i]` says whether
 * parameter i takes weight decay. Returns the norm before clipping (a device scalar).
 */
export function adamwStepPlain(
  params: tf.Variable[],
  grads: tf.Tensor[],
  moments: Moments[],
  decays: boolean[],
  s: AdamWStep,
): tf.Scalar {
  return adamwStepOn(params, grads, moments, decays, s, false);
}

/** adamwStepPlain, each parameter's update on the WebAssembly kernel where it runs (wasm/adamw.ts). */
export function adamwStep(
  params: tf.Variable[],
  grads: tf.Tensor[],
  moments: Moments[],
  decays: boolean[],
  s: AdamWStep,
): tf.Scalar {
  return adamwStepOn(params, grads, moments, decays, s, wasmAdamWOn());
}

function adamwStepOn(
  params: tf.Variable[],
  grads: tf.Tensor[],
  moments: Moments[],
  decays: boolean[],
  s: AdamWStep,
  wasm: boolean,
): tf.Scalar {
  const { norm, coefficient } = globalNorm(grads, s.maxGradNorm);
  if (wasm) {
    updateOnWasm(params, grads, moments, decays, s, coefficient);
    coefficient?.dispose();
    return norm;
  }
  tf.tidy(() => {
    const keep = 1 - s.learningRate * s.weightDecay;
    const oneMinusAcc1 = tf.sub(1, s.accBeta1);
    const oneMinusAcc2 = tf.sub(1, s.accBeta2);
    for (const [i, w] of params.entries()) {
      const g = coefficient ? tf.mul(grads[i]!, coefficient) : grads[i]!;
      const { m, v } = moments[i]!;
      if (decays[i] && s.weightDecay > 0) w.assign(tf.mul(w, keep));
      const m1 = tf.add(tf.mul(m, ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1));
      const v1 = tf.add(tf.mul(v, ADAM_BETA2), tf.mul(tf.square(g), 1 - ADAM_BETA2));
      const mHat = tf.div(m1, oneMinusAcc1);
      const vHat = tf.div(v1, oneMinusAcc2);
      m.assign(m1);
      v.assign(v1);
      w.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), ADAM_EPSILON)), -s.learningRate), w));
    }
  });
  coefficient?.dispose();
  return norm;
}

function updateOnWasm(
  params: tf.Variable[],
  grads: tf.Tensor[],
  moments: Moments[],
  decays: boolean[],
  s: AdamWStep,
  coefficient: tf.Scalar | undefined,
): void {
  // As the composition makes its scalars: float32, 1 - beta^t subtracted in float32.
  const decayKeep = Math.fround(1 - s.learningRate * s.weightDecay);
  const numbers = {
    learningRate: Math.fround(s.learningRate),
    oneMinusAcc1: Math.fround(1 - Math.fround(s.accBeta1)),
    oneMinusAcc2: Math.fround(1 - Math.fround(s.accBeta2)),
  };
  for (const [i, w] of params.entries()) {
    const { m, v } = moments[i]!;
    const keep = decays[i] && s.weightDecay > 0 ? decayKeep : 1;
    const [w1, m1, v1] = adamwOnWasm(w, grads[i]!, m, v, coefficient, { ...numbers, keep });
    w.assign(w1);
    m.assign(m1);
    v.assign(v1);
    tf.dispose([w1, m1, v1]);
  }
}
