// A training step's Bradley-Terry loss, its gradient and its metrics as one WGSL dispatch each (see
// ../../../train/fused-loss.ts for where they run and the plain composition they replace: ~17
// dispatches forward, ~8 backward and ~10 for the metrics, and 7 small uploads a step).
//
// The batch's per-pair numbers come in one [6, B] tensor (batch.ts PAIR_ROWS: margin, chosen weight,
// rejected weight, tie weight, decisive, sample weight), uploaded once. B is a batch of pairs (tens),
// so the loss and the metrics are one thread's loop: no reduction tree, and the sums are in pair order.
import type * as tf from '@tensorflow/tfjs';
import { program, run } from './program.ts';

/**
 * tfjs's softplus, as its cpu and webgpu kernels compute it: the identity above a threshold, exp(x)
 * below one, log(1 + exp(x)) between (float32 epsilon 2^-23).
 */
const SOFTPLUS = `
fn softplus_(x : f32) -> f32 {
  let threshold = log(1.1920928955078125e-7) + 2.0;
  if (x > -threshold) { return x; }
  if (x < threshold) { return exp(x); }
  return log(1.0 + exp(x));
}
fn sigmoid_(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }`;

/** Pair p's numbers: z = r_chosen - r_rejected - margin, and its row's weights. */
const PAIR = `
  let B = uniforms.B;
  let rc = rewards[p];
  let rr = rewards[B + p];
  let z = rc - rr - pairs[p];
  let wc = pairs[B + p];
  let wr = pairs[2 * B + p];
  let w = pairs[5 * B + p];`;

const UNIFORMS = 'B : i32, center : f32, total : f32,';
const numbers = (B: number, center: number, total: number) => [
  { type: 'int32' as const, data: [B] },
  { type: 'float32' as const, data: [center] },
  { type: 'float32' as const, data: [total] },
];

/** sum_p w_p (wc softplus(-z) + wr softplus(z) + center (rc + rr)^2) / total: rewards [2B], pairs [6, B] -> [1] */
export function pairLossKernel(rewards: tf.Tensor, pairs: tf.Tensor, center: number, total: number): tf.Tensor1D {
  const B = pairs.shape[1]!;
  const p = program(
    'pair_loss',
    ['rewards', 'pairs'],
    [1],
    1,
    `${SOFTPLUS}
fn main(index : i32) {
  if (index != 0) { return; }
  var s = 0.0;
  for (var p = 0; p < uniforms.B; p++) {${PAIR}
    var l = wc * softplus_(-z) + wr * softplus_(z);
    if (uniforms.center > 0.0) { l += (rc + rr) * (rc + rr) * uniforms.center; }
    s += l * w;
  }
  result[0] = s / uniforms.total;
}`,
    UNIFORMS,
  );
  return run(p, [rewards, pairs], numbers(B, center, total)) as tf.Tensor1D;
}

/** d loss / d rewards [2B] from dy [] (the chosen rows, then the rejected ones). */
export function pairLossGradKernel(
  dy: tf.Tensor,
  rewards: tf.Tensor,
  pairs: tf.Tensor,
  center: number,
  total: number,
): tf.Tensor1D {
  const B = pairs.shape[1]!;
  const p = program(
    'pair_loss_grad',
    ['dy', 'rewards', 'pairs'],
    [2 * B],
    2 * B,
    `${SOFTPLUS}
fn main(index : i32) {
  if (index >= 2 * uniforms.B) { return; }
  let p = index % uniforms.B;${PAIR}
  // d loss_p / dz; z rises with the chosen reward and falls with the rejected one.
  let dz = -wc * sigmoid_(-z) + wr * sigmoid_(z);
  var d = select(-dz, dz, index < B);
  if (uniforms.center > 0.0) { d += 2.0 * uniforms.center * (rc + rr); }
  result[index] = dy[0] * d * w / uniforms.total;
}`,
    UNIFORMS,
  );
  return run(p, [dy, rewards, pairs], numbers(B, center, total)) as tf.Tensor1D;
}

/**
 * [loss, accuracy, gradient norm, mean reward, reward std] of a step: accuracy over the decisive
 * pairs (rc > rr strictly), mean and (biased) std over all 2B rewards, as tf.moments.
 */
export function stepMetricsKernel(loss: tf.Tensor, norm: tf.Tensor, rewards: tf.Tensor, pairs: tf.Tensor): tf.Tensor1D {
  const B = pairs.shape[1]!;
  const p = program(
    'step_metrics',
    ['loss', 'norm', 'rewards', 'pairs'],
    [5],
    1,
    `
fn main(index : i32) {
  if (index != 0) { return; }
  let B = uniforms.B;
  var right = 0.0;
  var decisive = 0.0;
  var rsum = 0.0;
  for (var p = 0; p < B; p++) {
    let d = pairs[4 * B + p];
    right += select(0.0, d, rewards[p] > rewards[B + p]);
    decisive += d;
    rsum += rewards[p] + rewards[B + p];
  }
  let mean = rsum / f32(2 * B);
  var sq = 0.0;
  for (var i = 0; i < 2 * B; i++) { sq += (rewards[i] - mean) * (rewards[i] - mean); }
  result[0] = loss[0];
  result[1] = right / max(decisive, 1.0);
  result[2] = norm[0];
  result[3] = mean;
  result[4] = sqrt(sq / f32(2 * B));
}`,
    UNIFORMS,
  );
  return run(p, [loss, norm, rewards, pairs], numbers(B, 0, 1)) as tf.Tensor1D;
}
