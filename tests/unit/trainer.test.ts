import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { inValidationSlice, splitOf } from '../../src/core/data/split.ts';
import { prepareTrainingData, trainingSplitTexts, votesOutcome } from '../../src/core/train/data.ts';
import type { EvalPoint, TrainEvent } from '../../src/core/train/events.ts';
import { makeBatch } from '../../src/core/train/batch.ts';
import { trainRewardModel } from '../../src/core/train/trainer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tokenizer = builtinTokenizer();
const spec = (maxLength = 32): ModelSpec => ({
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: {
    vocabSize: tokenizer.vocabSize,
    maxLength,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    dFF: 64,
    pooling: 'cls',
  },
});

/** A task with a learnable rule: the preferred answer is polite. */
function politePairs(n: number): Pair[] {
  const topics = [
    'the weather',
    'a recipe',
    'the train times',
    'my homework',
    'a good book',
    'the news',
    'a poem',
    'the meeting',
  ];
  return Array.from({ length: n }, (_, i) => {
    const polite = `thank you for asking about ${topics[i % topics.length]}, here is a careful answer`;
    const rude = `no. figure out ${topics[i % topics.length]} yourself`;
    const aWins = i % 2 === 0;
    return {
      id: `p${i}`,
      datasetId: 'd',
      prompt: `question ${i} about ${topics[i % topics.length]}`,
      responseA: aWins ? polite : rude,
      responseB: aWins ? rude : polite,
      winner: aWins ? 'a' : 'b',
    };
  });
}

const hyper = { batchSize: 8, learningRate: 3e-3, epochs: 4, maxSteps: 0, seed: 3, evalEvery: 10, maxLength: 32 };
const dataOptions = {
  maxLength: 32,
  heldOutFraction: 0.25,
  splitSeed: 1,
  stratify: 'none' as const,
  maxHeldOutPairs: 100,
};

describe('preparing training data', () => {
  it('counts ties and both-bad pairs without training on them, and splits by prompt', () => {
    const pairs: Pair[] = [
      ...politePairs(40),
      { id: 't', datasetId: 'd', prompt: 'x', responseA: 'a', responseB: 'b', winner: 'tie' },
      { id: 'bb', datasetId: 'd', prompt: 'y', responseA: 'a', responseB: 'b', winner: 'both_bad' },
    ];
    const data = prepareTrainingData(pairs, tokenizer, dataOptions);
    expect(data.counts).toMatchObject({ total: 42, ties: 1, bothBad: 1 });
    expect(data.counts.train + data.counts.heldOut).toBe(40);
    expect(data.counts.heldOut).toBeGreaterThan(0);
    expect(data.counts.train).toBeGreaterThan(data.counts.heldOut);
  });

  it("carries each training pair's sample weight unless sample weights are off", () => {
    const pairs = politePairs(40).map((p, i) => ({ ...p, weight: i % 4 === 0 ? 0.3 : 1 }));
    const weighted = prepareTrainingData(pairs, tokenizer, { ...dataOptions, sampleWeights: 'pair' });
    const trainWeights = weighted.train.map((p) => p.weight ?? 1);
    expect(trainWeights.filter((w) => w === 0.3).length).toBe(weighted.counts.weighted);
    expect(weighted.counts.weighted).toBeGreaterThan(0);
    const off = prepareTrainingData(pairs, tokenizer, { ...dataOptions, sampleWeights: 'off' });
    expect(off.train.every((p) => p.weight === undefined)).toBe(true);
    expect(off.counts.weighted).toBe(0);
  });

  it('under Davidson, trains on training-side ties (A in the chosen row, outcome "tie") and still scores held-out ones', () => {
    const ties: Pair[] = Array.from({ length: 20 }, (_, i) => ({
      id: `t${i}`,
      datasetId: 'd',
      prompt: `tied question ${i}`,
      responseA: 'one answer',
      responseB: 'another answer',
      winner: 'tie',
    }));
    const pairs = [...politePairs(40), ...ties];
    const dropped = prepareTrainingData(pairs, tokenizer, dataOptions);
    const kept = prepareTrainingData(pairs, tokenizer, { ...dataOptions, ties: 'davidson' });
    expect(dropped.counts.tiesTrained).toBe(0);
    expect(kept.counts.tiesTrained).toBe(20 - kept.heldOutTies.length);
    expect(kept.counts.tiesTrained).toBeGreaterThan(0);
    expect(kept.heldOutTies).toEqual(dropped.heldOutTies);
    expect(kept.train.length).toBe(dropped.train.length + kept.counts.tiesTrained!);
    const trainedTies = kept.train.filter((p) => p.outcome?.tie === 1);
    expect(trainedTies).toHaveLength(kept.counts.tiesTrained!);
    const encoded = (response: string) =>
      new Set(ties.map((t) => tokenizer.encodePair(t.prompt as string, response, 32).ids.join()));
    for (const t of trainedTies) {
      expect(encoded('one answer').has(t.chosen.join())).toBe(true); // response A in the chosen row
      expect(encoded('another answer').has(t.rejected.join())).toBe(true);
    }
  });

  it('soft targets: the share of votes for each side, a tie vote half under Bradley-Terry, its own under Davidson', () => {
    const votes = { a: 1, b: 1, tie: 1, both_bad: 4 };
    expect(votesOutcome(votes, 'a', 'drop')).toEqual({ chosen: 0.5, rejected: 0.5, tie: 0 });
    expect(votesOutcome({ ...votes, a: 2 }, 'b', 'drop')).toEqual({ chosen: 1.5 / 4, rejected: 2.5 / 4, tie: 0 });
    expect(votesOutcome({ ...votes, a: 2 }, 'a', 'davidson')).toEqual({ chosen: 0.5, rejected: 0.25, tie: 0.25 });
    expect(votesOutcome({ a: 0, b: 0, tie: 0, both_bad: 3 }, 'a', 'drop')).toBeUndefined();
    const pairs: Pair[] = politePairs(40).map((p, i) =>
      i % 2 === 0 ? { ...p, votes: { a: 2, b: 1, tie: 0, both_bad: 0 } } : p,
    );
    const hard = prepareTrainingData(pairs, tokenizer, dataOptions);
    const soft = prepareTrainingData(pairs, tokenizer, { ...dataOptions, softTargets: 'votes' });
    expect(hard.train.every((p) => p.outcome === undefined)).toBe(true);
    expect(soft.counts.softTargets).toBe(soft.train.filter((p) => p.outcome).length);
    expect(soft.counts.softTargets).toBeGreaterThan(0);
    // pair 0: A wins 2 votes to 1, and A is the chosen response
    for (const p of soft.train.filter((q) => q.outcome)) {
      expect(p.outcome!.chosen).toBeCloseTo(2 / 3, 12);
      expect(p.outcome!.rejected).toBeCloseTo(1 / 3, 12);
      expect(p.outcome!.tie).toBe(0);
    }
  });

  it('counts pairs cut to maxLength', () => {
    const long = 'word '.repeat(200);
    const pairs: Pair[] = [{ id: 'l', datasetId: 'd', prompt: long, responseA: long, responseB: 'short', winner: 'a' }];
    expect(prepareTrainingData(pairs, tokenizer, dataOptions).counts.truncated).toBe(1);
  });
});

