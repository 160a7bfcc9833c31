import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { prepareTrainingData } from '../../src/core/train/data.ts';
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

  it('counts pairs cut to maxLength', () => {
    const long = 'word '.repeat(200);
    const pairs: Pair[] = [{ id: 'l', datasetId: 'd', prompt: long, responseA: long, responseB: 'short', winner: 'a' }];
    expect(prepareTrainingData(pairs, tokenizer, dataOptions).counts.truncated).toBe(1);
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
    expect(events.at(-1)).toEqual({ type: 'end', step: result.steps, stopped: true });
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
