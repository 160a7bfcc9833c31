// The reward's length term end to end: it learns length when Max tokens hides it from the encoder,
// frozen word embeddings stay as they started, a model with the term travels through the model file
// unchanged, scoring can leave the term out, and a Hugging Face export refuses it.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { scoreTexts } from '../../src/core/eval/score.ts';
import { toHuggingFaceSequenceClassification } from '../../src/core/model/hf-checkpoint.ts';
import { decodeModelFile, encodeModelFile } from '../../src/core/model/model-file.ts';
import { LENGTH_SCALE, modelSpecFor, RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/core/train/config.ts';
import { prepareTrainingData } from '../../src/core/train/data.ts';
import type { EvalPoint } from '../../src/core/train/events.ts';
import { trainRewardModel } from '../../src/core/train/trainer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tokenizer = builtinTokenizer();

/**
 * The longer answer wins, and both answers start with the same 20 words: cut to 16 tokens, the
 * encoder reads the same text on both sides, so only the length term can tell them apart.
 */
function longerWinsPairs(n: number): Pair[] {
  const opening = 'here is what i think about this question and why it matters to you and to me today';
  return Array.from({ length: n }, (_, i) => {
    const long = `${opening} ${'and some more detail '.repeat(3 + (i % 5))}`;
    const short = `${opening} ${'ok '.repeat(i % 3)}`;
    const aWins = i % 2 === 0;
    return {
      id: `p${i}`,
      datasetId: 'd',
      prompt: `question ${i}`,
      responseA: aWins ? long : short,
      responseB: aWins ? short : long,
      winner: aWins ? 'a' : 'b',
    };
  });
}

function configWith(change: Partial<TrainConfig>): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    dModel: 16,
    nLayers: 0,
    nHeads: 2,
    pooling: 'mean',
    maxLength: 16,
    heldOutFraction: 0.25,
    splitSeed: 1,
    batchSize: 8,
    learningRate: 3e-3,
    epochs: 3,
    evalEvery: 1000,
    seed: 2,
    ...change,
  };
}

async function train(config: TrainConfig) {
  const data = prepareTrainingData(longerWinsPairs(64), tokenizer, config);
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), config.seed);
  let last: EvalPoint | undefined;
  await trainRewardModel(model, data, config, tokenizer.special.pad, {
    onEvent: (e) => {
      if (e.type === 'eval') last = e.point;
    },
  });
  return { model, data, last: last! };
}

describe('the length term', () => {
  it('learns that the longer answer wins when truncation hides length from the encoder', async () => {
    const withTerm = await train(configWith({ lengthReward: 'term' }));
    const without = await train(configWith({ lengthReward: 'off' }));
    // Every pair was cut: the encoder read the same opening on both sides.
    expect(withTerm.data.counts.truncated).toBe(withTerm.data.counts.total);
    expect(withTerm.last.accuracy).toBe(1);
    expect(without.last.accuracy).toBeLessThan(0.8);
    const w = (await withTerm.model.params.get('length.weight')!.data())[0]!;
    expect(w).toBeGreaterThan(0);
    expect(without.model.params.has('length.weight')).toBe(false);
    withTerm.model.dispose();
    without.model.dispose();
  });

  it('frozen word embeddings end as they started, while the rest trains', async () => {
    const config = configWith({ lengthReward: 'term', embeddingTraining: 'freeze' });
    const before = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), config.seed);
    const start = await before.params.get('embeddings.word')!.data();
    before.dispose();
    const { model } = await train(config);
    expect(await model.params.get('embeddings.word')!.data()).toEqual(start);
    expect((await model.params.get('length.weight')!.data())[0]).not.toBe(0);
    model.dispose();
  });

  it('travels through the model file, and scoring can leave it out', async () => {
    const config = configWith({ lengthReward: 'odin' });
    const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), 5);
    model.setWeights([
      ...(await model.getWeights()).filter((w) => w.name !== 'length.weight'),
      { name: 'length.weight', shape: [1], data: Float32Array.of(0.02) },
    ]);
    const file = decodeModelFile(
      encodeModelFile({ spec: model.spec, weights: await model.getWeights(), meta: { name: 'm', createdAt: 'now' } }),
    );
    expect(file.spec.length).toBe('odin');
    const again = RewardModel.fromWeights(file.spec, file.weights);
    const items = [
      { prompt: 'q', response: 'a short answer' },
      { prompt: 'q', response: 'a much longer answer with many more words than the other one has in it' },
    ];
    const options = { maxLength: 16 };
    const reward = await scoreTexts(model, tokenizer, items, options);
    expect(await scoreTexts(again, tokenizer, items, options)).toEqual(reward);
    const quality = await scoreTexts(again, tokenizer, items, { ...options, part: 'quality' });
    items.forEach((it, i) => {
      const n = tokenizer.encodeText(it.response).length; // before truncation
      expect(reward[i]! - quality[i]!).toBeCloseTo(0.02 * LENGTH_SCALE * Math.log1p(n), 4);
    });
    model.dispose();
    again.dispose();
  });

  it('has no place in a Hugging Face sequence classifier: the export refuses it', () => {
    const spec = {
      encoder: 'bert',
      tokenizer: 'embedded',
      pooling: 'cls',
      source: 'x',
      length: 'term',
      bert: {},
    } as unknown as ModelSpec;
    expect(() => toHuggingFaceSequenceClassification(spec, [])).toThrow(/length term/);
  });
});
