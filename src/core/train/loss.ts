// The reward-model losses, one per pair, from the two rewards of each pair.
//
// Every pair carries an outcome: how much weight its evidence puts on "chosen wins", "rejected wins"
// and "tie" (they sum to 1). A hard label is (1, 0, 0); annotator votes give soft weights; a tie is
// (0, 0, 1). With z = r_chosen - r_rejected - margin (TRL's margin column, subtracted as TRL does):
//
// Bradley-Terry, P(chosen wins) = sigmoid(z). The loss is the cross-entropy of the outcome against it,
//   w_c softplus(-z) + w_r softplus(z),
// which is TRL's -log sigmoid(r_c - r_r - m) for a hard label and binary cross-entropy with a soft label
// otherwise. Written with softplus: tf.logSigmoid breaks gradients in tfjs 4.22 (see the guide). Ties
// have no place in this model; with ties kept out of training they never get here, and in soft targets a
// tie vote counts half for each side (data.ts).
//
// Davidson (1970), the tie-aware extension: P(i wins) = e^{r_i} / D, P(tie) = nu e^{(r_i + r_j)/2} / D,
// D = e^{r_i} + e^{r_j} + nu e^{(r_i + r_j)/2}. Dividing through by e^{(r_i + r_j)/2},
//   -log P(chosen wins) = log D' - z/2,  -log P(rejected wins) = log D' + z/2,  -log P(tie) = log D' - log nu,
//   D' = e^{z/2} + e^{-z/2} + nu,   log D' = |z|/2 + log1p(e^{-|z|} + nu e^{-|z|/2})  (no overflow),
// and the loss is w_c (log D' - z/2) + w_r (log D' + z/2) + w_t (log D' - log nu). As nu -> 0 it is
// Bradley-Terry. Davidson rather than Rao-Kupper: the dataset statistics' leaderboard fits Davidson's
// model (src/core/data/stats/leaderboard.ts), so "how often equal responses tie" means one thing across
// the app, and its tie probability has a closed form in the reward gap. nu is a fixed option, not learned:
// learned, it would be a parameter of the loss that scoring never uses, yet the checkpoint, the model file
// and the optimizer would all have to carry it; the leaderboard's fitted nu is a good value to set it to.
//
// Sample weights: each pair may carry a weight w_i > 0 (pairs derived from implicit feedback carry their
// rule's; see src/core/data/implicit/derive.ts). A step's loss is the weighted mean
//   sum_i w_i loss_i / sum_i w_i
// over the step's pairs (all micro-batches), so the weights set how much each pair counts relative to
// the others, not the step size: scaling every weight by the same factor changes nothing, and with all
// weights 1 it is the plain mean. Held-out loss and accuracy are not weighted.
//
// Reward centering (TRL's center_rewards_coefficient): + coef * (r_c + r_r)^2 per pair, so the batch
// mean of it is TRL's coef * mean((r_c + r_r)^2). It keeps rewards near zero, which the pairwise loss
// alone (blind to a shift of all rewards) does not.
import * as tf from '@tensorflow/tfjs';
import type { TieChoice } from './config.ts';

/** The Ties field's choices (TRAIN_FIELDS.ties). */
export type TieModel = TieChoice;

export interface LossOptions {
  /** 'drop': Bradley-Terry (ties never reach the loss); 'davidson': Davidson's tie-aware model. */
  ties: TieModel;
  /** Davidson's nu (> 0); unused by Bradley-Terry. */
  tieNu: number;
  /** TRL's center_rewards_coefficient; 0 turns centering off. */
  centerRewards: number;
  /** ODIN's decorrelation weight (lengthCorrelationPenalty), for models whose length term is 'odin'. */
  odinWeight?: number;
}

export const BRADLEY_TERRY: LossOptions = { ties: 'drop', tieNu: 1, centerRewards: 0 };

/** The weights a pair's evidence puts on each outcome, [B] each; they sum to 1 per pair. */
export interface OutcomeWeights {
  chosen: tf.Tensor1D;
  rejected: tf.Tensor1D;
  tie: tf.Tensor1D;
}

