// Checkpoints and resume on tfjs's cpu backend (and wasm, in Node): a run cut at step k, its state
// copied out (as IndexedDB would: a structured clone), put into a fresh model and optimizer and
// trained on to step N ends with the same weights and Adam state, bit for bit, as the run that never
// stopped. Also: the NaN guard, pausing, and no tensor left behind. The runs here have every loss and
// optimizer option on (Davidson ties, soft targets from votes, centering, AdamW's decay, warmup and
// cosine decay, clipping, accumulation over micro-batches): the schedule position and all the
// optimizer's state must come back from the checkpoint.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { RewardModel, type ModelSpec, type NamedWeight } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { captureState, restoreState, type TrainState } from '../../src/core/train/checkpoint.ts';
import { prepareTrainingData, type TrainingData } from '../../src/core/train/data.ts';
import type { EvalPoint, StepPoint } from '../../src/core/train/events.ts';
import { learningRateAt } from '../../src/core/train/schedule.ts';
import { AdamW } from '../../src/core/train/optimizer.ts';
import { trainRewardModel, TrainingDiverged, type TrainHooks } from '../../src/core/train/trainer.ts';

const tokenizer = builtinTokenizer();
const pad = tokenizer.special.pad;
const spec: ModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: {
    vocabSize: tokenizer.vocabSize,
    maxLength: 32,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    dFF: 64,
    pooling: 'cls',
  },
};

function politePairs(n: number): Pair[] {
  const topics = ['the weather', 'a recipe', 'the train times', 'my homework', 'a good book', 'the news'];
  return Array.from({ length: n }, (_, i) => {
    const polite = `thank you for asking about ${topics[i % topics.length]}, here is a careful answer`;
    const rude = `no. figure out ${topics[i % topics.length]} yourself`;
    const aWins = i % 2 === 0;
    if (i % 7 === 3) {
      // a tie, trained on under Davidson's model; some with split votes
      return {
        id: `p${i}`,
        datasetId: 'd',
        prompt: `question ${i} about ${topics[i % topics.length]}`,
        responseA: polite,
        responseB: `${polite}!`,
        winner: 'tie',
        votes: i % 2 === 0 ? { a: 1, b: 0, tie: 2, both_bad: 0 } : undefined,
      };
    }
    return {
      id: `p${i}`,
      datasetId: 'd',
      prompt: `question ${i} about ${topics[i % topics.length]}`,
      responseA: aWins ? polite : rude,
      responseB: aWins ? rude : polite,
      winner: aWins ? 'a' : 'b',
      margin: i % 3 === 0 ? 0.5 : undefined,
      votes: i % 5 === 0 ? { a: aWins ? 2 : 1, b: aWins ? 1 : 2, tie: 0, both_bad: 0 } : undefined,
    };
  });
}

const data: TrainingData = prepareTrainingData(politePairs(60), tokenizer, {
  maxLength: 32,
  heldOutFraction: 0.2,
  splitSeed: 1,
  stratify: 'none',
  maxHeldOutPairs: 100,
  ties: 'davidson',
  softTargets: 'votes',
});
// The last step of each epoch is short (train % (batchSize * gradAccumulation) != 0), so positions cross
// uneven epoch ends, and its last micro-batch is short too.
const hyper = {
  batchSize: 4,
  gradAccumulation: 2,
  learningRate: 3e-3,
  lrSchedule: 'cosine',
  warmupRatio: 0.2,
  warmupSteps: 0,
  weightDecay: 0.05,
  maxGradNorm: 0.5,
  ties: 'davidson',
  tieNu: 0.8,
  centerRewards: 0.01,
  epochs: 3,
  maxSteps: 0,
  seed: 7,
  evalEvery: 4,
  maxLength: 32,
} as const;
const pairsPerStep = hyper.batchSize * hyper.gradAccumulation;
const stepsPerEpoch = Math.ceil(data.train.length / pairsPerStep);
const N = stepsPerEpoch * hyper.epochs;

/** Bit patterns, so NaN, -0 and the last ulp all count. */
const bits = (w: NamedWeight[]) => w.map((x) => ({ name: x.name, bits: Array.from(new Uint32Array(x.data.buffer)) }));

interface Outcome {
  weights: NamedWeight[];
  final: TrainState;
  points: StepPoint[];
}

