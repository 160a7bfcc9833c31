// Reward models as Hugging Face folders, for every encoder family: a *ForSequenceClassification
// checkpoint with one label opens as a ready model with its own head (scored as the PyTorch
// reference scores it); a bare-model checkpoint gets a fresh head (and a fresh classification dense
// layer, said by name); a model trained in RM Lab exports as the family's
// *ForSequenceClassification folder that a PyTorch-side loader (scripts/reference/score_folder.py,
// dispatching on config.json's architectures to each family's hand-written reference) scores the
// same, and that RM Lab itself reopens as a ready model; `rmlab score --model <folder>` scores with it.
import * as tf from '@tensorflow/tfjs';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { huggingFaceFiles } from '../../src/core/export/hf-zip.ts';
import { bytesFolder } from '../../src/core/model/hub.ts';
import { loadModelFolder, pretrainedEncoder } from '../../src/core/model/pretrained.ts';
import { RewardModel, type NamedWeight } from '../../src/core/model/reward-model.ts';
import { bradleyTerryLoss } from '../../src/core/train/loss.ts';
import {
  bertComparisons,
  bertSpecOf,
  loadBertModel,
  runBertFixture,
  type BertFixture,
} from '../bert-reference-fixture.ts';
import { expectClose } from '../reference-expect.ts';
import { fixtureFolder } from '../fixture-folder.ts';
import bertCls from '../fixtures/reference-bert-cls-gelu.json';
import distilbertCls from '../fixtures/reference-distilbert-cls-gelu.json';
import robertaCls from '../fixtures/reference-roberta-cls-gelu.json';
import electraCls from '../fixtures/reference-electra-cls-gelu.json';
import xlmRobertaMean from '../fixtures/reference-xlm-roberta-mean-gelu_new.json';
import debertaV3Cls from '../fixtures/reference-deberta-v3-cls-gelu.json';
import debertaV2Cls from '../fixtures/reference-deberta-v2-cls-gelu.json';

const FAMILIES: [string, BertFixture, string[]][] = [
  ['bert', bertCls, []], // BertModel keeps its pooler: a bare checkpoint has it
  ['distilbert', distilbertCls, ['pre_classifier.weight', 'pre_classifier.bias']],
  ['roberta', robertaCls, ['classifier.dense.weight', 'classifier.dense.bias']],
  ['electra', electraCls, ['classifier.dense.weight', 'classifier.dense.bias']],
  // DebertaV2ForSequenceClassification's ContextPooler sits at the top of the checkpoint, beside the classifier.
  ['deberta-v3', debertaV3Cls, ['pooler.dense.weight', 'pooler.dense.bias']],
  ['deberta-v2', debertaV2Cls, ['pooler.dense.weight', 'pooler.dense.bias']],
];
const PYTHON = '/usr/bin/python3';
const BIN = join(import.meta.dirname, '../../bin/rmlab.mjs');

async function openFolder(files: Map<string, Uint8Array>, label: string) {
  const folder = await loadModelFolder(bytesFolder(label, files), {});
  return pretrainedEncoder(folder, 'cls', label);
}

/** A few Adam steps on the fixture's batch, so the exported weights are RM Lab's, not the fixture's. */
async function trained(f: BertFixture): Promise<RewardModel> {
  const model = loadBertModel(f);
  const optimizer: tf.Optimizer = tf.train.adam(0.02);
  const [ids, mask, margin] = [
    tf.tensor2d(f.batch.ids, undefined, 'int32'),
    tf.tensor2d(f.batch.mask),
    tf.tensor1d(f.batch.margin),
  ];
  for (let step = 0; step < 3; step++) {
    const { value, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(ids, mask), 2) as [tf.Tensor1D, tf.Tensor1D];
      return bradleyTerryLoss(rc, rr, margin);
    }, model.trainableVariables);
    optimizer.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  tf.dispose([ids, mask, margin]);
  optimizer.dispose();
  return model;
}

async function rewardsOf(model: RewardModel, f: BertFixture): Promise<number[]> {
  const r = tf.tidy(() => model.rewards(tf.tensor2d(f.batch.ids, undefined, 'int32'), tf.tensor2d(f.batch.mask)));
  const out = [...(await r.data())];
  r.dispose();
  return out;
}

