// The BERT-family reward model against an independent float64 PyTorch reference
// (scripts/reference/bert_reference.py, a hand-written BertModel following transformers'
// modeling_bert.py, which writes tests/fixtures/reference-bert-*.json): rewards, Bradley-Terry loss,
// accuracy, the token-type ids and the gradient of the loss for every weight, on the tfjs cpu and wasm
// backends, for each pooling ('cls' through HF's pooler, 'mean', 'last') and each activation (exact-erf
// gelu, gelu_new, relu). The tiny fixtures are checked on WebGPU in tests/browser/reference-bert-webgpu.test.ts.
//
// Tolerance (tests/reference-fixture.ts): per tensor, max |tfjs - reference| <= 1e-4 * max(max
// |reference|, 1e-2). tfjs computes in float32 on the reference's float32-rounded weights; the
// observed worst tensor stays under 0.13 of that bound on cpu and wasm (each run logs it). Bugs planted
// by hand, one at a time (a Vite transform at load time, the files untouched), each failed here; the worst
// tensor of each fixture it touches, in multiples of the tolerance:
//   LayerNorm eps 1e-5 in place of the config's 1e-12      every fixture, 145-3280x
//   tanh GELU in place of the exact (erf) one               the 4 gelu fixtures, 14-39x
//   GELU's gradient without its x phi(x) term (gelu.ts)     the 4 gelu fixtures, 5000-6500x
//   LayerNorm's gradient without its xhat term              every fixture, 5500-31600x
//   pooler without its tanh                                 the 3 cls fixtures, 10000-19200x
//   token types all 0 / switched one token late             every fixture, 11600-26900x / 3100-20500x
//   attention mask dropped                                  every fixture, 5700-26300x
//   HF Linear weights not transposed on the way in          every fixture, 22700-65900x
// The tanh GELU bug was also run on WebGPU (reference-bert-webgpu.test.ts): it failed there at 14x.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bertTokenTypes } from '../../src/core/model/encoders/bert.ts';
import { expectClose } from '../reference-expect.ts';
import {
  bertAdamSteps,
  bertComparisons,
  bertSpecOf,
  runBertFixture,
  type BertFixture,
} from '../bert-reference-fixture.ts';
import clsGelu from '../fixtures/reference-bert-cls-gelu.json';
import meanGelu from '../fixtures/reference-bert-mean-gelu.json';
import lastGelu from '../fixtures/reference-bert-last-gelu.json';
import clsGeluNew from '../fixtures/reference-bert-cls-gelu_new.json';
import meanRelu from '../fixtures/reference-bert-mean-relu.json';
import tinyClsGelu from '../fixtures/reference-bert-tiny-cls-gelu.json';
import tinyLastGeluNew from '../fixtures/reference-bert-tiny-last-gelu_new.json';

const FIXTURES: [string, BertFixture][] = [
  ['cls-gelu', clsGelu],
  ['mean-gelu', meanGelu],
  ['last-gelu', lastGelu],
  ['cls-gelu_new', clsGeluNew],
  ['mean-relu', meanRelu],
  ['tiny-cls-gelu', tinyClsGelu],
  ['tiny-last-gelu_new', tinyLastGeluNew],
];

describe.each(['cpu', 'wasm'])('BERT against the PyTorch reference on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
    expect(tf.getBackend()).toBe(backend);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(FIXTURES)('%s: rewards, loss, accuracy and every gradient', async (label, f) => {
    const run = await runBertFixture(f);
    expectClose(`${backend} bert ${label}`, bertComparisons(f, run));
    expect([...run.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
    expect(run.accuracy).toBe(Math.fround(f.expected.accuracy));
  });

  it.each(FIXTURES)('%s: token types from the ids on the device match the reference', async (_, f) => {
    const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
    const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
    const types = bertTokenTypes(ids, mask, bertSpecOf(f).bert);
    expect(types.dtype).toBe('int32');
    expect(await types.array()).toEqual(f.batch.tokenTypes);
    tf.dispose([ids, mask, types]);
  });

  it('three Adam steps leave no tensor behind and lower the loss', async () => {
    const { start, counts, end, losses } = await bertAdamSteps(clsGelu, 1e-2);
    expect(losses[0]).toBeCloseTo(clsGelu.expected.loss, 5);
    expect(losses[2]).toBeLessThan(losses[0]!);
    // Adam makes its two moment slots per variable on the first step; after that, nothing grows.
    expect(counts[2]).toBe(counts[1]);
    expect(end).toBe(start);
  });
});

describe('the fixtures exercise what they claim', () => {
  it.each(FIXTURES)('%s: padding, a [SEP] mid-sequence, both segments, margins and non-trivial LayerNorm', (_, f) => {
    expect(f.batch.mask.flat()).toContain(0);
    expect(f.batch.tokenTypes.flat()).toContain(1);
    expect(
      f.batch.ids.every((row) => row.indexOf(f.special.sepTokenId) > 0),
      'every row has a [SEP] after [CLS]',
    ).toBe(true);
    expect(
      f.batch.ids.some((row) => row.indexOf(f.special.sepTokenId) < row.lastIndexOf(f.special.sepTokenId)),
      'some row has two segments closed by [SEP]',
    ).toBe(true);
    expect(f.batch.margin.some((m) => m !== 0)).toBe(true);
    const gamma = f.weights.find((w) => w.name === 'bert.embeddings.LayerNorm.weight')!;
    expect(gamma.data.some((g) => Math.abs(g - 1) > 0.05)).toBe(true);
    expect(f.weights.some((w) => w.name === 'bert.pooler.dense.weight')).toBe(f.pooling === 'cls');
  });

  it('covers every pooling and every supported activation', () => {
    const seen = FIXTURES.map(([, f]) => `${f.pooling} ${String(f.config.hidden_act)}`);
    for (const pooling of ['cls', 'mean', 'last']) expect(seen.some((s) => s.startsWith(pooling))).toBe(true);
    for (const act of ['gelu', 'gelu_new', 'relu']) expect(seen.some((s) => s.endsWith(` ${act}`))).toBe(true);
  });
});
