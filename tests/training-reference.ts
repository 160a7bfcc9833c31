// The training-core reference fixture (tests/fixtures/training-reference.json, written by
// scripts/reference/training_reference.py) and how a backend's numbers are produced for it: the loss
// variants on given rewards, and the fixture's optimizer steps through the trainer's own step. Shared
// by tests/unit/training-reference.test.ts (cpu, wasm) and tests/browser/training-reference-webgpu.test.ts,
// so it imports nothing from the test runner.
import * as tf from '@tensorflow/tfjs';
import { RewardModel } from '../src/core/model/reward-model.ts';
import type { Outcome, TokenizedPair } from '../src/core/train/batch.ts';
import type { ScheduleChoice, TieChoice } from '../src/core/train/config.ts';
import { bradleyTerryShare } from '../src/core/train/fused-loss.ts';
import { pairLosses, weightedLossShare, type LossOptions } from '../src/core/train/loss.ts';
import { AdamW } from '../src/core/train/optimizer.ts';
import { learningRateAt } from '../src/core/train/schedule.ts';
import { trainStep } from '../src/core/train/trainer.ts';
import fixture from './fixtures/training-reference.json';

export { fixture };

export interface Named {
  name: string;
  shape: number[];
  data: number[];
}
export interface OptimizerCase {
  name: string;
  lrSchedule: string;
  warmupRatio: number;
  warmupSteps: number;
  learningRate: number;
  weightDecay: number;
  maxGradNorm: number;
  ties: string;
  tieNu: number;
  centerRewards: number;
  batchSize: number;
  steps: number[][][];
  log: { loss: number; gradNorm: number; learningRate: number }[];
  clippedSteps: number;
  zeroGradient: Record<string, number[]>;
  /** Per-pair sample weights, indexed like the fixture's pairs (absent: every pair 1). */
  weights?: number[];
  start: Named[];
  end: Named[];
}

export function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]!));
  return m;
}

/** max |a - b| over the scale, NaN counted as failing. */
export function relativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale = maxAbs(expected),
): number {
  if (actual.length !== expected.length) return Infinity;
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
  return Number.isNaN(err) ? Infinity : err / Math.max(scale, 1e-12);
}

export const lossCases = fixture.losses.cases;
/** Loss cases with per-pair sample weights: the weighted mean through weightedLossShare. */
export const weightedLossCases = fixture.losses.weighted;
export const optimizerCases = fixture.optimizer as OptimizerCase[];

/**
 * The loss and its gradients w.r.t. the rewards, for one fixture case, on the current backend: the
 * plain mean, or for a case with sample weights the trainer's weighted mean (weightedLossShare over
 * the whole batch as one step).
 */
export async function lossOf(c: (typeof lossCases)[number] & { weights?: number[] }) {
  const { rewards } = fixture.losses;
  const rc = tf.tensor1d(rewards.chosen);
  const rr = tf.tensor1d(rewards.rejected);
  const margin = tf.tensor1d(rewards.margin);
  const outcome = {
    chosen: tf.tensor1d(c.outcome.map((o) => o.chosen)),
    rejected: tf.tensor1d(c.outcome.map((o) => o.rejected)),
    tie: tf.tensor1d(c.outcome.map((o) => o.tie)),
  };
  const options: LossOptions = { ties: c.ties as TieChoice, tieNu: c.tieNu, centerRewards: c.centerRewards };
  const weights = c.weights;
  const weight = tf.tensor1d(weights ?? rewards.chosen.map(() => 1));
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => {
    const losses = pairLosses(a as tf.Tensor1D, b as tf.Tensor1D, margin, outcome, options);
    return weights === undefined
      ? tf.mean(losses)
      : weightedLossShare(
          losses,
          weight,
          weights.reduce((x, y) => x + y, 0),
        );
  })([rc, rr]);
  const out = {
    loss: (await value.data())[0]!,
    gradChosen: await grads[0]!.data(),
    gradRejected: await grads[1]!.data(),
  };
  tf.dispose([rc, rr, margin, weight, outcome.chosen, outcome.rejected, outcome.tie, value, ...grads]);
  return out;
}

/**
 * A Bradley-Terry case's loss and gradients through the fused loss (fused-loss.ts bradleyTerryShare,
 * on the WebGPU kernel where the kernels are on): the pairs packed as batch.ts packs them, divided by
 * the pair count (the plain mean) or by the weights' sum.
 */