describe('a validation slice', () => {
  const pairs = politePairs(120);
  const without = prepareTrainingData(pairs, tokenizer, dataOptions);

  it('is carved from training-side prompts only, grouped by prompt; the held-out split does not move', () => {
    const sliced = prepareTrainingData(pairs, tokenizer, { ...dataOptions, validationFraction: 0.3 });
    expect(sliced.heldOut).toEqual(without.heldOut);
    const validation = sliced.validation!;
    expect(validation.length).toBeGreaterThan(10);
    expect(sliced.train.length + validation.length).toBe(without.train.length);
    expect(sliced.counts).toMatchObject({ train: sliced.train.length, validation: validation.length });
    // The same prompts as inValidationSlice picks, and never a held-out one.
    const slice = { seed: dataOptions.splitSeed, fraction: 0.3 };
    const heldOutIds = new Set(without.heldOut.map((p) => p.meta.pairId));
    const expected = pairs.filter((p) => !heldOutIds.has(p.id) && inValidationSlice(p.prompt, slice));
    expect(validation.length).toBe(expected.length);
    // The vocabulary's text leaves the slice out too.
    const texts = new Set(trainingSplitTexts(pairs, { ...dataOptions, validationFraction: 0.3 }));
    for (const p of pairs) expect(texts.has(String(p.prompt))).toBe(!heldOutIds.has(p.id) && !expected.includes(p));
  });

  it('at 0 (the default) changes nothing', () => {
    const zero = prepareTrainingData(pairs, tokenizer, { ...dataOptions, validationFraction: 0 });
    expect(zero).toEqual(without);
    expect(zero.validation).toBeUndefined();
    expect(zero.counts.validation).toBeUndefined();
  });

  it("takes about its share of prompts, independently of the held-out split's hash", () => {
    const slice = { seed: 4, fraction: 0.5 };
    const share =
      Array.from({ length: 2000 }, (_, i) => inValidationSlice(`p${i}`, slice)).filter(Boolean).length / 2000;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
    // Independent of the held-out split's hash: the same seed does not pick the held-out prompts.
    const agree =
      Array.from(
        { length: 2000 },
        (_, i) =>
          inValidationSlice(`p${i}`, slice) === (splitOf(`p${i}`, { seed: 4, heldOutFraction: 0.5 }) === 'heldout'),
      ).filter(Boolean).length / 2000;
    expect(agree).toBeGreaterThan(0.45);
    expect(agree).toBeLessThan(0.55);
  });
});

