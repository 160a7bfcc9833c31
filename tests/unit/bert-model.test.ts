// The BERT-family reward model's life cycle (RewardModel.create / fromPretrained / fromWeights with a
// 'bert' spec): HF's random initialisation, a pretrained encoder under a fresh head, refusals that
// leave nothing half-built, and a round trip through RM Lab's model file. Its numbers are checked
// against PyTorch in bert-reference.test.ts.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { bertParams } from '../../src/core/model/encoders/bert.ts';
import type { BertConfig } from '../../src/core/model/encoders/bert-config.ts';
import { decodeModelFile, encodeModelFile } from '../../src/core/model/model-file.ts';
import { RewardModel, type BertModelSpec, type NamedWeight } from '../../src/core/model/reward-model.ts';

const CONFIG: BertConfig = {
  modelType: 'bert',
  vocabSize: 40,
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 64,
  maxPositions: 12,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenAct: 'gelu',
  sepTokenId: 3,
  padTokenId: 1,
};
const spec = (pooling: 'cls' | 'mean' | 'last' = 'cls'): BertModelSpec => ({
  encoder: 'bert',
  tokenizer: 'embedded',
  bert: CONFIG,
  pooling,
  source: 'folder:test',
});

function weightsOf(model: RewardModel): Map<string, NamedWeight> {
  return new Map(
    [...model.params].map(([name, v]) => [name, { name, shape: v.shape, data: v.dataSync() as Float32Array }]),
  );
}

function std(data: Float32Array): number {
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  return Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / data.length);
}

async function score(model: RewardModel): Promise<Float32Array> {
  const ids = tf.tensor2d(
    [
      [2, 7, 9, 3, 11, 3, 1, 1],
      [2, 7, 3, 30, 31, 32, 3, 1],
    ],
    undefined,
    'int32',
  );
  const mask = tf.tensor2d([
    [1, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 0],
  ]);
  const r = tf.tidy(() => model.rewards(ids, mask)); // the intermediates go with the tidy
  const out = (await r.data()) as Float32Array;
  tf.dispose([ids, mask, r]);
  return out;
}

