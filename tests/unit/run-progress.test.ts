import { describe, expect, it } from 'vitest';
import type { StepPoint, TrainEvent } from '../../src/core/train/events.ts';
import { applyTrainEvent, trainingProgress, type TrainedRun } from '../../src/core/train/run-progress.ts';

const point = (step: number): StepPoint => ({ step, epoch: step / 10, loss: 0.5, accuracy: 0.5 });

function run(overrides: Partial<TrainedRun> = {}): TrainedRun {
  return { config: { batchSize: 8, gradAccumulation: 1 }, steps: [], evals: [], ...overrides };
}

describe('trainingProgress', () => {
  it('counts batch size times accumulation steps as the pairs of one step (the old ETA divided by batch size)', () => {
    // 4 micro-batches of 8 pairs: 32 pairs a step. At 64 pairs/s that is 2 steps/s, so 80 steps left take
    // 40 s; dividing the rate by batch size alone would say 10 s.
    const r = run({ config: { batchSize: 8, gradAccumulation: 4 }, totalSteps: 100, pairsPerSecond: 64 });
    r.steps = [point(20)];
    const p = trainingProgress(r);
    expect(p.secondsLeft).toBe(40);
    expect(p.fraction).toBe(0.2);
    expect(p.step).toBe(20);
  });

  it('without accumulation, one step reads one batch', () => {
    const p = trainingProgress(run({ totalSteps: 10, pairsPerSecond: 16, steps: [point(4)] }));
    expect(p.secondsLeft).toBe(3);
  });

  it('knows no time left before a rate or a total is reported', () => {
    expect(trainingProgress(run({ totalSteps: 10 })).secondsLeft).toBeUndefined();
    expect(trainingProgress(run({ pairsPerSecond: 5 })).secondsLeft).toBeUndefined();
    expect(trainingProgress(run()).fraction).toBeUndefined();
  });

  it('gives the epoch from the steps per epoch of the run', () => {
    const p = trainingProgress(run({ totalSteps: 30, stepsPerEpoch: 10, steps: [point(11)] }));
    expect(p.epoch).toEqual({ epoch: 2, epochs: 3 });
  });
});

describe('applyTrainEvent', () => {
  const counts = { total: 10, train: 8, heldOut: 2, heldOutScored: 2, ties: 0, bothBad: 0, truncated: 0 };
  const events: TrainEvent[] = [
    { type: 'start', totalSteps: 6, stepsPerEpoch: 3, counts, heldOut: [], heldOutTies: [] },
    { type: 'steps', points: [point(1), point(2)], step: 2, totalSteps: 6, pairsPerSecond: 12, elapsedMs: 5 },
    {
      type: 'eval',
      point: {
        step: 2,
        loss: 0.6,
        accuracy: 0.5,
        meanMargin: 0,
        chosenRewards: [],
        rejectedRewards: [],
        tieRewards: { a: [], b: [] },
      },
    },
    { type: 'steps', points: [point(3)], step: 3, totalSteps: 6, pairsPerSecond: 14, elapsedMs: 9 },
    { type: 'end', step: 3, stopped: true },
  ];

  it('builds the record the trainer reported, without changing the run it was given', () => {
    const first = run();
    const last = events.reduce(applyTrainEvent, first);
    expect(first.steps).toEqual([]);
    expect(last.totalSteps).toBe(6);
    expect(last.stepsPerEpoch).toBe(3);
    expect(last.counts).toEqual(counts);
    expect(last.steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(last.evals.map((e) => e.step)).toEqual([2]);
    expect(last.pairsPerSecond).toBe(14);
  });

  it('keeps the fields it does not own', () => {
    const r = applyTrainEvent({ ...run(), id: 'x', status: 'running' }, events[1]!);
    expect(r.id).toBe('x');
    expect(r.status).toBe('running');
  });
});

describe('applyTrainEvent: baselines and the best checkpoint', () => {
  const counts = { total: 10, train: 8, heldOut: 2, heldOutScored: 2, ties: 0, bothBad: 0, truncated: 0 };
  const baselines = {
    lengthUnit: 'characters' as const,
    trainPairs: 8,
    results: [{ id: 'chance' as const, n: 2, accuracy: 0.5 }],
  };
  const start = (b?: typeof baselines): TrainEvent => ({
    type: 'start',
    totalSteps: 10,
    stepsPerEpoch: 5,
    counts,
    heldOut: [],
    heldOutTies: [],
    ...(b && { baselines: b }),
  });
  it('keeps the baselines of the first start through a resumed start that has none', () => {
    const first = applyTrainEvent(run(), start(baselines));
    expect(first.baselines).toEqual(baselines);
    expect(applyTrainEvent(first, start()).baselines).toEqual(baselines);
  });
  it('records the best step and whether early stopping ended the run', () => {
    const end = applyTrainEvent(run(), {
      type: 'end',
      step: 8,
      stopped: false,
      earlyStopped: true,
      bestStep: 4,
      bestLoss: 0.6,
    });
    expect(end).toMatchObject({ earlyStopped: true, best: { step: 4, loss: 0.6 } });
    expect(applyTrainEvent(run(), { type: 'end', step: 8, stopped: true }).best).toBeUndefined();
  });
});
