// A training step's loss and its metrics on RM Lab's WebGPU kernels (model/ops/webgpu/pair-loss.ts):
// one dispatch for the loss, one for its gradient, one for the step's five metrics, and the batch's
// per-pair numbers in one upload (batch.ts `pairs`). The plain compositions in loss.ts stay the
// reference (the probes below check the kernels against them before a run) and the path everywhere
// else: other backends, Davidson's ties, ODIN's penalty and accumulated micro-batches.
import * as tf from '@tensorflow/tfjs';
import { pairLossGradKernel, pairLossKernel, stepMetricsKernel } from '../model/ops/webgpu/pair-loss.ts';
import { kernelsOn, registerProbe } from '../model/ops/webgpu/program.ts';
import { decisiveCorrect, pairLosses, weightedLossShare, type LossOptions } from './loss.ts';

/** Whether a step with these options may take the kernels (Bradley-Terry, one micro-batch, no ODIN penalty). */
export function fusedLossApplies(options: LossOptions, microBatches: number, odin: boolean): boolean {
  return kernelsOn() && options.ties === 'drop' && microBatches === 1 && !odin;
}

/** [PAIR_ROWS, B] -> the rows loss.ts reads. */
function rowsOf(pairs: tf.Tensor2D) {
  const [margin, chosen, rejected, tie, decisive, weight] = tf.unstack(pairs) as tf.Tensor1D[];
  return { margin: margin!, outcome: { chosen: chosen!, rejected: rejected!, tie: tie! }, decisive, weight: weight! };
}

/** The plain composition: loss.ts's pair losses, weighted, summed and divided by `total`. */
export function bradleyTerryPlain(rewards: tf.Tensor1D, pairs: tf.Tensor2D, centerRewards: number, total: number) {
  return tf.tidy(() => {
    const [rc, rr] = tf.split(rewards, 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
    const r = rowsOf(pairs);
    const options: LossOptions = { ties: 'drop', tieNu: 1, centerRewards };
    return weightedLossShare(pairLosses(rc, rr, r.margin, r.outcome, options), r.weight, total);
  });
}

/**
 * A batch's share of its step's Bradley-Terry loss (loss.ts pairLosses + weightedLossShare):
 * rewards [2B] (chosen rows, then rejected), pairs [PAIR_ROWS, B], total = the step's weight sum.
 */
export function bradleyTerryShare(
  rewards: tf.Tensor1D,
  pairs: tf.Tensor2D,
  centerRewards: number,
  total: number,
): tf.Scalar {
  if (!kernelsOn()) return bradleyTerryPlain(rewards, pairs, centerRewards, total);
  return bradleyTerryOnKernel(rewards, pairs, centerRewards, total);
}

function bradleyTerryOnKernel(rewards: tf.Tensor1D, pairs: tf.Tensor2D, centerRewards: number, total: number) {
  const op = tf.customGrad((r, save) => {
    (save as tf.GradSaveFunc)([r as tf.Tensor]);
    return {
      value: tf.reshape(pairLossKernel(r as tf.Tensor, pairs, centerRewards, total), []),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => pairLossGradKernel(dy, saved[0]!, pairs, centerRewards, total),
    };
  });
  return op(rewards) as tf.Scalar;
}

/** [loss, accuracy, gradient norm, mean reward, reward std] as the trainer reports them, composed of plain ops. */
export function stepMetricsPlain(loss: tf.Scalar, norm: tf.Scalar, rewards: tf.Tensor1D, correct: tf.Tensor1D) {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(rewards);
    const [right, decisive] = tf.unstack(correct) as [tf.Scalar, tf.Scalar];
    return tf.stack([loss, tf.div(right, tf.maximum(decisive, 1)), norm, mean, tf.sqrt(variance)]) as tf.Tensor1D;
  });
}

/** The same five numbers in one dispatch (on the kernels), from one batch's rewards [2B] and pairs. */
export function stepMetrics(loss: tf.Scalar, norm: tf.Scalar, rewards: tf.Tensor1D, pairs: tf.Tensor2D): tf.Tensor1D {
  if (kernelsOn()) return stepMetricsKernel(loss, norm, rewards, pairs);
  return tf.tidy(() => {
    const [rc, rr] = tf.split(rewards, 2) as [tf.Tensor1D, tf.Tensor1D];
    return stepMetricsPlain(loss, norm, rewards, decisiveCorrect(rc, rr, rowsOf(pairs).decisive!));
  });
}

registerProbe(() =>
  tf.tidy(() => {
    // 5 pairs: soft targets, a tie, a margin, sample weights; large |z| on both sides of softplus' thresholds.
    const rewards = tf.tensor1d([0.3, -1.2, 20, 2, -0.5, 0.1, 0.4, -18, 2, 1.5]);
    const pairs = tf.tensor2d(
      [
        [0, 0.5, 0, 0, 1],
        [1, 0.8, 1, 0, 1],
        [0, 0.2, 0, 0, 0],
        [0, 0, 0, 1, 0],
        [1, 1, 1, 0, 1],
        [1, 2, 0.5, 1, 1],
      ],
      [6, 5],
    );
    const dy = tf.scalar(0.7);
    const grad = (f: (r: tf.Tensor1D) => tf.Tensor) => tf.grad((r) => tf.mul(f(r as tf.Tensor1D), dy))(rewards);
    const fused = (r: tf.Tensor1D) => bradleyTerryOnKernel(r, pairs, 0.01, 4.5);
    const plain = (r: tf.Tensor1D) => bradleyTerryPlain(r, pairs, 0.01, 4.5);
    const [rc, rr] = tf.split(rewards, 2) as [tf.Tensor1D, tf.Tensor1D];
    const correct = decisiveCorrect(rc, rr, tf.unstack(pairs)[4] as tf.Tensor1D);
    const loss = plain(rewards);
    const norm = tf.scalar(3.25);
    const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));
    return {
      name: 'pair loss and step metrics',
      kernel: flat([fused(rewards), grad(fused), stepMetricsKernel(loss, norm, rewards, pairs)]),
      plain: flat([loss, grad(plain), stepMetricsPlain(loss, norm, rewards, correct)]),
      tolerance: 1e-5,
    };
  }),
);
