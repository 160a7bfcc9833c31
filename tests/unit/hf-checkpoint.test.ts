// Hugging Face BERT checkpoints in and out (src/core/model/hf-checkpoint.ts): which config.json files
// are accepted and how the others are refused, how a checkpoint's tensors become the encoder's
// weights (prefixes, transposes, a missing pooler, missing or misshapen tensors), and the export as
// BertForSequenceClassification, checked against a name list written from HF's state_dict.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { bertParams } from '../../src/core/model/encoders/bert.ts';
import type { BertConfig } from '../../src/core/model/encoders/bert-config.ts';
import {
  bertEncoderWeights,
  bertTable,
  readBertConfig,
  toHuggingFaceSequenceClassification,
} from '../../src/core/model/hf-checkpoint.ts';
import { RewardModel, type BertModelSpec, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { readSafetensors, writeSafetensors, type SafetensorsTensor } from '../../src/core/model/safetensors.ts';
import { fixtureModelWeights, fixtureTensors, type BertFixture } from '../bert-reference-fixture.ts';
import clsGelu from '../fixtures/reference-bert-cls-gelu.json';
import meanGelu from '../fixtures/reference-bert-mean-gelu.json';

const SPECIAL = { sepTokenId: 102, padTokenId: 0 };

// sentence-transformers/all-MiniLM-L6-v2's config.json, as published (the fields that matter).
const MINILM = {
  _name_or_path: 'nreimers/MiniLM-L6-H384-uncased',
  architectures: ['BertModel'],
  attention_probs_dropout_prob: 0.1,
  gradient_checkpointing: false,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 384,
  initializer_range: 0.02,
  intermediate_size: 1536,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 6,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.8.2',
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: 30522,
};

describe('readBertConfig', () => {
  it('reads a MiniLM config.json into a BertConfig', () => {
    expect(readBertConfig(MINILM, SPECIAL)).toEqual({
      modelType: 'bert',
      vocabSize: 30522,
      hiddenSize: 384,
      numLayers: 6,
      numHeads: 12,
      intermediateSize: 1536,
      maxPositions: 512,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenAct: 'gelu',
      sepTokenId: 102,
      padTokenId: 0,
    } satisfies BertConfig);
  });

  it("fills the optional fields with HF BertConfig's defaults, and reads gelu_pytorch_tanh as gelu_new", () => {
    const {
      hidden_act: _a,
      layer_norm_eps: _e,
      type_vocab_size: _t,
      max_position_embeddings: _m,
      position_embedding_type: _p,
      ...bare
    } = MINILM;
    const c = readBertConfig(bare, SPECIAL);
    expect([c.hiddenAct, c.layerNormEps, c.typeVocabSize, c.maxPositions]).toEqual(['gelu', 1e-12, 2, 512]);
    expect(readBertConfig({ ...MINILM, hidden_act: 'gelu_pytorch_tanh' }, SPECIAL).hiddenAct).toBe('gelu_new');
    expect(readBertConfig({ ...MINILM, hidden_act: 'relu' }, SPECIAL).hiddenAct).toBe('relu');
  });

  const supported = /RM Lab supports model_type 'bert' \(BERT, MiniLM, BGE-small, GTE-small/;
  it.each([
    [
      'albert',
      { ...MINILM, model_type: 'albert', architectures: ['AlbertModel'] },
      /model_type "albert" \(AlbertModel\)/,
    ],
    ['mpnet', { ...MINILM, model_type: 'mpnet' }, /model_type "mpnet"/],
    ['t5', { model_type: 't5', d_model: 512 }, /model_type "t5"/],
    ['no model_type', { ...MINILM, model_type: undefined }, /config\.json has no model_type/],
    ['a missing config.json', undefined, /config\.json is missing or not a JSON object \(got nothing\)/],
    ['null', null, /not a JSON object \(got null\)/],
    ['a list', [1, 2], /not a JSON object \(got \[1,2\]\)/],
    ['a string', 'bert', /not a JSON object \(got "bert"\)/],
  ])('refuses %s in one message naming what it got and what is supported', (_, config, got) => {
    expect(() => readBertConfig(config, SPECIAL)).toThrow(got);
    expect(() => readBertConfig(config, SPECIAL)).toThrow(supported);
    // Every family of the registry is named, by model_type.
    for (const type of ['distilbert', 'roberta', 'xlm-roberta', 'electra', 'deberta-v2', 'gpt2', 'llama', 'qwen2']) {
      expect(() => readBertConfig(config, SPECIAL)).toThrow(`'${type}' (`);
    }
  });

  it.each([
    [
      { position_embedding_type: 'relative_key' },
      /position_embedding_type "relative_key" is not supported.*'absolute'/,
    ],
    [
      { hidden_act: 'silu' },
      /hidden_act "silu" is not supported; RM Lab supports gelu \(exact\), gelu_new \(tanh\) and relu/,
    ],
    [{ hidden_size: 100 }, /hidden_size 100 is not divisible by num_attention_heads 12/],
    [{ is_decoder: true }, /is_decoder is true/],
    [{ num_hidden_layers: '6' }, /num_hidden_layers must be a positive integer, got "6"/],
    [{ vocab_size: 0 }, /vocab_size must be a positive integer, got 0/],
    [{ intermediate_size: undefined }, /intermediate_size must be a positive integer, got undefined/],
    [{ layer_norm_eps: -1 }, /layer_norm_eps must be a positive number, got -1/],
    [{ vocab_size: 100 }, /sepTokenId 102 is outside the model's vocabulary of 100/],
  ])('refuses an unsupported or broken setting %o', (change, message) => {
    expect(() => readBertConfig({ ...MINILM, ...change }, SPECIAL)).toThrow(message);
  });
});

const TINY: BertConfig = {
  modelType: 'bert',
  vocabSize: 32,
  hiddenSize: 8,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 32,
  maxPositions: 24,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenAct: 'gelu',
  sepTokenId: 2,
  padTokenId: 0,
};
const spec = (pooling: 'cls' | 'mean' | 'last'): BertModelSpec => ({
  encoder: 'bert',
  tokenizer: 'embedded',
  bert: TINY,
  pooling,
  source: 'folder:tiny',
});

/** A checkpoint's tensors, HF names (a BertModel's, optionally under a prefix), values from a seeded counter. */
function checkpoint(prefix: string, withPooler = true): Map<string, SafetensorsTensor> {
  const out = new Map<string, SafetensorsTensor>();
  let k = 0;
  for (const row of bertTable(TINY, withPooler ? 'cls' : 'mean')) {
    if (row.part !== 'encoder') continue;
    const shape = bertParams(TINY, 'cls').find((p) => p.name === row.name)!.shape;
    const hfShape = row.transpose ? [...shape].reverse() : shape;
    const data = Float32Array.from({ length: hfShape.reduce((a, b) => a * b, 1) }, () => (k++ % 997) / 1000);
    out.set(prefix + row.hfName, { dtype: 'F32', shape: hfShape, data });
  }
  return out;
}

describe('bertEncoderWeights', () => {
  it.each(['', 'bert.'])(
    "reads a checkpoint with prefix '%s', transposing Linear weights and ignoring other heads",
    (prefix) => {
      const tensors = checkpoint(prefix);
      tensors.set('cls.predictions.bias', { dtype: 'F32', shape: [32], data: new Float32Array(32) });
      tensors.set(`${prefix}embeddings.position_ids`, { dtype: 'I64', shape: [1, 24], data: new Float32Array(24) });
      const { weights, initialised } = bertEncoderWeights(spec('cls'), tensors);
      expect(initialised).toEqual([]);
      expect(weights.map((w) => w.name)).toEqual(bertParams(TINY, 'cls').map((p) => p.name));
      const byName = new Map(weights.map((w) => [w.name, w]));
      // HF's intermediate.dense.weight is [out 32, in 8]: element [o, i] lands at [i, o] in RM Lab's [8, 32].
      const hf = tensors.get(`${prefix}encoder.layer.1.intermediate.dense.weight`)!;
      const mine = byName.get('layers.1.mlp.in.weight')!;
      expect(mine.shape).toEqual([8, 32]);
      for (const [o, i] of [
        [0, 0],
        [5, 3],
        [31, 7],
      ] as const)
        expect(mine.data[i * 32 + o]).toBe(hf.data[o * 8 + i]);
      // Embeddings and LayerNorm keep their layout.
      expect(byName.get('embeddings.word')!.data).toEqual(
        tensors.get(`${prefix}embeddings.word_embeddings.weight`)!.data,
      );
      expect(byName.get('layers.0.attn.ln.gamma')!.data).toEqual(
        tensors.get(`${prefix}encoder.layer.0.attention.output.LayerNorm.weight`)!.data,
      );
    },
  );

  it("reads LayerNorm's old TensorFlow names (gamma, beta)", () => {
    const tensors = new Map(
      [...checkpoint('bert.')].map(([name, t]) => [
        name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
        t,
      ]),
    );
    expect(bertEncoderWeights(spec('cls'), tensors).weights).toHaveLength(bertParams(TINY, 'cls').length);
  });

  it('gives a checkpoint without a pooler a fresh one (N(0, 0.02^2), zero bias, the same each time) and names it', () => {
    const { weights, initialised } = bertEncoderWeights(spec('cls'), checkpoint('', false));
    expect(initialised).toEqual(['pooler.dense.weight', 'pooler.dense.bias']);
    const w = weights.find((x) => x.name === 'pooler.weight')!;
    const mean = w.data.reduce((a, b) => a + b, 0) / w.data.length;
    const std = Math.sqrt(w.data.reduce((a, b) => a + (b - mean) ** 2, 0) / w.data.length);
    expect(std).toBeGreaterThan(0.014);
    expect(std).toBeLessThan(0.026);
    expect(weights.find((x) => x.name === 'pooler.bias')!.data.every((b) => b === 0)).toBe(true);
    expect(
      bertEncoderWeights(spec('cls'), checkpoint('', false)).weights.find((x) => x.name === 'pooler.weight')!.data,
    ).toEqual(w.data);
  });

  it("needs no pooler for 'mean' and 'last' pooling, and ignores one that is there", () => {
    for (const pooling of ['mean', 'last'] as const) {
      const withPooler = bertEncoderWeights(spec(pooling), checkpoint(''));
      expect(withPooler.initialised).toEqual([]);
      expect(withPooler.weights.map((w) => w.name)).toEqual(bertParams(TINY, pooling).map((p) => p.name));
      expect(bertEncoderWeights(spec(pooling), checkpoint('', false)).initialised).toEqual([]);
    }
  });

  it('refuses a missing tensor and a wrong shape, naming each tensor with the shape found and expected', () => {
    const tensors = checkpoint('bert.');
    tensors.delete('bert.encoder.layer.1.attention.self.key.bias');
    tensors.set('bert.embeddings.word_embeddings.weight', {
      dtype: 'F32',
      shape: [30, 8],
      data: new Float32Array(240),
    });
    const load = () => bertEncoderWeights(spec('cls'), tensors);
    expect(load).toThrow(/bert\.embeddings\.word_embeddings\.weight has shape \[30,8\], expected \[32,8\]/);
    expect(load).toThrow(/bert\.encoder\.layer\.1\.attention\.self\.key\.bias is missing \(expected shape \[8\]\)/);
  });

  it('refuses tensors that are not a BERT checkpoint, naming what it found', () => {
    const roberta = new Map([...checkpoint('')].map(([name, t]) => [`roberta.${name}`, t]));
    expect(() => bertEncoderWeights(spec('cls'), roberta)).toThrow(
      /no embeddings\.word_embeddings\.weight .*not a BERT checkpoint; its first tensors are roberta\.embeddings/,
    );
  });
});

// HF's BertForSequenceClassification(BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=2,
// num_attention_heads=2, intermediate_size=32, max_position_embeddings=24, num_labels=1)).state_dict(),
// names and shapes in order, written out by hand from modeling_bert.py (position_ids is a
// non-persistent buffer in current transformers, so not in the state_dict).
const HF_STATE_DICT: [string, number[]][] = [
  ['bert.embeddings.word_embeddings.weight', [32, 8]],
  ['bert.embeddings.position_embeddings.weight', [24, 8]],
  ['bert.embeddings.token_type_embeddings.weight', [2, 8]],
  ['bert.embeddings.LayerNorm.weight', [8]],
  ['bert.embeddings.LayerNorm.bias', [8]],
  ...[0, 1].flatMap((l): [string, number[]][] => [
    [`bert.encoder.layer.${l}.attention.self.query.weight`, [8, 8]],
    [`bert.encoder.layer.${l}.attention.self.query.bias`, [8]],
    [`bert.encoder.layer.${l}.attention.self.key.weight`, [8, 8]],
    [`bert.encoder.layer.${l}.attention.self.key.bias`, [8]],
    [`bert.encoder.layer.${l}.attention.self.value.weight`, [8, 8]],
    [`bert.encoder.layer.${l}.attention.self.value.bias`, [8]],
    [`bert.encoder.layer.${l}.attention.output.dense.weight`, [8, 8]],
    [`bert.encoder.layer.${l}.attention.output.dense.bias`, [8]],
    [`bert.encoder.layer.${l}.attention.output.LayerNorm.weight`, [8]],
    [`bert.encoder.layer.${l}.attention.output.LayerNorm.bias`, [8]],
    [`bert.encoder.layer.${l}.intermediate.dense.weight`, [32, 8]],
    [`bert.encoder.layer.${l}.intermediate.dense.bias`, [32]],
    [`bert.encoder.layer.${l}.output.dense.weight`, [8, 32]],
    [`bert.encoder.layer.${l}.output.dense.bias`, [8]],
    [`bert.encoder.layer.${l}.output.LayerNorm.weight`, [8]],
    [`bert.encoder.layer.${l}.output.LayerNorm.bias`, [8]],
  ]),
  ['bert.pooler.dense.weight', [8, 8]],
  ['bert.pooler.dense.bias', [8]],
  ['classifier.weight', [1, 8]],
  ['classifier.bias', [1]],
];

describe('toHuggingFaceSequenceClassification', () => {
  it("writes HF's state_dict names and shapes, in order, and a config.json that reads back as the same model", async () => {
    const model = RewardModel.create(spec('cls'), 3);
    const { config, tensors } = toHuggingFaceSequenceClassification(model.spec, await model.getWeights());
    model.dispose();
    expect(tensors.map((t): [string, number[]] => [t.name, t.shape])).toEqual(HF_STATE_DICT);
    expect(config).toMatchObject({
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      id2label: { '0': 'LABEL_0' },
      label2id: { LABEL_0: 0 },
      problem_type: 'regression',
      hidden_act: 'gelu',
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
    });
    expect(readBertConfig(JSON.parse(JSON.stringify(config)), { sepTokenId: 2, padTokenId: 0 })).toEqual(TINY);
  });

  it("exports the reference fixture's model as exactly the fixture's HF tensors (every transpose undone)", () => {
    const f = clsGelu as BertFixture;
    const { tensors } = toHuggingFaceSequenceClassification(
      { ...spec('cls'), bert: readBertConfig(f.config, f.special) },
      fixtureModelWeights(f),
    );
    const original = fixtureTensors(f);
    expect(tensors.map((t) => t.name)).toEqual([...original.keys()]);
    for (const t of tensors) {
      expect(t.shape, t.name).toEqual(original.get(t.name)!.shape);
      expect(t.data, t.name).toEqual(original.get(t.name)!.data);
    }
  });

  it('round-trips through a safetensors file and back into a model that scores the same', async () => {
    const model = RewardModel.create(spec('cls'), 11);
    const weights = await model.getWeights();
    const { tensors } = toHuggingFaceSequenceClassification(model.spec, weights);
    const file = readSafetensors(writeSafetensors(tensors));
    const { weights: encoder } = bertEncoderWeights(spec('cls'), file.tensors);
    const head = weights.filter((w) => w.name.startsWith('head.'));
    const again = RewardModel.fromWeights(model.spec, [...encoder, ...head]);
    const ids = tf.tensor2d([[1, 7, 2, 9, 9, 2, 0]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 0]]);
    const [a, b] = [model.rewards(ids, mask), again.rewards(ids, mask)];
    expect(await b.data()).toEqual(await a.data());
    tf.dispose([ids, mask, a, b]);
    model.dispose();
    again.dispose();
  });

  it('refuses mean and last pooling (HF pools through [CLS] and its pooler) and the built-in encoder', () => {
    const f = meanGelu as BertFixture;
    const mean = { ...spec('mean'), bert: readBertConfig(f.config, f.special) };
    expect(() => toHuggingFaceSequenceClassification(mean, fixtureModelWeights(f))).toThrow(
      /pools by the mean of its tokens.*BertForSequenceClassification pools through \[CLS\] and its pooler only/,
    );
    expect(() => toHuggingFaceSequenceClassification(spec('last'), [])).toThrow(/pools by its last token/);
    const builtin: ModelSpec = {
      encoder: 'builtin-transformer',
      tokenizer: 'builtin',
      transformer: { vocabSize: 10, maxLength: 8, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, pooling: 'cls' },
    };
    expect(() => toHuggingFaceSequenceClassification(builtin, [])).toThrow(/only BERT-family models export/);
  });

  it('names a weight the model lacks', () => {
    expect(() => toHuggingFaceSequenceClassification(spec('cls'), [])).toThrow(
      /the model has no weight embeddings\.word \(HF's embeddings\.word_embeddings\.weight\)/,
    );
  });
});
