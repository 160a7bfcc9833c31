// The training loop: pairwise Bradley-Terry loss, Adam, seeded batches, held-out evaluation
// every few steps. It runs wherever tfjs runs (the page's worker, Node) on whatever backend is
// already set, and reports through `onEvent`.
//
// Read-backs from the GPU stall the pipeline, so per-step loss and accuracy stay on the device
// and are read in one go every `READ_EVERY` steps (and at evaluations and the end).
import * as tf from '@tensorflow/tfjs';
import type { RewardModel } from '../model/reward-model.ts';
import { disposeBatch, makeBatch, type TokenizedPair } from './batch.ts';
import type { TrainConfig } from './config.ts';
import type { TrainingData } from './data.ts';
import type { EvalPoint, StepPoint, TrainEvent } from './events.ts';
import { bradleyTerryLoss, pairwiseAccuracy } from './loss.ts';
import { permutation } from './shuffle.ts';
import { pairwiseMetrics } from '../eval/metrics.ts';

const READ_EVERY = 5;

export interface TrainHooks {
  onEvent: (event: TrainEvent) => void;
  /** Polled between steps; true ends the run after the current step (the model stays usable). */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  steps: number;
  stopped: boolean;
  lastEval?: EvalPoint;
}

type Hyper = Pick<
  TrainConfig,
  'batchSize' | 'learningRate' | 'epochs' | 'maxSteps' | 'seed' | 'evalEvery' | 'maxLength'
>;

export async function trainRewardModel(
  model: RewardModel,
  data: TrainingData,
  config: Hyper,
  padId: number,
  hooks: TrainHooks,
): Promise<TrainResult> {
  if (data.train.length === 0) {
    throw new Error('no training pairs: the dataset has no pair with a winner outside the held-out split');
  }
  const stepsPerEpoch = Math.ceil(data.train.length / config.batchSize);
  const totalSteps =
    config.maxSteps > 0 ? Math.min(config.maxSteps, stepsPerEpoch * config.epochs) : stepsPerEpoch * config.epochs;
  hooks.onEvent({
    type: 'start',
    totalSteps,
    stepsPerEpoch,
    counts: data.counts,
    heldOut: data.heldOut.map((p) => p.meta),
    heldOutTies: data.heldOutTies.map((t) => t.meta),
  });

  const optimizer = tf.train.adam(config.learningRate);
  const vars = model.trainableVariables;
  const pending: { step: number; epoch: number; loss: tf.Scalar; accuracy: tf.Scalar }[] = [];
  const started = performance.now();
  let lastEval: EvalPoint | undefined;
  let step = 0;
  let stopped = false;

  const flush = async () => {
    if (pending.length === 0) return;
    const stacked = tf.stack(pending.flatMap((p) => [p.loss, p.accuracy]));
    const values = await stacked.data();
    stacked.dispose();
    const points: StepPoint[] = pending.map((p, i) => ({
      step: p.step,
      epoch: p.epoch,
      loss: values[2 * i]!,
      accuracy: values[2 * i + 1]!,
    }));
    tf.dispose(pending.flatMap((p) => [p.loss, p.accuracy]));
    pending.length = 0;
    const elapsedMs = performance.now() - started;
    const pairsPerSecond = (step * config.batchSize) / (elapsedMs / 1000);
    hooks.onEvent({ type: 'steps', points, step, totalSteps, pairsPerSecond, elapsedMs });
  };

  try {
    outer: for (let epoch = 0; step < totalSteps; epoch++) {
      const order = permutation(data.train.length, config.seed * 1000 + epoch);
      for (let start = 0; start < order.length && step < totalSteps; start += config.batchSize) {
        const pairs = order.slice(start, start + config.batchSize).map((i) => data.train[i]!);
        const { loss, accuracy } = trainStep(model, optimizer, vars, pairs, config.maxLength, padId);
        step++;
        pending.push({ step, epoch: step / stepsPerEpoch, loss, accuracy });
        const evalNow = step % config.evalEvery === 0 || step === totalSteps;
        if (pending.length >= READ_EVERY || evalNow) await flush();
        if (evalNow && data.heldOut.length > 0) {
          lastEval = await evaluate(model, data, config.batchSize, config.maxLength, padId, step);
          hooks.onEvent({ type: 'eval', point: lastEval });
        }
        if (hooks.shouldStop?.()) {
          stopped = true;
          break outer;
        }
      }
    }
    await flush();
    if (stopped && data.heldOut.length > 0 && lastEval?.step !== step) {
      lastEval = await evaluate(model, data, config.batchSize, config.maxLength, padId, step);
      hooks.onEvent({ type: 'eval', point: lastEval });
    }
  } finally {
    tf.dispose(pending.flatMap((p) => [p.loss, p.accuracy]));
    optimizer.dispose();
  }
  hooks.onEvent({ type: 'end', step, stopped });
  return { steps: step, stopped, lastEval };
}