describe.each(FAMILIES)('%s reward models as Hugging Face folders', (family, f, dense) => {
  it('a *ForSequenceClassification checkpoint opens with its own head and scores as the PyTorch reference', async () => {
    const opened = await openFolder(fixtureFolder(f, { withHead: true }), `tiny/${family}-rm`);
    expect(opened.summary.readyHead).toBe(true);
    expect(opened.summary.initialised).toEqual([]);
    const model = RewardModel.fromPretrained(opened.spec, opened.weights, 0, opened.head);
    const run = await runBertFixture(f, model);
    expectClose(`ready ${family}`, bertComparisons(f, run).slice(0, 2)); // rewards and loss
  });

  it('a bare-model checkpoint gets a fresh head and a fresh classification dense layer, named', async () => {
    const opened = await openFolder(fixtureFolder(f), `tiny/${family}`);
    expect(opened.head).toBeUndefined();
    expect(opened.summary.readyHead).toBe(false);
    expect(opened.summary.initialised).toEqual(dense);
  });

  it('a classifier with two labels is not taken as the reward head, and the page is told why', async () => {
    const files = fixtureFolder(f, { withHead: true });
    const spec = bertSpecOf(f);
    const D = spec.bert.hiddenSize;
    const { readSafetensors, writeSafetensors } = await import('../../src/core/model/safetensors.ts');
    const tensors = [...readSafetensors(files.get('model.safetensors')!).tensors].map(([name, t]) => {
      if (/classifier(\.out_proj)?\.weight$/.test(name) && t.shape[0] === 1)
        return { name, shape: [2, D], data: new Float32Array(2 * D) };
      if (/classifier(\.out_proj)?\.bias$/.test(name) && t.shape[0] === 1)
        return { name, shape: [2], data: new Float32Array(2) };
      return { name, shape: t.shape, data: t.data };
    });
    files.set('model.safetensors', writeSafetensors(tensors));
    const opened = await openFolder(files, `tiny/${family}-2`);
    expect(opened.head).toBeUndefined();
    expect(opened.summary.headNote).toMatch(/has 2 labels, not one reward: a fresh head/);
  });

  it('exports a trained model that PyTorch scores the same, and that reopens as a ready model', async () => {
    const model = await trained(f);
    const ours = await rewardsOf(model, f);
    const weights: NamedWeight[] = await model.getWeights();
    const opened = await openFolder(fixtureFolder(f), `tiny/${family}`);
    const files = huggingFaceFiles({ spec: model.spec, weights, tokenizer: opened.tokenizer, name: 'x' });
    model.dispose();
    expect(JSON.parse(new TextDecoder().decode(files['config.json'])).architectures).toEqual([
      expect.stringMatching(/ForSequenceClassification$/),
    ]);
    const dir = mkdtempSync(join(tmpdir(), `export-${family}-`));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ ...f.batch, sepTokenId: f.special.sepTokenId }));
    const out = execFileSync(PYTHON, ['scripts/reference/score_folder.py', dir, join(dir, 'inputs.json')], {
      encoding: 'utf8',
    });
    const theirs = JSON.parse(out) as number[];
    theirs.forEach((t, i) => expect(ours[i], `reward ${i}`).toBeCloseTo(t, 5));
    expect(theirs.map((t, i) => Math.abs(t - f.expected.rewards[i]!)).some((d) => d > 1e-3)).toBe(true); // it trained

    const reopened = await openFolder(new Map(Object.entries(files)), `folder:${family}-export`);
    expect(reopened.summary.readyHead).toBe(true);
    const again = RewardModel.fromPretrained(reopened.spec, reopened.weights, 0, reopened.head);
    expect(await rewardsOf(again, f)).toEqual(ours);
    again.dispose();

    if (family === 'roberta') await scoresFromTheCli(dir);
  });
});

/** `rmlab score --model <folder>` on the exported folder: a ready reward model, no model file. */
async function scoresFromTheCli(dir: string) {
  const rows = join(dir, 'rows.jsonl');
  writeFileSync(rows, `${JSON.stringify({ prompt: 'what is good', responses: ['good', 'bad'] })}\n`);
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'score', '--model', dir, '--data', rows], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  expect(run.code, run.stderr).toBe(0);
  const scored = JSON.parse(run.stdout.trim()) as { rewards: number[] };
  expect(scored.rewards).toHaveLength(2);
  expect(scored.rewards[0]).not.toBe(scored.rewards[1]);
  expect(readFileSync(join(dir, 'config.json'), 'utf8')).toMatch(/RobertaForSequenceClassification/);
}

describe('what has no *ForSequenceClassification export', () => {
  it('refuses mean pooling, naming the family class', () => {
    const model = loadBertModel(xlmRobertaMean);
    const weights = [...model.params].map(([name, v]) => ({
      name,
      shape: v.shape,
      data: v.dataSync() as Float32Array,
    }));
    expect(() => huggingFaceFiles({ spec: model.spec, weights, tokenizer: { json: {} }, name: 'x' })).toThrow(
      /pools by the mean of its tokens, and HF's XLMRobertaForSequenceClassification pools through \[CLS\]/,
    );
    model.dispose();
  });
});
