// The pairwise (Bradley-Terry) reward-model loss.
//
// P(chosen > rejected) = sigmoid(r_chosen - r_rejected - margin), and the loss is its negative
// log-likelihood, -log sigmoid(r_c - r_r - m), as TRL's RewardTrainer computes it. It is written as
// softplus(r_r - r_c + m), the same function: tf.logSigmoid breaks gradients in tfjs 4.22 (see the guide).
import * as tf from '@tensorflow/tfjs';

/** rChosen, rRejected [B]; margin [B] or omitted -> mean loss, a scalar. */
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
