// Training a quick head: minibatch Adam on the Bradley-Terry loss (loss.ts) over the training pairs'
// embeddings, a seeded order each epoch, and after each epoch the held-out loss and accuracy. The
// weights kept are those of the epoch with the lowest held-out loss (as a run keeps its best
// checkpoint): on a few hundred pairs a head can overfit within the epochs asked for.
import * as tf from '@tensorflow/tfjs';
import { mulberry32, permutation } from '../train/shuffle.ts';
import type { NamedWeight } from '../model/reward-model.ts';
import type { QuickHeadConfig } from './config.ts';
import { QuickHead, type QuickHeadShape } from './head.ts';
import { quickHeadLoss } from './loss.ts';

/** Pairs as embeddings, oriented chosen / rejected: row i of each is pair i, `size` floats a row. */
export interface PairEmbeddings {
  count: number;
  size: number;
  chosen: Float32Array;
  rejected: Float32Array;
}

export interface QuickHeadEpoch {
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's batches (with the L2 term). */
  trainLoss: number;
  /** Bradley-Terry loss of the ensemble's reward on the held-out pairs (NaN without any). */
  heldOutLoss: number;
  heldOutAccuracy: number;
}

export interface HeldOutScores {
  /** Held-out pairs the ensemble ordered strictly right. */
  correct: number;
  n: number;
  /** Each member's accuracy on the same pairs. */
  memberAccuracy: number[];
  /** Mean over held-out pairs of the members' standard deviation of r_chosen - r_rejected (0 for one member). */
  meanSpread: number;
}

export interface QuickHeadResult {
  shape: QuickHeadShape;
  weights: NamedWeight[];
  epochs: QuickHeadEpoch[];
  /** The epoch whose weights were kept (lowest held-out loss; the last without held-out pairs). */
  bestEpoch: number;
  heldOut: HeldOutScores;
  seconds: number;
}

export interface FitHooks {
  onEpoch?: (epoch: QuickHeadEpoch) => void;
  /** Asked between batches; true stops the fit, which then throws 'stopped'. */
  shouldStop?: () => boolean;
}

/**
 * Each member's count of each training pair: all 1 for 'seeds'; a bootstrap resample (n draws with
 * replacement, seeded per member) for 'bootstrap'. [K * n], member-major.
 */
export function memberWeights(config: Pick<QuickHeadConfig, 'members' | 'ensemble' | 'seed'>, n: number): Float32Array {
  const w = new Float32Array(config.members * n);
  if (config.ensemble === 'seeds') return w.fill(1);
  for (let k = 0; k < config.members; k++) {
    const random = mulberry32(config.seed * 31 + k + 1);
    for (let draw = 0; draw < n; draw++) w[k * n + Math.floor(random() * n)]! += 1;
  }
  return w;
}

/** Rows `rows` of a flat [n, size] array as a [rows.length, size] tensor. */
function gatherRows(flat: Float32Array, size: number, rows: readonly number[]): tf.Tensor2D {
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => out.set(flat.subarray(r * size, (r + 1) * size), i * size));
  return tf.tensor2d(out, [rows.length, size]);
}

function batchWeights(all: Float32Array, n: number, K: number, rows: readonly number[]): tf.Tensor2D {
  const out = new Float32Array(K * rows.length);
  for (let k = 0; k < K; k++) rows.forEach((r, i) => (out[k * rows.length + i] = all[k * n + r]!));
  return tf.tensor2d(out, [K, rows.length]);
}

