// DeBERTa-v2/v3 reward models against the independent float64 PyTorch reference
// (scripts/reference/deberta_reference.py, DebertaV2ForSequenceClassification written by hand from
// modeling_deberta_v2.py, writing tests/fixtures/reference-deberta-*.json): rewards, Bradley-Terry
// loss, accuracy and the gradient of the loss for every weight, on the tfjs cpu and wasm backends.
// The fixtures cover v3's shape (log buckets, share_att_key, norm_rel_ebd, no absolute positions,
// no segments), v2's (separate pos_key_proj / pos_query_proj, a span shorter than the sequence so
// the index clamps, absolute positions, segments, embed_proj) and c2p alone under mean pooling.
// The tiny one also runs on WebGPU (tests/browser/reference-bert-webgpu.test.ts). Loading goes
// through the registry and the family's table, gradients come back through it, so HF's names are
// checked both ways. make_log_bucket_position is checked on its own against torch's, over -600..600.
//
// Planted bugs: the config changes below run every time, each must put some tensor more than 10x
// outside the tolerance. Bugs planted by hand in the code, one at a time, failed here too (worst
// tensor in multiples of the tolerance, cpu, 6 Dec 2026):
//   bucket: Math.round for HF's ceil (ops/relative-position.ts)     the 5 bucket tables; v3-cls 20000x,
//                                                                      c2p-mean 15000x, tiny 14000x
//   p2c without its transpose (encoders/deberta.ts)                   v3-cls 45000x, v2-cls 19000x, tiny 11000x
//   p2c index with c2p's sign (relativeIndex(rel, span, 1))            v3-cls 67000x, v2-cls 29000x, tiny 27000x
//   scale sqrt(hs) in place of sqrt(hs * (1 + |pos_att_type|))         all four, 9000x to 25000x
// (HF's `mid - 1` for |delta| < mid, and `abs <= mid` as `abs < mid`, change no bucket: not bugs.)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDebertaConfig, type DebertaConfig } from '../../src/core/model/encoders/deberta-config.ts';
import { logBucketPosition } from '../../src/core/model/ops/relative-position.ts';
import { withLora } from '../../src/core/model/lora.ts';
import { mergeLora } from '../../src/core/model/lora-merge.ts';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { expectClose } from '../reference-expect.ts';
import {
  adamSteps,
  bertComparisons,
  bertSpecOf,
  fixtureModelWeights,
  loadBertModel,
  runBertFixture,
  type BertFixture,
} from '../bert-reference-fixture.ts';
import buckets from '../fixtures/reference-deberta-buckets.json';
import v3Cls from '../fixtures/reference-deberta-v3-cls-gelu.json';
import v2Cls from '../fixtures/reference-deberta-v2-cls-gelu.json';
import c2pMean from '../fixtures/reference-deberta-c2p-mean-gelu.json';
import tinyCls from '../fixtures/reference-deberta-tiny-cls-gelu.json';

const FIXTURES: [string, BertFixture][] = [
  ['deberta-v3-cls-gelu', v3Cls],
  ['deberta-v2-cls-gelu', v2Cls],
  ['deberta-c2p-mean-gelu', c2pMean],
  ['deberta-tiny-cls-gelu', tinyCls],
];

type Plant = (c: DebertaConfig) => DebertaConfig;
const PLANTED: [string, BertFixture, Plant][] = [
  [
    'log buckets toward another max position',
    v3Cls,
    (c) => ({ ...c, maxRelativePositions: 2 * c.maxRelativePositions }),
  ],
  ['share_att_key where the checkpoint has its own pos_*_proj', v2Cls, (c) => ({ ...c, shareAttKey: true })],
  ['the p2c term dropped (and the scale with it)', v3Cls, (c) => ({ ...c, posAttTypes: ['c2p'] })],
  ['norm_rel_ebd ignored', v3Cls, (c) => ({ ...c, normRelEmbeddings: false })],
  ['absolute positions ignored (position_biased_input)', v2Cls, (c) => ({ ...c, positionBiasedInput: false })],
  ['BERT eps 1e-12 in place of 1e-7', v3Cls, (c) => ({ ...c, layerNormEps: 1e-3 })],
  ["the pooler's gelu as tanh", v3Cls, (c) => ({ ...c, poolerActivation: 'tanh' })],
];

describe("make_log_bucket_position, against torch's", () => {
  it.each(buckets.cases.map((c) => [c.buckets, c.maxPosition, c.bucketed] as const))(
    'buckets %i, max position %i: every relative position from -600 to 600',
    (size, maxPosition, expected) => {
      const ours = buckets.deltas.map((d) => logBucketPosition(d, size, maxPosition));
      expect(ours).toEqual(expected);
    },
  );
});