/** Trains a model made with `seed` to the end, optionally from a state; returns the final weights and state. */
async function train(seed: number, from?: TrainState, hooks: Partial<TrainHooks> = {}): Promise<Outcome> {
  const model = RewardModel.create(spec, seed);
  const points: StepPoint[] = [];
  let final: TrainState | undefined;
  await trainRewardModel(
    model,
    data,
    { ...hyper, checkpointEvery: 1000 },
    pad,
    {
      onEvent: (e) => e.type === 'steps' && points.push(...e.points),
      onCheckpoint: async (s) => {
        final = s;
      },
      ...hooks,
    },
    from,
  );
  const weights = await model.getWeights();
  model.dispose();
  return { weights, final: final!, points };
}

/** Trains k steps, then stops: the checkpoint of step k, as IndexedDB would hand it back. */
async function firstSteps(k: number, checkpointEvery = k): Promise<TrainState> {
  const model = RewardModel.create(spec, 5);
  let kept: TrainState | undefined;
  let steps = 0;
  await trainRewardModel(model, data, { ...hyper, checkpointEvery }, pad, {
    onEvent: () => {},
    onCheckpoint: async (s) => {
      kept = structuredClone(s);
    },
    pauseGate: () => void steps++, // called between steps: counts them
    shouldStop: () => steps === k,
  });
  model.dispose();
  expect(kept!.step).toBe(k);
  return kept!;
}

describe.each(['cpu', 'wasm'])('resume on the %s backend', (backend) => {
  let uninterrupted: Outcome;
  beforeAll(async () => {
    await tf.setBackend(backend);
    uninterrupted = await train(5);
    expect(uninterrupted.final.step).toBe(N);
  }, 300_000); // whole runs on the slow cpu backend, on a shared machine: time limits here are not speed checks

  // Mid-epoch; at an epoch's end (position moves to the next epoch); mid-epoch after a short batch.
  it.each([3, stepsPerEpoch, stepsPerEpoch * 2 + 2])(
    'k = %i steps + checkpoint + restore into a fresh model + the rest == N steps uninterrupted, bit for bit',
    async (k) => {
      const state = await firstSteps(k);
      expect(state.position).toEqual(
        k % stepsPerEpoch === 0
          ? { epoch: k / stepsPerEpoch, index: 0 }
          : { epoch: Math.floor(k / stepsPerEpoch), index: (k % stepsPerEpoch) * pairsPerStep },
      );
      expect(state.optimizer.iterations).toBe(k);
      const resumed = await train(99, state); // other starting weights: the checkpoint must overwrite them all
      expect(bits(resumed.weights)).toEqual(bits(uninterrupted.weights));
      expect(bits(resumed.final.optimizer.moments)).toEqual(bits(uninterrupted.final.optimizer.moments));
      expect(resumed.final.optimizer).toMatchObject({
        iterations: N,
        accBeta1: uninterrupted.final.optimizer.accBeta1,
        accBeta2: uninterrupted.final.optimizer.accBeta2,
      });
      // The same batches in the same order: every later step's loss, gradient norm and rewards agree.
      expect(resumed.points).toEqual(uninterrupted.points.filter((p) => p.step > k));
    },
    300_000,
  );

  it('also when the state is captured every few steps and the run is cut between two checkpoints', async () => {
    const state = await firstSteps(11, 5); // checkpoints at 5 and 10, then the one at the stop (11)
    const resumed = await train(1, state);
    expect(bits(resumed.weights)).toEqual(bits(uninterrupted.weights));
  }, 300_000);
});

