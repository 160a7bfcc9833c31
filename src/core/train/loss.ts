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
