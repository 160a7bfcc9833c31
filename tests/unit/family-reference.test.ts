// DistilBERT, RoBERTa, XLM-RoBERTa and ELECTRA reward models against independent float64 PyTorch
// references (scripts/reference/{distilbert,roberta,electra}_reference.py, each a hand-written
// *ForSequenceClassification from its modeling_*.py, writing tests/fixtures/reference-<family>-*.json):
// rewards, Bradley-Terry loss, accuracy and the gradient of the loss for every weight, on the tfjs
// cpu and wasm backends, for 'cls' pooling through each family's own head and for 'mean' / 'last'.
// The fixtures hold HF's names: loading goes through the registry and each family's table, and the
// gradients come back through the same table, so the names are checked both ways. The tiny fixtures
// also run on WebGPU (tests/browser/reference-bert-webgpu.test.ts). Tolerance: tests/reference-fixture.ts.
//
// Planted bugs, each a change of the config the family reads (run below, every time): each must put
// some tensor more than 10x outside the tolerance. Bugs planted by hand in the code, one at a time,
// failed here too (worst tensor, in multiples of the tolerance, cpu):
//   'cls' reading token 1 in place of token 0 (bert.ts)    all 6 cls fixtures, up to 32000x
//   'last' pooling one token early (pool.ts)               roberta-last-gelu, 31000x
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BertConfig } from '../../src/core/model/encoders/bert-config.ts';
import { expectClose } from '../reference-expect.ts';
import {
  bertComparisons,
  bertSpecOf,
  loadBertModel,
  runBertFixture,
  type BertFixture,
} from '../bert-reference-fixture.ts';
import distilbertCls from '../fixtures/reference-distilbert-cls-gelu.json';
import distilbertMean from '../fixtures/reference-distilbert-mean-relu.json';
import distilbertTiny from '../fixtures/reference-distilbert-tiny-cls-gelu.json';
import robertaCls from '../fixtures/reference-roberta-cls-gelu.json';
import robertaLast from '../fixtures/reference-roberta-last-gelu.json';
import robertaTiny from '../fixtures/reference-roberta-tiny-cls-gelu.json';
import xlmRobertaMean from '../fixtures/reference-xlm-roberta-mean-gelu_new.json';
import electraCls from '../fixtures/reference-electra-cls-gelu.json';
import electraMean from '../fixtures/reference-electra-mean-gelu.json';
import electraTiny from '../fixtures/reference-electra-tiny-cls-gelu.json';

const FIXTURES: [string, BertFixture][] = [
  ['distilbert-cls-gelu', distilbertCls],
  ['distilbert-mean-relu', distilbertMean],
  ['distilbert-tiny-cls-gelu', distilbertTiny],
  ['roberta-cls-gelu', robertaCls],
  ['roberta-last-gelu', robertaLast],
  ['roberta-tiny-cls-gelu', robertaTiny],
  ['xlm-roberta-mean-gelu_new', xlmRobertaMean],
  ['electra-cls-gelu', electraCls],
  ['electra-mean-gelu', electraMean],
  ['electra-tiny-cls-gelu', electraTiny],
];

/** A bug planted by changing what the family read from config.json. */
const PLANTED: [string, BertFixture, (c: BertConfig) => BertConfig][] = [
  ['RoBERTa positions from 0 (no padding offset)', robertaCls, (c) => ({ ...c, positionOffset: 0 })],
  ['RoBERTa positions from padding_idx (the + 1 forgotten)', robertaLast, (c) => ({ ...c, positionOffset: 1 })],
  ['XLM-RoBERTa positions from 0', xlmRobertaMean, (c) => ({ ...c, positionOffset: 0 })],
  ["RoBERTa's head with gelu in place of tanh", robertaCls, (c) => ({ ...c, poolerActivation: 'gelu' })],
  ["ELECTRA's head with BERT's tanh in place of gelu", electraCls, (c) => ({ ...c, poolerActivation: 'tanh' })],
  [
    "DistilBERT's pre_classifier with tanh in place of relu",
    distilbertCls,
    (c) => ({ ...c, poolerActivation: 'tanh' }),
  ],
  ['DistilBERT with LayerNorm eps 1e-5', distilbertCls, (c) => ({ ...c, layerNormEps: 1e-5 })],
  ['ELECTRA (hidden = embedding) with relu', electraMean, (c) => ({ ...c, hiddenAct: 'relu' })],
];

describe.each(['cpu', 'wasm'])('encoder families against their PyTorch references on the %s backend', (backend) => {
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
    const run = await runBertFixture(f, loadBertModel(f, { ...spec, bert: plant(spec.bert) }));
    const worst = Math.max(...bertComparisons(f, run).map(([, c]) => c.ratio));
    expect(worst).toBeGreaterThan(10);
  });
});