describe('training loop', () => {
  it('learns a simple preference rule: held-out accuracy rises well above chance', async () => {
    const data = prepareTrainingData(politePairs(96), tokenizer, dataOptions);
    const model = RewardModel.create(spec(), 0);
    const events: TrainEvent[] = [];
    const result = await trainRewardModel(model, data, hyper, tokenizer.special.pad, {
      onEvent: (e) => events.push(e),
    });
    model.dispose();
    const evals = events.flatMap((e) => (e.type === 'eval' ? [e.point] : []));
    expect(result.steps).toBe(Math.ceil(data.train.length / 8) * 4);
    expect(evals.at(-1)!.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(evals.at(-1)!.loss).toBeLessThan(evals[0]!.loss);
    expect(evals.at(-1)!.chosenRewards).toHaveLength(data.heldOut.length);
  });

  it('reports every step once, in order, with finite loss', async () => {
    const data = prepareTrainingData(politePairs(48), tokenizer, dataOptions);
    const model = RewardModel.create(spec(), 0);
    const steps: number[] = [];
    await trainRewardModel(model, data, { ...hyper, maxSteps: 12 }, tokenizer.special.pad, {
      onEvent: (e) => {
        if (e.type === 'steps')
          for (const p of e.points) {
            expect(Number.isFinite(p.loss)).toBe(true);
            steps.push(p.step);
          }
      },
    });
    model.dispose();
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('the default seed, 0, repeats too: the same starting weights every time', async () => {
    const [a, b] = [RewardModel.create(spec(), 0), RewardModel.create(spec(), 0)];
    expect(await a.getWeights()).toEqual(await b.getWeights());
    a.dispose();
    b.dispose();
  });

  it('repeats a run exactly with the same seed', async () => {
    const data = prepareTrainingData(politePairs(48), tokenizer, dataOptions);
    const losses = async () => {
      const model = RewardModel.create(spec(), 5);
      const out: number[] = [];
      await trainRewardModel(model, data, { ...hyper, maxSteps: 6 }, tokenizer.special.pad, {
        onEvent: (e) => e.type === 'steps' && out.push(...e.points.map((p) => p.loss)),
      });
      model.dispose();
      return out;
    };
    const first = await losses();
    expect(await losses()).toEqual(first);
  });

  it('stops when asked, after the current step, and still evaluates', async () => {
    const data = prepareTrainingData(politePairs(48), tokenizer, dataOptions);
    const model = RewardModel.create(spec(), 0);
    let steps = 0;
    const events: TrainEvent[] = [];
    const result = await trainRewardModel(model, data, hyper, tokenizer.special.pad, {
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'steps') steps = e.step;
      },
      shouldStop: () => steps >= 5,
    });
    model.dispose();
    expect(result.stopped).toBe(true);
    expect(result.steps).toBeLessThan(10);
    expect(events.at(-1)).toMatchObject({ type: 'end', step: result.steps, stopped: true, earlyStopped: false });
    expect(result.lastEval?.step).toBe(result.steps);
  });

  it('leaks no tensor: memory is flat across steps and back to zero after dispose', async () => {
    const data = prepareTrainingData(politePairs(48), tokenizer, dataOptions);
    const before = tf.memory().numTensors;
    const model = RewardModel.create(spec(), 0);
    const afterCreate = tf.memory().numTensors;
    expect(afterCreate - before).toBe(model.params.size);
    const counts: number[] = [];
    await trainRewardModel(model, data, { ...hyper, maxSteps: 15, evalEvery: 5 }, tokenizer.special.pad, {
      onEvent: (e) => e.type === 'steps' && counts.push(tf.memory().numTensors),
    });
    // Adam's two moment estimates per weight live while the run does; nothing else may pile up.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(afterCreate);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensor with every loss and optimizer option on (ties, votes, centering, AdamW, schedule, clipping, accumulation)', async () => {
    const pairs: Pair[] = politePairs(48).map((p, i) =>
      i % 6 === 1 ? { ...p, winner: 'tie' } : i % 4 === 0 ? { ...p, votes: { a: 2, b: 1, tie: 1, both_bad: 0 } } : p,
    );
    const data = prepareTrainingData(pairs, tokenizer, { ...dataOptions, ties: 'davidson', softTargets: 'votes' });
    expect(data.counts.tiesTrained).toBeGreaterThan(0);
    const before = tf.memory().numTensors;
    const model = RewardModel.create(spec(), 0);
    const afterCreate = tf.memory().numTensors;
    const counts: number[] = [];
    const all = {
      ...hyper,
      batchSize: 3,
      gradAccumulation: 3,
      lrSchedule: 'cosine',
      warmupRatio: 0.2,
      weightDecay: 0.1,
      maxGradNorm: 0.5,
      ties: 'davidson',
      tieNu: 0.5,
      centerRewards: 0.01,
    } as const;
    await trainRewardModel(model, data, { ...all, maxSteps: 12, evalEvery: 4 }, tokenizer.special.pad, {
      onEvent: (e) => e.type === 'steps' && counts.push(tf.memory().numTensors),
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(afterCreate);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accumulating 2 micro-batches of 4 takes the step one batch of 8 takes (the loss is the mean over the effective batch)', async () => {
    const data = prepareTrainingData(politePairs(48), tokenizer, dataOptions);
    const run = async (batchSize: number, gradAccumulation: number) => {
      const model = RewardModel.create(spec(), 0);
      const losses: number[] = [];
      await trainRewardModel(
        model,
        data,
        { ...hyper, batchSize, gradAccumulation, maxSteps: 2, evalEvery: 100, centerRewards: 0.05 },
        tokenizer.special.pad,
        { onEvent: (e) => e.type === 'steps' && losses.push(...e.points.map((p) => p.loss)) },
      );
      const weights = await model.getWeights();
      model.dispose();
      return { losses, weights };
    };
    const one = await run(8, 1);
    const accumulated = await run(4, 2);
    const split = await run(8, 2); // twice the effective batch: a different step
    expect(accumulated.losses[0]).toBeCloseTo(one.losses[0]!, 5);
    expect(accumulated.losses[1]).toBeCloseTo(one.losses[1]!, 5);
    let maxDiff = 0;
    let splitDiff = 0;
    one.weights.forEach((w, i) =>
      w.data.forEach((x, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(x - accumulated.weights[i]!.data[j]!));
        splitDiff = Math.max(splitDiff, Math.abs(x - split.weights[i]!.data[j]!));
      }),
    );
    expect(maxDiff).toBeLessThan(1e-5);
    expect(splitDiff).toBeGreaterThan(1e-4);
  });

  it('scores held-out ties at each evaluation, response A and B, aligned with their metadata', async () => {
    const ties: Pair[] = Array.from({ length: 40 }, (_, i) => ({
      id: `t${i}`,
      datasetId: 'd',
      prompt: `tie prompt ${i}`,
      responseA: `first ${i}`,
      responseB: 'second',
      winner: 'tie',
      taskType: 'tied',
    }));
    const data = prepareTrainingData([...politePairs(48), ...ties], tokenizer, dataOptions);
    expect(data.heldOutTies.length).toBeGreaterThan(0);
    const model = RewardModel.create(spec(), 0);
    const evals: EvalPoint[] = [];
    await trainRewardModel(model, data, { ...hyper, maxSteps: 2, evalEvery: 2 }, tokenizer.special.pad, {
      onEvent: (e) => e.type === 'eval' && evals.push(e.point),
    });
    const { a, b } = evals[0]!.tieRewards;
    expect(a).toHaveLength(data.heldOutTies.length);
    expect(b).toHaveLength(data.heldOutTies.length);
    // The first tie's rewards, scored alone, match what the evaluation reported for it.
    const first = makeBatch(
      [{ chosen: data.heldOutTies[0]!.a, rejected: data.heldOutTies[0]!.b, margin: 0 }],
      32,
      tokenizer.special.pad,
    );
    const alone = await model.rewards(first.ids, first.mask).data();
    expect(a[0]).toBeCloseTo(alone[0]!, 5);
    expect(b[0]).toBeCloseTo(alone[1]!, 5);
    expect(data.heldOutTies[0]!.meta.taskType).toBe('tied');
    model.dispose();
  });

  it('refuses a dataset with nothing to train on, in plain words', async () => {
    const model = RewardModel.create(spec(), 0);
    const data = prepareTrainingData(
      [{ id: 't', datasetId: 'd', prompt: 'x', responseA: 'a', responseB: 'b', winner: 'tie' }],
      tokenizer,
      dataOptions,
    );
    await expect(trainRewardModel(model, data, hyper, 0, { onEvent: () => {} })).rejects.toThrow('no training pairs');
    model.dispose();
  });
});