/** One optimizer step; returns the batch's loss and accuracy as device scalars (not read back). */
function trainStep(
  model: RewardModel,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  pairs: TokenizedPair[],
  maxLength: number,
  padId: number,
): { loss: tf.Scalar; accuracy: tf.Scalar } {
  const batch = makeBatch(pairs, maxLength, padId);
  try {
    let accuracy: tf.Scalar | undefined;
    const { value: loss, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(batch.ids, batch.mask), 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
      accuracy = tf.keep(pairwiseAccuracy(rc, rr));
      return bradleyTerryLoss(rc, rr, batch.margin);
    }, vars);
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    return { loss, accuracy: accuracy! };
  } finally {
    disposeBatch(batch);
  }
}

/** Scores the held-out pairs (and ties) and reads the rewards back once. */
export async function evaluate(
  model: RewardModel,
  data: Pick<TrainingData, 'heldOut' | 'heldOutTies'>,
  batchSize: number,
  maxLength: number,
  padId: number,
  step: number,
): Promise<EvalPoint> {
  // Ties go through the same batches: their A response in the "chosen" rows, B in the "rejected" ones.
  const ties: TokenizedPair[] = data.heldOutTies.map((t) => ({ chosen: t.a, rejected: t.b, margin: 0 }));
  const [pairs, tied] = await scoreSplit(
    [...data.heldOut, ...ties],
    data.heldOut.length,
    model,
    batchSize,
    maxLength,
    padId,
  );
  const margins = data.heldOut.map((p) => p.margin);
  return {
    step,
    ...pairwiseMetrics(pairs.first, pairs.second, margins),
    chosenRewards: pairs.first,
    rejectedRewards: pairs.second,
    tieRewards: { a: tied.first, b: tied.second },
  };
}

/** Rewards of both sequences of every pair, split into the first `cut` pairs and the rest. */
async function scoreSplit(
  all: TokenizedPair[],
  cut: number,
  model: RewardModel,
  batchSize: number,
  maxLength: number,
  padId: number,
): Promise<[{ first: number[]; second: number[] }, { first: number[]; second: number[] }]> {
  const parts: tf.Tensor1D[] = [];
  for (let start = 0; start < all.length; start += batchSize) {
    const batch = makeBatch(all.slice(start, start + batchSize), maxLength, padId);
    parts.push(tf.tidy(() => model.rewards(batch.ids, batch.mask)));
    disposeBatch(batch);
  }
  const values = await Promise.all(parts.map((p) => p.data()));
  tf.dispose(parts);
  const first: number[] = [];
  const second: number[] = [];
  for (const r of values) {
    const half = r.length / 2; // each batch is [B chosen-side rows, B rejected-side rows]
    first.push(...r.slice(0, half));
    second.push(...r.slice(half));
  }
  return [
    { first: first.slice(0, cut), second: second.slice(0, cut) },
    { first: first.slice(cut), second: second.slice(cut) },
  ];
}