export async function fusedLossOf(c: (typeof lossCases)[number] & { weights?: number[] }) {
  const { rewards } = fixture.losses;
  const B = rewards.chosen.length;
  const weights = c.weights ?? rewards.chosen.map(() => 1);
  const rows = [
    rewards.margin,
    c.outcome.map((o) => o.chosen),
    c.outcome.map((o) => o.rejected),
    c.outcome.map((o) => o.tie),
    c.outcome.map((o) => (o.tie === 1 ? 0 : 1)),
    weights,
  ];
  const pairs = tf.tensor2d(rows.flat(), [rows.length, B]);
  const both = tf.tensor1d([...rewards.chosen, ...rewards.rejected]);
  const total = c.weights ? weights.reduce((x, y) => x + y, 0) : B;
  const { value, grad } = tf.valueAndGrad((r: tf.Tensor) =>
    bradleyTerryShare(r as tf.Tensor1D, pairs, c.centerRewards, total),
  )(both);
  const g = await grad.data();
  const out = { loss: (await value.data())[0]!, gradChosen: g.slice(0, B), gradRejected: g.slice(B) };
  tf.dispose([pairs, both, value, grad]);
  return out;
}

/** Under Bradley-Terry a tie share counts half for each side (data.ts's votesOutcome does the same). */
const forBradleyTerry = (o: Outcome): Outcome => ({
  chosen: o.chosen + o.tie / 2,
  rejected: o.rejected + o.tie / 2,
  tie: 0,
});

/**
 * The fixture's steps through the trainer's own step: per-step numbers and the final weights. With
 * `oneBatch`, each step's micro-batches as one batch: the same loss, gradients and update (the
 * trainer divides by the step's pair count either way), through the fused loss where it applies.
 */
export async function runSteps(c: OptimizerCase, oneBatch = false) {
  const model = RewardModel.create(
    {
      encoder: 'builtin-transformer',
      tokenizer: 'builtin',
      transformer: { ...fixture.model, pooling: 'cls' },
    },
    1,
  );
  model.setWeights(c.start.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) })));
  const pairs: TokenizedPair[] = fixture.pairs.map((p) => ({
    chosen: Int32Array.from(p.chosen),
    rejected: Int32Array.from(p.rejected),
    margin: p.margin,
    outcome: c.ties === 'davidson' ? p.outcome : forBradleyTerry(p.outcome),
  }));
  c.weights?.forEach((w, i) => (pairs[i]!.weight = w));
  const optimizer = await AdamW.create(model.trainableVariables, c.weightDecay, c.maxGradNorm);
  const loss: LossOptions = { ties: c.ties as TieChoice, tieNu: c.tieNu, centerRewards: c.centerRewards };
  const schedule = { ...c, lrSchedule: c.lrSchedule as ScheduleChoice };
  const log: { loss: number; gradNorm: number; learningRate: number }[] = [];
  for (const [s, micro] of c.steps.entries()) {
    const learningRate = learningRateAt(schedule, s, c.steps.length);
    const out = trainStep(
      model,
      optimizer,
      model.trainableVariables,
      (oneBatch ? [micro.flat()] : micro).map((indices) => indices.map((i) => pairs[i]!)),
      learningRate,
      { maxLength: fixture.model.maxLength },
      loss,
      fixture.padId,
    );
    const metrics = await out.metrics.data(); // [loss, accuracy, gradNorm, rewardMean, rewardStd]
    log.push({ loss: metrics[0]!, gradNorm: metrics[2]!, learningRate });
    out.metrics.dispose();
  }
  const weights = new Map((await model.getWeights()).map((w) => [w.name, w.data]));
  optimizer.dispose();
  model.dispose();
  return { log, weights };
}

/**
 * The weights after the steps against the reference's, compared on each weight's change (end - start):
 * the worst tensor's max error over its largest change; and the entries without a gradient in exact
 * arithmetic (the fixture's zeroGradient) that moved more than the sum of the learning rates.
 */
export function compareWeights(
  c: OptimizerCase,
  weights: Map<string, Float32Array>,
): { worst: { name: string; error: number }; noGradientMoves: string[] } {
  const lrSum = c.log.reduce((a, s) => a + s.learningRate, 0);
  let worst = { name: '', error: 0 };
  const noGradientMoves: string[] = [];
  for (const end of c.end) {
    const begin = c.start.find((w) => w.name === end.name)!.data;
    const noGradient = new Set(c.zeroGradient[end.name] ?? []);
    const actual = weights.get(end.name)!;
    const expectedChange: number[] = [];
    const actualChange: number[] = [];
    end.data.forEach((x, i) => {
      const change = actual[i]! - begin[i]!;
      if (noGradient.has(i)) {
        if (!(Math.abs(change) <= lrSum)) noGradientMoves.push(`${end.name}[${i}] moved ${change}`);
      } else {
        expectedChange.push(x - begin[i]!);
        actualChange.push(change);
      }
    });
    if (expectedChange.length === 0) continue;
    const error = relativeError(actualChange, expectedChange);
    if (!(error <= worst.error)) worst = { name: end.name, error };
  }
  return { worst, noGradientMoves };
}
