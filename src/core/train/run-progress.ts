// How far a run has come, from the events the trainer reports: one place that turns a TrainEvent
// into the run's record (the worker stores it, the page draws it) and one place that works out
// the step, epoch and time left, beside pairsPerStep, so the page and the trainer count pairs the
// same way.
import type { TrainConfig } from './config.ts';
import type { DataCounts, EvalPoint, HeldOutMeta, StepPoint, TieMeta, TrainEvent } from './events.ts';
import type { RunBaselines } from '../eval/baselines/index.ts';

/** Pairs one optimizer step reads: batch size times the micro-batches accumulated. */
export function pairsPerStep(config: Pick<TrainConfig, 'batchSize'> & Partial<Pick<TrainConfig, 'gradAccumulation'>>) {
  return config.batchSize * (config.gradAccumulation ?? 1);
}

/** Optimizer steps in a run and in each epoch of it. */
export function runLength(
  trainPairs: number,
  config: Pick<TrainConfig, 'batchSize' | 'epochs' | 'maxSteps'> & Partial<Pick<TrainConfig, 'gradAccumulation'>>,
): { stepsPerEpoch: number; totalSteps: number } {
  const stepsPerEpoch = Math.ceil(trainPairs / pairsPerStep(config));
  const all = stepsPerEpoch * config.epochs;
  return { stepsPerEpoch, totalSteps: config.maxSteps > 0 ? Math.min(config.maxSteps, all) : all };
}

/** The part of a run's record that training events fill (the store's RunRecord has these and more). */
export interface TrainedRun {
  config: Pick<TrainConfig, 'batchSize'> & Partial<Pick<TrainConfig, 'gradAccumulation'>>;
  steps: StepPoint[];
  evals: EvalPoint[];
  totalSteps?: number;
  stepsPerEpoch?: number;
  counts?: DataCounts;
  heldOut?: HeldOutMeta[];
  heldOutTies?: TieMeta[];
  pairsPerSecond?: number;
  /** From the run's start: chance, length rules, bag of words on its held-out pairs. */
  baselines?: RunBaselines;
  /** From its end: the evaluation with the lowest held-out loss, and whether early stopping ended it. */
  best?: { step: number; loss: number };
  earlyStopped?: boolean;
}

/** The run after one training event: a new object (the page's charts redraw on a new reference). */
export function applyTrainEvent<R extends TrainedRun>(run: R, event: TrainEvent): R {
  switch (event.type) {
    case 'start':
      return {
        ...run,
        totalSteps: event.totalSteps,
        stepsPerEpoch: event.stepsPerEpoch,
        counts: event.counts,
        heldOut: event.heldOut,
        heldOutTies: event.heldOutTies,
        // a resumed run's start has none: it keeps those from its first start
        ...(event.baselines && { baselines: event.baselines }),
      };
    case 'steps':
      return { ...run, steps: [...run.steps, ...event.points], pairsPerSecond: event.pairsPerSecond };
    case 'eval':
      return { ...run, evals: [...run.evals, event.point] };
    case 'end':
      return {
        ...run,
        earlyStopped: event.earlyStopped,
        ...(event.bestStep !== undefined &&
          event.bestLoss !== undefined && { best: { step: event.bestStep, loss: event.bestLoss } }),
      };
  }
}

/**
 * Which epoch the run is in, counted from 1, of how many. Steps per epoch come from the run's start
 * or, on a live record that lacks them, from its points (each point's epoch is step / stepsPerEpoch).
 */
export function epochProgress(run: TrainedRun): { epoch: number; epochs: number } | undefined {
  const last = run.steps.at(-1);
  const stepsPerEpoch = run.stepsPerEpoch ?? (last && last.epoch > 0 ? Math.round(last.step / last.epoch) : undefined);
  if (!stepsPerEpoch || !run.totalSteps) return undefined;
  const epochs = Math.ceil(run.totalSteps / stepsPerEpoch);
  return { epoch: Math.min(epochs, Math.max(1, Math.ceil((last?.step ?? 0) / stepsPerEpoch))), epochs };
}

export interface TrainingProgress {
  /** The last optimizer step reported (0 before the first). */
  step: number;
  totalSteps?: number;
  /** step / totalSteps, when the total is known. */
  fraction?: number;
  /** At the latest rate; unknown before the first rate or the total is known. */
  secondsLeft?: number;
  epoch?: { epoch: number; epochs: number };
}

/** Where a run stands and how long it has left, at pairsPerSecond (one step reads pairsPerStep pairs). */
export function trainingProgress(run: TrainedRun): TrainingProgress {
  const step = run.steps.at(-1)?.step ?? 0;
  const total = run.totalSteps;
  const stepsPerSecond = (run.pairsPerSecond ?? 0) / pairsPerStep(run.config);
  return {
    step,
    totalSteps: total,
    fraction: total ? step / total : undefined,
    secondsLeft: total && stepsPerSecond > 0 ? Math.max(0, total - step) / stepsPerSecond : undefined,
    epoch: epochProgress(run),
  };
}
