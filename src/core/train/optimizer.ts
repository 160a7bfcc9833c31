// AdamW (Loshchilov & Hutter) as torch.optim.AdamW computes it, on top of tfjs's Adam, plus
// gradient clipping by global norm as torch.nn.utils.clip_grad_norm_ does it.
//
// tfjs has only Adam. AdamW is Adam with the weight decay taken out of the gradient and applied to the
// weights directly, before the Adam update and with the step's learning rate:
//   w <- w * (1 - lr_t * weight_decay)          (torch: param.mul_(1 - lr * weight_decay))
//   w <- w - lr_t * m_hat / (sqrt(v_hat) + eps)  (tfjs Adam with its learningRate set to lr_t)
// tfjs's Adam update is torch's with the bias corrections written the other way round, the same
// number; its default epsilon is 1e-7 (tf.backend().epsilon()), torch's and the HF Trainer's 1e-8,
// so 1e-8 is passed. Adam's state (moments, iteration, beta powers) is saved by checkpoint.ts; the
// decay keeps no state, and the learning rate is a function of the step (schedule.ts).
//
// Which weights decay: as the HF Trainer (get_decay_parameter_names), not biases and not LayerNorm
// weights. Every such parameter here is a vector and every other one (embeddings, projections, the
// reward head's weight) a matrix, so a parameter decays when it has two or more dimensions. That is
// true of the built-in encoder and of BERT checkpoints alike, and needs no list of names.
import * as tf from '@tensorflow/tfjs';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-8;

/** Whether AdamW's weight decay applies to a parameter (biases and LayerNorm gains/shifts are vectors). */
export function decays(variable: tf.Variable): boolean {
  return variable.rank >= 2;
}

export class AdamW {
  /** The tfjs Adam underneath: its state is what a checkpoint saves. */
  readonly adam: tf.AdamOptimizer;
  private readonly decayed: tf.Variable[];

  constructor(
    variables: tf.Variable[],
    private readonly weightDecay: number,
  ) {
    this.adam = tf.train.adam(1, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON);
    this.decayed = weightDecay > 0 ? variables.filter(decays) : [];
  }

  /** One update with learning rate `lr` from gradients keyed by variable name (as variableGrads gives them). */
  step(grads: tf.NamedTensorMap, lr: number): void {
    if (this.decayed.length > 0) {
      const keep = 1 - lr * this.weightDecay;
      tf.tidy(() => {
        for (const v of this.decayed) v.assign(tf.mul(v, keep));
      });
    }
    // Adam reads its (protected) learningRate afresh at every update: the schedule sets it per step.
    (this.adam as unknown as { learningRate: number }).learningRate = lr;
    this.adam.applyGradients(grads as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
  }

  dispose(): void {
    this.adam.dispose();
  }
}

/**
 * The gradients' global L2 norm, and the gradients scaled so it is at most `maxNorm` (0: left as
 * they are), as clip_grad_norm_: coefficient maxNorm / (norm + 1e-6), applied only when below 1. On
 * the device: no read-back. The returned map holds new tensors; the caller disposes both maps.
 */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): { norm: tf.Scalar; clipped: tf.NamedTensorMap | undefined } {
  return tf.tidy(() => {
    // Not tf.addN: tfjs-backend-webgpu 4.22's AddN sums only the first inputs (18 scalars gave 0;
    // tests/browser/webgpu-ops.test.ts keeps watch). stack + sum is right on every backend.
    const norm = tf.sqrt(tf.sum(tf.stack(Object.values(grads).map((g) => tf.sum(tf.square(g)))))) as tf.Scalar;
    if (!(maxNorm > 0)) return { norm, clipped: undefined };
    const coefficient = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, coefficient);
    return { norm, clipped };
  });
}
