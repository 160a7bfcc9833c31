// Freezing (src/core/train/freezing.ts): which parameters train, by name, for every family on the
// registry and the built-in encoder; and in a real run on the cpu backend, frozen weights end bit for
// bit as they started, get no Adam moments in the checkpoint, and a run cut and resumed ends as the
// one that never stopped.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { FAMILIES } from '../../src/core/model/families/registry.ts';
import { RewardModel, type ModelSpec, type NamedWeight } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import type { TrainState } from '../../src/core/train/checkpoint.ts';
import { prepareTrainingData } from '../../src/core/train/data.ts';
import { isFrozen, layerCount, trainedNames } from '../../src/core/train/freezing.ts';
import { trainRewardModel } from '../../src/core/train/trainer.ts';
import { transformerParams } from '../../src/core/model/encoders/transformer.ts';

const tokenizer = builtinTokenizer();
const pad = tokenizer.special.pad;
const spec: ModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: {
    vocabSize: tokenizer.vocabSize,
    maxLength: 32,
    dModel: 16,
    nLayers: 3,
    nHeads: 2,
    dFF: 32,
    pooling: 'cls',
  },
};

describe('which parameters a freezing choice trains', () => {
  const names = [
    ...transformerParams(spec.transformer!).map((p) => p.name),
    'head.weight',
    'head.bias',
    'length.weight',
  ];

  it('freezes the embeddings and the lower k layers of the built-in encoder, never the head', () => {
    expect(layerCount(names)).toBe(3);
    const trained = trainedNames(names, { frozenLayers: 2, embeddingTraining: 'train' });
    expect(trained.some((n) => n.startsWith('embeddings.') || /^layers\.[01]\./.test(n))).toBe(false);
    expect(trained.filter((n) => n.startsWith('layers.2.'))).toHaveLength(12);
    expect(trained).toContain('ln_f.gamma');
    expect(trained).toEqual(expect.arrayContaining(['head.weight', 'head.bias', 'length.weight']));
  });

  it('the layer count or more trains the head alone; 0 trains everything but what embeddingTraining freezes', () => {
    for (const k of [3, 64]) {
      expect(trainedNames(names, { frozenLayers: k, embeddingTraining: 'train' })).toEqual([
        'head.weight',
        'head.bias',
        'length.weight',
      ]);
    }
    expect(trainedNames(names, { frozenLayers: 0, embeddingTraining: 'train' })).toEqual(names);
    expect(trainedNames(names, { frozenLayers: 0, embeddingTraining: 'freeze' })).toEqual(
      names.filter((n) => n !== 'embeddings.word'),
    );
  });

  it.each(FAMILIES.map((f) => [f.modelTypes[0]!, f] as const))(
    '%s: the lower layers and embeddings freeze, the upper layers, pooler and head train',
    (modelType, family) => {
      const config = family.readConfig(
        {
          model_type: modelType,
          vocab_size: 50,
          hidden_size: 8,
          num_hidden_layers: 2,
          num_attention_heads: 2,
          intermediate_size: 16,
          max_position_embeddings: 32,
          // GPT-2's config.json names the same shape its own way.
          n_embd: 8,
          n_layer: 2,
          n_head: 2,
          n_inner: 16,
          n_positions: 32,
        },
        { sepTokenId: 1, padTokenId: 0 },
      );
      const all = family.table(config, 'cls').map((r) => r.name);
      const trained = trainedNames(all, { frozenLayers: 1, embeddingTraining: 'train' });
      for (const name of all) {
        const frozen = name.startsWith('embeddings.') || name.startsWith('layers.0.');
        expect(trained.includes(name), name).toBe(!frozen);
      }
      expect(trained.some((n) => n.startsWith('layers.1.'))).toBe(true);
      // A decoder's head (HF's `score`) has no bias.
      const head = family.headBias === false ? ['head.weight'] : ['head.weight', 'head.bias'];
      expect(trained).toEqual(expect.arrayContaining(head));
      expect(isFrozen('head.weight', 2, { frozenLayers: 99, embeddingTraining: 'freeze' })).toBe(false);
    },
  );
});

function pairs(n: number): Pair[] {
  return Array.from({ length: n }, (_, i) => {
    const good = `thank you for asking, here is a careful answer number ${i}`;
    const bad = `no. figure it out ${i}`;
    const aWins = i % 2 === 0;
    return {
      id: `p${i}`,
      datasetId: 'd',
      prompt: `question ${i}`,
      responseA: aWins ? good : bad,
      responseB: aWins ? bad : good,
      winner: aWins ? 'a' : 'b',
    };
  });
}

const data = prepareTrainingData(pairs(40), tokenizer, {
  maxLength: 32,
  heldOutFraction: 0.2,
  splitSeed: 1,
  stratify: 'none',
  maxHeldOutPairs: 100,
  ties: 'drop',
  softTargets: 'off',
});
const hyper = {
  batchSize: 4,
  learningRate: 1e-2,
  epochs: 2,
  maxSteps: 0,
  seed: 3,
  evalEvery: 100,
  maxLength: 32,
  weightDecay: 0.1, // decay must not reach a frozen weight either
  frozenLayers: 2,
  checkpointEvery: 1000,
} as const;
const bits = (w: NamedWeight[]) => w.map((x) => ({ name: x.name, bits: Array.from(new Uint32Array(x.data.buffer)) }));

async function run(seed: number, from?: TrainState, stopAt?: number) {
  const model = RewardModel.create(spec, seed);
  const start = await model.getWeights();
  let last: TrainState | undefined;
  let steps = 0;
  await trainRewardModel(
    model,
    data,
    hyper,
    pad,
    {
      onEvent: () => {},
      onCheckpoint: async (s) => {
        last = structuredClone(s);
      },
      pauseGate: () => void steps++,
      shouldStop: () => steps === stopAt,
    },
    from,
  );
  const end = await model.getWeights();
  model.dispose();
  return { start, end, last: last! };
}

describe('a run with the lower 2 of 3 layers frozen, on the cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('keeps frozen weights bit for bit, trains the rest, and gives frozen ones no Adam state', async () => {
    const { start, end, last } = await run(5);
    const frozen = (n: string) => n.startsWith('embeddings.') || /^layers\.[01]\./.test(n);
    // A bias added to both rewards of a pair cancels in the pairwise loss: head.bias and the final
    // LayerNorm's shift get a zero gradient and stay put though they train. Every other weight moves.
    const stillAnyway = new Set(['head.bias', 'ln_f.beta']);
    for (const [i, w] of end.entries()) {
      const same = bits([w])[0]!.bits.join() === bits([start[i]!])[0]!.bits.join();
      expect(same, w.name).toBe(frozen(w.name) || stillAnyway.has(w.name));
    }
    const moments = last.optimizer.moments.map((m) => m.name);
    expect(moments.some((n) => frozen(n.replace(/\/[mv]$/, '')))).toBe(false);
    expect(moments).toContain('layers.2.attn.qkv.weight/m');
    expect(moments).toContain('head.weight/v');
  }, 120_000);

  it('cut at step 3 and resumed into other starting weights, ends as the run that never stopped', async () => {
    const whole = await run(5);
    const cut = await run(5, undefined, 3);
    expect(cut.last.step).toBe(3);
    const resumed = await run(99, cut.last);
    expect(bits(resumed.end)).toEqual(bits(whole.end));
    expect(bits(resumed.last.optimizer.moments)).toEqual(bits(whole.last.optimizer.moments));
  }, 120_000);
});