describe.each(['cpu', 'wasm'])('DeBERTa against its PyTorch reference on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(FIXTURES)('%s: rewards, loss, accuracy and every gradient', async (label, f) => {
    const before = tf.memory().numTensors;
    const run = await runBertFixture(f);
    expectClose(`${backend} ${label}`, bertComparisons(f, run));
    expect([...run.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
    expect(run.accuracy).toBe(Math.fround(f.expected.accuracy));
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(PLANTED)('a planted bug fails: %s', async (_, f, plant) => {
    const spec = bertSpecOf(f);
    const run = await runBertFixture(f, loadBertModel(f, { ...spec, bert: plant(spec.bert as DebertaConfig) }));
    const worst = Math.max(...bertComparisons(f, run).map(([, c]) => c.ratio));
    expect(worst).toBeGreaterThan(10);
  });
});

describe('DeBERTa training steps', () => {
  it('3 Adam steps on the cpu backend lower the loss and keep tf.memory().numTensors flat', async () => {
    await tf.setBackend('cpu');
    const f = v3Cls as BertFixture;
    const { start, counts, end, losses } = await adamSteps(() => loadBertModel(f), f.batch, 1e-2, 3);
    expect(losses[0]).toBeCloseTo(f.expected.loss, 5); // the first step saw the reference weights
    expect(losses[2]).toBeLessThan(losses[0]!);
    expect(counts[2]).toBe(counts[1]);
    expect(end).toBe(start);
  });
});

describe('LoRA on DeBERTa-v3', () => {
  it('adapts the shared query_proj / key_proj for the relative embeddings too: it scores as its merge does', async () => {
    await tf.setBackend('cpu');
    const f = v3Cls as BertFixture;
    const spec = withLora(bertSpecOf(f), { loraRank: 2, loraAlpha: 4, loraTargets: 'query_proj, key_proj' });
    // B starts at zero (no update): give it values, so the adapters change the scores.
    const adapters = RewardModel.create(spec, 3);
    const lora = (await adapters.getWeights()).filter((w) => /\.lora_[AB]$/.test(w.name));
    adapters.dispose();
    const weights = [
      ...fixtureModelWeights(f),
      ...lora.map((w) => (w.name.endsWith('lora_B') ? { ...w, data: w.data.map((_, i) => 0.3 * Math.sin(i + 1)) } : w)),
    ];
    const merged = mergeLora(spec, weights);
    const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
    const mask = tf.tensor2d(f.batch.mask);
    const score = async (m: RewardModel) => {
      const r = m.rewards(ids, mask);
      const out = Array.from(await r.data());
      r.dispose();
      m.dispose();
      return out;
    };
    const adapted = await score(RewardModel.fromWeights(spec, weights));
    const asMerged = await score(RewardModel.fromWeights(merged.spec, merged.weights));
    adapted.forEach((r, i) => expect(r, `reward ${i}`).toBeCloseTo(asMerged[i]!, 5));
    expect(Math.max(...adapted.map((r, i) => Math.abs(r - f.expected.rewards[i]!)))).toBeGreaterThan(1e-3);
    tf.dispose([ids, mask]);
  });
});

describe("DeBERTa's config.json", () => {
  // deberta-v3-base's config.json, as microsoft/deberta-v3-base ships it.
  const V3_BASE = {
    model_type: 'deberta-v2',
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: 768,
    initializer_range: 0.02,
    intermediate_size: 3072,
    max_position_embeddings: 512,
    relative_attention: true,
    position_buckets: 256,
    norm_rel_ebd: 'layer_norm',
    share_att_key: true,
    pos_att_type: 'p2c|c2p',
    layer_norm_eps: 1e-7,
    max_relative_positions: -1,
    position_biased_input: false,
    num_attention_heads: 12,
    num_hidden_layers: 12,
    type_vocab_size: 0,
    vocab_size: 128100,
  };
  const special = { sepTokenId: 2, padTokenId: 0 };

  it("reads deberta-v3-base's as transformers does", () => {
    expect(readDebertaConfig(V3_BASE, special)).toMatchObject({
      maxRelativePositions: 512, // -1: max_position_embeddings
      positionBuckets: 256,
      posAttTypes: ['p2c', 'c2p'],
      shareAttKey: true,
      normRelEmbeddings: true,
      positionBiasedInput: false,
      typeVocabSize: 0,
      layerNormEps: 1e-7,
      poolerActivation: 'gelu',
    });
    expect(readDebertaConfig(V3_BASE, special)).not.toHaveProperty('embeddingSize');
  });

  it.each([
    ['the convolution layer', { conv_kernel_size: 3 }, /conv_kernel_size 3 asks for DeBERTa-v2's convolution layer/],
    ["DeBERTa v1's p2p", { pos_att_type: ['c2p', 'p2p'] }, /pos_att_type "p2p" is not supported/],
    ['a narrower pooler', { pooler_hidden_size: 512 }, /pooler_hidden_size 512 differs from hidden_size 768/],
    [
      'another head size',
      { attention_head_size: 32 },
      /attention_head_size 32 is not hidden_size \/ num_attention_heads/,
    ],
    ['a flag as text', { share_att_key: 'true' }, /share_att_key must be true or false, got "true"/],
  ])('refuses %s, naming the field', (_, change, message) => {
    expect(() => readDebertaConfig({ ...V3_BASE, ...change }, special)).toThrow(message);
  });
});