/** The loss of each pair, [B] (their mean is the batch loss). */
export function pairLosses(
  rChosen: tf.Tensor1D,
  rRejected: tf.Tensor1D,
  margin: tf.Tensor1D,
  outcome: OutcomeWeights,
  options: LossOptions,
): tf.Tensor1D {
  return tf.tidy(() => {
    const z = tf.sub(tf.sub(rChosen, rRejected), margin);
    let loss: tf.Tensor;
    if (options.ties === 'davidson') {
      if (!(options.tieNu > 0)) throw new Error(`Davidson's tie parameter must be positive, got ${options.tieNu}`);
      const absZ = tf.abs(z);
      const logD = tf.add(
        tf.mul(absZ, 0.5),
        tf.log1p(tf.add(tf.exp(tf.neg(absZ)), tf.mul(tf.exp(tf.mul(absZ, -0.5)), options.tieNu))),
      );
      // w_c + w_r + w_t = 1, so the three terms share log D' once.
      loss = tf.sub(
        tf.sub(logD, tf.mul(tf.sub(outcome.chosen, outcome.rejected), tf.mul(z, 0.5))),
        tf.mul(outcome.tie, Math.log(options.tieNu)),
      );
    } else {
      loss = tf.add(tf.mul(outcome.chosen, tf.softplus(tf.neg(z))), tf.mul(outcome.rejected, tf.softplus(z)));
    }
    if (options.centerRewards > 0) {
      loss = tf.add(loss, tf.mul(tf.square(tf.add(rChosen, rRejected)), options.centerRewards));
    }
    return loss as tf.Tensor1D;
  });
}

/**
 * sum_i w_i loss_i / total: a micro-batch's share of its step's weighted mean loss, where `total` is
 * the sum of the weights over the whole step (every micro-batch), so the shares add up to the mean.
 */
export function weightedLossShare(losses: tf.Tensor1D, weight: tf.Tensor1D, total: number): tf.Scalar {
  if (!(total > 0)) throw new Error(`the step's sample weights must sum to a positive number, got ${total}`);
  return tf.tidy(() => tf.div(tf.sum(tf.mul(losses, weight)), total) as tf.Scalar);
}

/** rChosen, rRejected [B]; margin [B] or omitted -> mean Bradley-Terry loss of hard labels, a scalar. */
export function bradleyTerryLoss(rChosen: tf.Tensor1D, rRejected: tf.Tensor1D, margin?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    let diff = tf.sub(rRejected, rChosen);
    if (margin) diff = tf.add(diff, margin);
    return tf.mean(tf.softplus(diff)) as tf.Scalar;
  });
}

/** Fraction of pairs the model orders correctly, counted strictly (a tie of rewards is wrong), as RewardBench does. */
export function pairwiseAccuracy(rChosen: tf.Tensor1D, rRejected: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.greater(rChosen, rRejected), 'float32')) as tf.Scalar);
}

/**
 * Accuracy over the pairs that have a winner (`decisive` is 1 for them, 0 for ties), the sum and the
 * count as a [2] tensor so micro-batches add up; a batch of ties only counts nothing.
 */
export function decisiveCorrect(rChosen: tf.Tensor1D, rRejected: tf.Tensor1D, decisive: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.stack([
        tf.sum(tf.mul(tf.cast(tf.greater(rChosen, rRejected), 'float32'), decisive)),
        tf.sum(decisive),
      ]) as tf.Tensor1D,
  );
}

/**
 * ODIN's decorrelation penalty (Chen et al. 2024, "ODIN: Disentangled Reward Mitigates Hacking in
 * RLHF"): |Pearson correlation| between the quality part of the rewards and log response length
 * over a batch's responses (chosen and rejected together), [N] each -> a scalar in [0, 1].
 * The paper also rewards the length head's correlation with length; here the length part is
 * w * log(1 + n) itself (reward-model.ts), whose correlation with log length is exactly 1 whatever
 * w is, so that half of the penalty is a constant and left out. A batch whose lengths (or rewards)
 * are all equal has no correlation to measure: EPS keeps the ratio finite, and the penalty is ~0.
 */
export function lengthCorrelationPenalty(quality: tf.Tensor1D, logLength: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.sub(quality, tf.mean(quality));
    const l = tf.sub(logLength, tf.mean(logLength));
    const cov = tf.sum(tf.mul(q, l));
    const norms = tf.sqrt(tf.add(tf.mul(tf.sum(tf.square(q)), tf.sum(tf.square(l))), CORRELATION_EPS));
    return tf.abs(tf.div(cov, norms)) as tf.Scalar;
  });
}

const CORRELATION_EPS = 1e-12;
