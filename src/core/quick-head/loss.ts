// The quick head's training loss: Bradley-Terry on each member, softplus(r_rejected - r_chosen) per
// pair (the same function as -log sigmoid(r_c - r_r), written so because tf.logSigmoid breaks
// gradients in tfjs 4.22), weighted per member (a bootstrap member counts each pair as often as its
// resample drew it), plus an L2 penalty on the weight matrices:
//   L_k = sum_i w_ki softplus(r_k(rejected_i) - r_k(chosen_i)) / B + (l2 / 2) sum ||W_k||^2
//   L   = mean_k L_k
// Dividing by B (not by sum_i w_ki) keeps a batch in which a member drew no pair at zero, and the
// expected loss the same as an unweighted member's. The mean over members lets one Adam train them
// all at once: member k's weights get exactly the gradient of L_k / K.
import * as tf from '@tensorflow/tfjs';
import type { QuickHead } from './head.ts';

/** chosen, rejected [B, D]; weights [K, B] (each member's count of each pair) -> the loss L, a scalar. */
export function quickHeadLoss(
  head: QuickHead,
  chosen: tf.Tensor2D,
  rejected: tf.Tensor2D,
  weights: tf.Tensor2D,
  l2: number,
): tf.Scalar {
  return tf.tidy(() => {
    const B = chosen.shape[0];
    const K = head.shape.members;
    const terms: tf.Scalar[] = [];
    for (let k = 0; k < K; k++) {
      const gap = tf.sub(head.memberReward(k, rejected), head.memberReward(k, chosen)); // [B]
      const w = tf.reshape(tf.slice(weights, [k, 0], [1, B]), [B]); // [B]
      let term = tf.div(tf.sum(tf.mul(w, tf.softplus(gap))), B) as tf.Scalar;
      if (l2 > 0) {
        const squares = head.matrices(k).map((m) => tf.sum(tf.square(m)));
        term = tf.add(term, tf.mul(l2 / 2, tf.addN(squares))) as tf.Scalar;
      }
      terms.push(term);
    }
    return tf.div(tf.addN(terms), K) as tf.Scalar;
  });
}