describe('RewardModel.create with a BERT spec', () => {
  it("initialises as HF's BertPreTrainedModel does: N(0, 0.02^2) weights, zero biases, LayerNorm 1 and 0, a zero [PAD] row", () => {
    const model = RewardModel.create(spec(), 4);
    const w = weightsOf(model);
    expect([...w.keys()]).toEqual([...bertParams(CONFIG, 'cls').map((p) => p.name), 'head.weight', 'head.bias']);
    for (const [name, { data }] of w) {
      if (name.endsWith('.gamma'))
        expect(
          data.every((x) => x === 1),
          name,
        ).toBe(true);
      else if (name.endsWith('.beta') || (name.endsWith('.bias') && name !== 'head.bias'))
        expect(
          data.every((x) => x === 0),
          name,
        ).toBe(true);
    }
    for (const name of [
      'embeddings.position',
      'layers.1.attn.query.weight',
      'layers.0.mlp.in.weight',
      'pooler.weight',
    ]) {
      const s = std(w.get(name)!.data);
      expect(s, name).toBeGreaterThan(0.015);
      expect(s, name).toBeLessThan(0.025);
    }
    const word = w.get('embeddings.word')!.data;
    const D = CONFIG.hiddenSize;
    expect(word.slice(CONFIG.padTokenId * D, (CONFIG.padTokenId + 1) * D).every((x) => x === 0)).toBe(true);
    expect(word.slice(0, D).some((x) => x !== 0)).toBe(true);
    model.dispose();
  });

  it('is seeded: the same seed gives the same weights, another seed others', () => {
    const [a, b, c] = [RewardModel.create(spec(), 4), RewardModel.create(spec(), 4), RewardModel.create(spec(), 5)];
    const [wa, wb, wc] = [weightsOf(a), weightsOf(b), weightsOf(c)];
    expect(wb.get('layers.1.mlp.out.weight')!.data).toEqual(wa.get('layers.1.mlp.out.weight')!.data);
    expect(wc.get('layers.1.mlp.out.weight')!.data).not.toEqual(wa.get('layers.1.mlp.out.weight')!.data);
    [a, b, c].forEach((m) => m.dispose());
  });

  it("has a pooler for 'cls' pooling only", () => {
    for (const pooling of ['mean', 'last'] as const) {
      const model = RewardModel.create(spec(pooling), 1);
      expect([...model.params.keys()].some((n) => n.startsWith('pooler.'))).toBe(false);
      model.dispose();
    }
  });

  it('refuses a batch longer than its position table', () => {
    const model = RewardModel.create(spec('last'), 1);
    const ids = tf.zeros([1, 13], 'int32') as tf.Tensor2D;
    const mask = tf.ones([1, 13]) as tf.Tensor2D;
    expect(() => model.rewards(ids, mask)).toThrow(/sequence length 13 exceeds the encoder's 12 positions/);
    tf.dispose([ids, mask]);
    model.dispose();
  });
});

describe('RewardModel.fromPretrained', () => {
  const pretrained = (pooling: 'cls' | 'mean' = 'cls'): NamedWeight[] => {
    const donor = RewardModel.create(spec(pooling), 99);
    const w = [...weightsOf(donor).values()].filter((x) => !x.name.startsWith('head.'));
    donor.dispose();
    return w;
  };

  it("takes every encoder weight as given and puts a fresh head on top (the seed's, std 1/sqrt(D+1))", () => {
    const encoder = pretrained();
    const model = RewardModel.fromPretrained(spec(), encoder, 6);
    const fresh = RewardModel.create(spec(), 6);
    const w = weightsOf(model);
    for (const e of encoder) expect(w.get(e.name)!.data, e.name).toEqual(e.data);
    expect(w.get('head.weight')!.data).toEqual(weightsOf(fresh).get('head.weight')!.data);
    expect(w.get('head.bias')!.data).toEqual(new Float32Array([0]));
    model.dispose();
    fresh.dispose();
  });

  it('refuses, naming the tensor, a missing weight, a wrong shape, an unknown name and the built-in encoder; nothing is left allocated', () => {
    const before = tf.memory().numTensors;
    const encoder = pretrained();
    const missing = encoder.filter((w) => w.name !== 'layers.1.attn.value.bias');
    expect(() => RewardModel.fromPretrained(spec(), missing, 1)).toThrow(/no tensor layers\.1\.attn\.value\.bias/);
    const misshapen = encoder.map((w) => (w.name === 'pooler.weight' ? { ...w, shape: [8, 32] } : w));
    expect(() => RewardModel.fromPretrained(spec(), misshapen, 1)).toThrow(
      /tensor pooler\.weight has shape \[8,32\], the encoder expects \[16,16\]/,
    );
    expect(() => RewardModel.fromPretrained(spec('mean'), encoder, 1)).toThrow(
      /weights pooler\.weight, pooler\.bias are not part of this encoder/,
    );
    const builtin = {
      encoder: 'builtin-transformer' as const,
      tokenizer: 'builtin' as const,
      transformer: { vocabSize: 10, maxLength: 8, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, pooling: 'cls' as const },
    };
    expect(() => RewardModel.fromPretrained(builtin, encoder, 1)).toThrow(/only BERT-family encoders are pretrained/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a BERT reward model stored and restored', () => {
  it.each(['cls', 'mean', 'last'] as const)(
    '%s: through RM Lab model file and fromWeights it scores exactly the same',
    async (pooling) => {
      const model = RewardModel.create(spec(pooling), 21);
      const file = encodeModelFile({
        spec: model.spec,
        tokenizer: { json: { model: { type: 'WordPiece' } } },
        weights: await model.getWeights(),
        meta: { name: 'test', createdAt: '2026-01-01T00:00:00Z' },
      });
      const decoded = decodeModelFile(file);
      const restored = RewardModel.fromWeights(decoded.spec, decoded.weights);
      expect(await score(restored)).toEqual(await score(model));
      model.dispose();
      restored.dispose();
    },
  );

  it('fromWeights refuses weights without the head, and frees what it built', () => {
    const model = RewardModel.create(spec(), 2);
    const weights = [...weightsOf(model).values()].filter((w) => w.name !== 'head.bias');
    model.dispose();
    const before = tf.memory().numTensors;
    expect(() => RewardModel.fromWeights(spec(), weights)).toThrow(/tensor head\.bias is missing/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