export async function fitQuickHead(
  train: PairEmbeddings,
  heldOut: PairEmbeddings,
  config: QuickHeadConfig,
  hooks: FitHooks = {},
): Promise<QuickHeadResult> {
  if (train.count === 0) throw new Error('no training pairs with a winner: a quick head needs some to learn from');
  const started = performance.now();
  const shape: QuickHeadShape = {
    head: config.head,
    inputSize: train.size,
    hiddenUnits: config.hiddenUnits,
    members: config.members,
  };
  const head = QuickHead.create(shape, config.seed);
  const optimizer = tf.train.adam(config.learningRate, 0.9, 0.999, 1e-8);
  const weights = memberWeights(config, train.count);
  const epochs: QuickHeadEpoch[] = [];
  let best: { epoch: number; loss: number; weights: NamedWeight[] } | undefined;
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const trainLoss = await trainEpoch(head, optimizer, train, weights, config, epoch, hooks);
      const scores = heldOut.count > 0 ? await evaluate(head, heldOut) : undefined;
      const point: QuickHeadEpoch = {
        epoch,
        epochs: config.epochs,
        trainLoss,
        heldOutLoss: scores?.loss ?? Number.NaN,
        heldOutAccuracy: scores ? scores.correct / heldOut.count : Number.NaN,
      };
      epochs.push(point);
      hooks.onEpoch?.(point);
      if (!best || !scores || scores.loss < best.loss)
        best = { epoch, loss: scores?.loss ?? Number.NaN, weights: await head.getWeights() };
    }
    const kept = QuickHead.fromWeights(shape, best!.weights);
    try {
      const final = heldOut.count > 0 ? await evaluate(kept, heldOut) : undefined;
      return {
        shape,
        weights: best!.weights,
        epochs,
        bestEpoch: best!.epoch,
        heldOut: final ?? { correct: 0, n: 0, memberAccuracy: [], meanSpread: Number.NaN },
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      kept.dispose();
    }
  } finally {
    head.dispose();
    optimizer.dispose();
  }
}

async function trainEpoch(
  head: QuickHead,
  optimizer: tf.Optimizer,
  train: PairEmbeddings,
  weights: Float32Array,
  config: QuickHeadConfig,
  epoch: number,
  hooks: FitHooks,
): Promise<number> {
  const order = permutation(train.count, config.seed + epoch);
  const losses: tf.Scalar[] = [];
  for (let start = 0; start < order.length; start += config.batchSize) {
    if (hooks.shouldStop?.()) {
      tf.dispose(losses);
      throw new Error('stopped');
    }
    const rows = order.slice(start, start + config.batchSize);
    const chosen = gatherRows(train.chosen, train.size, rows);
    const rejected = gatherRows(train.rejected, train.size, rows);
    const w = batchWeights(weights, train.count, config.members, rows);
    const loss = optimizer.minimize(() => quickHeadLoss(head, chosen, rejected, w, config.l2), true, head.variables);
    if (loss) losses.push(tf.mul(loss, rows.length / order.length) as tf.Scalar);
    tf.dispose([chosen, rejected, w]);
    loss?.dispose();
  }
  const total = tf.addN(losses);
  const value = (await total.data())[0]!;
  tf.dispose([total, ...losses]);
  return value;
}

/** The ensemble on held-out pairs: its loss and strict accuracy, each member's accuracy, the spread. */
export async function evaluate(head: QuickHead, pairs: PairEmbeddings): Promise<HeldOutScores & { loss: number }> {
  const all = Array.from({ length: pairs.count }, (_, i) => i);
  const chosen = gatherRows(pairs.chosen, pairs.size, all);
  const rejected = gatherRows(pairs.rejected, pairs.size, all);
  const gaps = tf.tidy(() => tf.sub(head.memberRewards(chosen), head.memberRewards(rejected))); // [K, n]
  const data = (await gaps.data()) as Float32Array;
  tf.dispose([chosen, rejected, gaps]);
  return scoreGaps(data, head.shape.members, pairs.count);
}

/** From each member's r_chosen - r_rejected [K * n]: the ensemble's loss and accuracy, and the spread. */
export function scoreGaps(gaps: Float32Array, K: number, n: number): HeldOutScores & { loss: number } {
  let loss = 0;
  let correct = 0;
  let spread = 0;
  const memberCorrect = new Array<number>(K).fill(0);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < K; k++) {
      const g = gaps[k * n + i]!;
      mean += g / K;
      if (g > 0) memberCorrect[k]!++;
    }
    let variance = 0;
    for (let k = 0; k < K; k++) variance += (gaps[k * n + i]! - mean) ** 2 / K;
    spread += Math.sqrt(variance) / n;
    loss += softplus(-mean) / n;
    if (mean > 0) correct++;
  }
  return { loss, correct, n, memberAccuracy: memberCorrect.map((c) => c / n), meanSpread: spread };
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