describe('checkpoints on the cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.disposeVariables());

  it("needs Adam's running beta products: tfjs's own setWeights recomputes them with pow, and the run drifts", async () => {
    const k = 7;
    const state = await firstSteps(k);
    const reference = await train(5);
    // Restore as tf.train.adam's setWeights alone would: beta^(t+1) from pow().
    const powOnly: TrainState = structuredClone(state);
    powOnly.optimizer.accBeta1 = Math.fround(0.9 ** (k + 1));
    powOnly.optimizer.accBeta2 = Math.fround(0.999 ** (k + 1));
    expect([powOnly.optimizer.accBeta1, powOnly.optimizer.accBeta2]).not.toEqual([
      state.optimizer.accBeta1,
      state.optimizer.accBeta2,
    ]);
    const drifted = await train(5, powOnly);
    expect(bits(drifted.weights)).not.toEqual(bits(reference.weights));
    const exact = await train(5, state);
    expect(bits(exact.weights)).toEqual(bits(reference.weights));
  }, 300_000);

  it('reads the state back only at checkpoint steps, pauses and the end', async () => {
    const model = RewardModel.create(spec, 5);
    const at: number[] = [];
    await trainRewardModel(model, data, { ...hyper, maxSteps: 12, checkpointEvery: 5 }, pad, {
      onEvent: () => {},
      onCheckpoint: async (s) => {
        at.push(s.step);
      },
    });
    model.dispose();
    expect(at).toEqual([5, 10, 12]);
  });

  it('the data has ties and soft targets to train on, and the epoch ends mid-step', () => {
    expect(data.counts.tiesTrained).toBeGreaterThan(0);
    expect(data.counts.softTargets).toBeGreaterThan(0);
    expect(data.train.length % pairsPerStep).not.toBe(0);
    expect((data.train.length % pairsPerStep) % hyper.batchSize).not.toBe(0);
  });

  it('reports gradient norm, the scheduled learning rate and the batch reward mean and spread with every step', async () => {
    const { points } = await train(5);
    expect(points).toHaveLength(N);
    // the norm reported is the one before clipping: some steps were clipped
    expect(points.some((p) => p.gradNorm! > hyper.maxGradNorm)).toBe(true);
    expect(points[0]!.learningRate).toBe(0); // warmup starts at 0, as HF's schedules do
    for (const p of points) {
      expect(p.gradNorm).toBeGreaterThan(0);
      expect(p.learningRate).toBe(learningRateAt(hyper, p.step - 1, N));
      expect(Number.isFinite(p.rewardMean)).toBe(true);
      expect(p.rewardStd).toBeGreaterThanOrEqual(0);
    }
  });

  it("names Adam's moments by the model's parameters, and a restored optimizer gives back the same state", async () => {
    const model = RewardModel.create(spec, 2);
    const vars = model.trainableVariables;
    const optimizer = await AdamW.create(vars, 0.01, 1);
    const { grads } = tf.variableGrads(() => tf.addN(vars.map((v) => tf.sum(tf.square(v)))) as tf.Scalar, vars);
    optimizer.step(grads, 0.01).dispose();
    tf.dispose(Object.values(grads));
    const state = await captureState(model, optimizer, 1, { epoch: 0, index: 8 });
    expect(state.optimizer.moments.map((m) => m.name)).toEqual([
      ...[...model.params.keys()].map((n) => `${n}/m`),
      ...[...model.params.keys()].map((n) => `${n}/v`),
    ]);
    const fresh = RewardModel.create(spec, 3);
    const other = await AdamW.create(fresh.trainableVariables, 0.01, 1);
    restoreState(fresh, other, state);
    const again = await captureState(fresh, other, 1, state.position);
    expect(bits(again.weights)).toEqual(bits(state.weights));
    expect(bits(again.optimizer.moments)).toEqual(bits(state.optimizer.moments));
    expect(again.optimizer).toMatchObject({ iterations: 1, accBeta1: state.optimizer.accBeta1 });
    optimizer.dispose();
    other.dispose();
    model.dispose();
    fresh.dispose();
  });

  it('leaves no tensor behind: checkpoints and a restore keep memory flat', async () => {
    const before = tf.memory().numTensors;
    const state = await firstSteps(4, 2);
    expect(tf.memory().numTensors).toBe(before);
    const model = RewardModel.create(spec, 5);
    const afterCreate = tf.memory().numTensors;
    const counts: number[] = [];
    await trainRewardModel(
      model,
      data,
      { ...hyper, maxSteps: 14, checkpointEvery: 3 },
      pad,
      { onEvent: (e) => e.type === 'steps' && counts.push(tf.memory().numTensors), onCheckpoint: async () => {} },
      state,
    );
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(afterCreate);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('waits while paused, writes a checkpoint at the pause, and ends as an unpaused run would', async () => {
    const reference = await train(5);
    let release: (() => void) | undefined;
    const checkpoints: number[] = [];
    let pausedAtStep = 0;
    let steps = 0;
    const done = train(5, undefined, {
      onEvent: (e) => {
        if (e.type === 'steps') steps = e.step;
      },
      onCheckpoint: async (s) => {
        checkpoints.push(s.step);
      },
      pauseGate: () => {
        if (pausedAtStep || steps < 6) return undefined;
        pausedAtStep = steps;
        return () => new Promise<void>((resolve) => (release = resolve));
      },
    });
    await vi.waitFor(() => expect(release).toBeDefined(), { timeout: 30_000 });
    // Paused: the loop waits, its steps so far reported and its state checkpointed.
    await new Promise((r) => setTimeout(r, 50));
    expect(checkpoints).toEqual([pausedAtStep]);
    expect(steps).toBe(pausedAtStep);
    release!();
    const outcome = await done;
    expect(checkpoints).toEqual([pausedAtStep, N]);
    expect(bits(outcome.weights)).toEqual(bits(reference.weights));
  }, 300_000); // two whole runs on the slow cpu backend

  it('stops a paused run when asked', async () => {
    let release: (() => void) | undefined;
    let stop = false;
    const model = RewardModel.create(spec, 5);
    const result = trainRewardModel(model, data, hyper, pad, {
      onEvent: () => {},
      pauseGate: () => (release ? undefined : () => new Promise<void>((r) => (release = r))),
      shouldStop: () => stop,
    });
    await vi.waitFor(() => expect(release).toBeDefined(), { timeout: 30_000 });
    stop = true;
    release!();
    expect(await result).toMatchObject({ steps: 1, stopped: true });
    model.dispose();
  });
});

describe('the NaN guard', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.disposeVariables());

  it('stops at the first step whose loss is NaN, in plain words, and no checkpoint takes the NaN in', async () => {
    const model = RewardModel.create(spec, 5);
    const checkpoints: TrainState[] = [];
    const points: StepPoint[] = [];
    let between = 0;
    const error = await trainRewardModel(model, data, { ...hyper, checkpointEvery: 5 }, pad, {
      onEvent: (e) => e.type === 'steps' && points.push(...e.points),
      onCheckpoint: async (s) => {
        checkpoints.push(structuredClone(s));
      },
      // After step 7, one weight goes bad: step 8's loss is NaN, read (with 9 and 10) at the flush of step 10.
      pauseGate: () => {
        if (++between === 7) tf.tidy(() => model.params.get('head.bias')!.assign(tf.tensor1d([NaN])));
        return undefined;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDiverged);
    expect((error as TrainingDiverged).step).toBe(8);
    expect((error as Error).message).toBe(
      'the loss became NaN at step 8: lower the learning rate (it was 0.003) and train again. ' +
        'Training stopped; the last good checkpoint, from step 5, is kept.',
    );
    // Steps before the bad one were reported; the checkpoint of step 10 was never written.
    expect(points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(checkpoints.map((c) => c.step)).toEqual([5]);
    // The kept checkpoint is whole and finite, and a run resumed from it trains on.
    const kept = checkpoints[0]!;
    for (const w of [...kept.weights, ...kept.optimizer.moments]) expect(w.data.every(Number.isFinite)).toBe(true);
    const fresh = RewardModel.create(spec, 1);
    const resumed: StepPoint[] = [];
    await trainRewardModel(
      fresh,
      data,
      { ...hyper, maxSteps: 10 },
      pad,
      {
        onEvent: (e) => e.type === 'steps' && resumed.push(...e.points),
      },
      kept,
    );
    expect(resumed.map((p) => p.step)).toEqual([6, 7, 8, 9, 10]);
    expect(resumed.every((p) => Number.isFinite(p.loss))).toBe(true);
    fresh.dispose();
    model.dispose();
  });

  it('stops a run whose learning rate is far too large, naming the step and the learning rate', async () => {
    const before = tf.memory().numTensors;
    const model = RewardModel.create(spec, 5);
    const error = await trainRewardModel(model, data, { ...hyper, learningRate: 1e38, checkpointEvery: 1 }, pad, {
      onEvent: () => {},
      onCheckpoint: async () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDiverged);
    expect((error as Error).message).toMatch(
      /^(the loss|the gradients' norm|a weight of the model) became (NaN|-?Infinity) at step \d+: lower the learning rate \(it was 1e\+38\)/,
    );
    expect(tf.memory().numTensors).toBe(before + model.params.size); // the optimizer and the step's tensors are freed
    model.dispose();
  });
});

describe('early stopping and the best checkpoint, resumed', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.disposeVariables());

  // A learning rate high enough that held-out loss turns up early, and patience 2: the run stops early.
  const stopping = { ...hyper, learningRate: 2e-2, evalEvery: 2, patience: 2, checkpointEvery: 1000 };

  async function run(from?: TrainState, stopAt?: number) {
    const model = RewardModel.create(spec, from ? 99 : 5);
    let kept: TrainState | undefined;
    let steps = 0;
    const ends: unknown[] = [];
    const result = await trainRewardModel(
      model,
      data,
      stopAt ? { ...stopping, checkpointEvery: stopAt } : stopping,
      pad,
      {
        onEvent: (e) => e.type === 'end' && ends.push(e),
        onCheckpoint: async (s) => {
          kept = structuredClone(s);
        },
        pauseGate: () => void steps++,
        shouldStop: () => steps === stopAt,
      },
      from,
    );
    const weights = await model.getWeights();
    model.dispose();
    return { result, kept: kept!, weights, end: ends.at(-1) };
  }

  it('stops when held-out loss has not improved for `patience` evaluations, and keeps the best weights', async () => {
    const whole = await run();
    expect(whole.result.earlyStopped).toBe(true);
    expect(whole.result.steps).toBeLessThan(N);
    const best = whole.result.best!;
    expect(whole.result.steps - best.step).toBe(stopping.patience * stopping.evalEvery);
    expect(whole.end).toMatchObject({ earlyStopped: true, bestStep: best.step, bestLoss: best.loss });
    // The best weights are not the last ones.
    expect(bits(best.weights)).not.toEqual(bits(whole.weights));
    // The checkpoint at the end carries the best weights beside the last.
    expect(whole.kept.best).toMatchObject({ step: best.step, loss: best.loss, evalsSince: stopping.patience });
    expect(bits(whole.kept.best!.weights!)).toEqual(bits(best.weights));

    // Cut one step after the best evaluation (its weights differ from the checkpoint's own), resumed:
    // the same stop, the same best weights and the same last weights, bit for bit.
    const first = await run(undefined, best.step + 1);
    expect(first.kept.step).toBe(best.step + 1);
    expect(first.kept.best?.step).toBe(best.step);
    expect(first.kept.best?.weights).toBeDefined();
    const resumed = await run(first.kept);
    expect(resumed.result).toMatchObject({ steps: whole.result.steps, earlyStopped: true });
    expect(resumed.result.best!.step).toBe(best.step);
    expect(bits(resumed.result.best!.weights)).toEqual(bits(best.weights));
    expect(bits(resumed.weights)).toEqual(bits(whole.weights));
  }, 300_000);

  it('on a validation slice: the slice chooses the step and stops the run, and a resumed run keeps both, bit for bit', async () => {
    const sliced: TrainingData = prepareTrainingData(politePairs(60), tokenizer, {
      maxLength: 32,
      heldOutFraction: 0.2,
      splitSeed: 1,
      stratify: 'none',
      maxHeldOutPairs: 100,
      ties: 'davidson',
      softTargets: 'votes',
      validationFraction: 0.25,
    });
    expect(sliced.validation!.length).toBeGreaterThan(3);
    expect(sliced.heldOut.map((p) => p.meta.pairId)).toEqual(data.heldOut.map((p) => p.meta.pairId));
    const go = async (from?: TrainState, stopAt?: number) => {
      const model = RewardModel.create(spec, from ? 99 : 5);
      const evals: EvalPoint[] = [];
      let kept: TrainState | undefined;
      let steps = 0;
      const result = await trainRewardModel(
        model,
        sliced,
        { ...stopping, patience: 2, checkpointEvery: stopAt ?? 1000 },
        pad,
        {
          onEvent: (e) => e.type === 'eval' && evals.push(e.point),
          onCheckpoint: async (s) => {
            kept = structuredClone(s);
          },
          pauseGate: () => void steps++,
          shouldStop: () => steps === stopAt,
        },
        from,
      );
      const weights = await model.getWeights();
      model.dispose();
      return { result, evals, kept: kept!, weights };
    };
    const whole = await go();
    // Every evaluation scores the slice; the best step is the one with the lowest slice loss, which is its loss.
    expect(whole.evals.every((e) => e.validation && Number.isFinite(e.validation.loss))).toBe(true);
    const lowest = whole.evals.reduce((a, b) => (b.validation!.loss < a.validation!.loss ? b : a));
    expect(whole.result.best).toMatchObject({ step: lowest.step, loss: lowest.validation!.loss });
    if (whole.result.earlyStopped) expect(whole.result.steps - lowest.step).toBe(2 * stopping.evalEvery);
    // The loss kept is the slice's, not the held-out pairs' at that step.
    expect(whole.result.best!.loss).not.toBe(lowest.loss);

    const cut = Math.min(lowest.step + 1, whole.result.steps - 1);
    const first = await go(undefined, cut);
    const resumed = await go(first.kept);
    expect(resumed.result).toMatchObject({ steps: whole.result.steps, earlyStopped: whole.result.earlyStopped });
    expect(resumed.result.best!.step).toBe(lowest.step);
    expect(bits(resumed.result.best!.weights)).toEqual(bits(whole.result.best!.weights));
    expect(bits(resumed.weights)).toEqual(bits(whole.weights));
  }, 300_000);

  it('patience 0 trains to the end and still keeps the best weights', async () => {
    const model = RewardModel.create(spec, 5);
    const result = await trainRewardModel(model, data, { ...stopping, patience: 0 }, pad, { onEvent: () => {} });
    model.dispose();
    expect(result).toMatchObject({ steps: N, earlyStopped: false });
    expect(result.best!.step).toBeLessThan(N);
  }, 300_000);
});
