import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { maxLengthOf, scoreTexts, ScoringCancelled } from '../../src/core/eval/score.ts';
import { encoderMaxLength } from '../../src/core/quick-head/embedding-text.ts';

const tokenizer = builtinTokenizer();
const spec: ModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: {
    vocabSize: tokenizer.vocabSize,
    maxLength: 64,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    dFF: 64,
    pooling: 'mean',
  },
};
let model: RewardModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = RewardModel.create(spec, 11);
});
afterAll(() => model.dispose());

/** One sequence alone, unpadded: the reference each batched reward must match. */
async function alone(prompt: string, response: string, maxLength: number): Promise<number> {
  const ids = tokenizer.encodePair(prompt, response, maxLength).ids;
  const r = tf.tidy(() =>
    model.rewards(
      tf.tensor2d(ids, [1, ids.length], 'int32'),
      tf.tensor2d(new Float32Array(ids.length).fill(1), [1, ids.length]),
    ),
  );
  const [value] = await r.data();
  r.dispose();
  return value!;
}

const words = 'the a cat sat on mat thank you please answer question weather recipe book'.split(' ');
const items = Array.from({ length: 37 }, (_, i) => ({
  prompt: `question ${i}: ${words.slice(0, 1 + (i % 7)).join(' ')}`,
  // Lengths from a few tokens to far past maxLength (truncated as in training).
  response: Array.from({ length: 1 + ((i * 5) % 90) }, (_, k) => words[(i + k) % words.length]).join(' '),
}));

describe('scoring texts in length-sorted batches', () => {
  it('gives each item the reward it gets alone, in input order, with training truncation', async () => {
    const progress: number[] = [];
    const before = tf.memory().numTensors;
    const rewards = await scoreTexts(model, tokenizer, items, {
      maxLength: 64,
      batchSize: 8,
      onProgress: (done, total) => {
        expect(total).toBe(37);
        progress.push(done);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual([8, 16, 24, 32, 37]);
    expect(rewards).toHaveLength(37);
    for (const [i, it] of items.entries()) {
      expect(rewards[i], `item ${i}`).toBeCloseTo(await alone(it.prompt, it.response, 64), 5);
    }
    // Distinct texts give distinct rewards: a mix-up of order would not go unseen.
    expect(new Set(rewards).size).toBeGreaterThan(30);
  });

  it('stops between batches when asked', async () => {
    let batches = 0;
    const scoring = scoreTexts(model, tokenizer, items, {
      maxLength: 64,
      batchSize: 8,
      onProgress: () => batches++,
      shouldStop: () => batches >= 2,
    });
    await expect(scoring).rejects.toBeInstanceOf(ScoringCancelled);
    expect(batches).toBe(2);
  });

  it("reads the model's sequence length from its run, else from its encoder", () => {
    expect(maxLengthOf(spec)).toBe(64);
    expect(maxLengthOf(spec, { maxLength: 32 })).toBe(32);
  });

  it("has no length of its own for a quick head (its encoder's tokenizer decides), and says so", () => {
    const quick = {
      encoder: 'frozen-hub' as const,
      tokenizer: 'hub' as const,
      embedding: { model: 'o/e', revision: 'main', pooling: 'mean' as const, normalize: true },
      head: { head: 'linear' as const, inputSize: 4, hiddenUnits: 8, members: 1 },
    };
    expect(() => maxLengthOf(quick)).toThrow(/frozen encoder's tokenizer/);
    // What the encoder says: its tokenizer's limit, else its position table; none for "no limit".
    expect(encoderMaxLength(64, 512)).toBe(64);
    expect(encoderMaxLength(1e30, 512)).toBe(512);
    expect(encoderMaxLength(undefined, undefined)).toBeUndefined();
  });
});
