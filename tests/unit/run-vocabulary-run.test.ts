// A built-in run with its own vocabulary, as the worker drives it (runTraining / resumeRun) on tfjs's
// cpu backend against fake-indexeddb: the vocabulary is built from the training split (no held-out
// word gets in), travels with the stored model and its checkpoints, a stopped run resumes to the
// very weights of an uninterrupted one, and the model file carries the vocabulary bit for bit.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { checkModelFile } from '../../src/core/model/model-check.ts';
import { decodeModelFile, encodeModelFile } from '../../src/core/model/model-file.ts';
import { PairTokenizer } from '../../src/core/model/tokenizer.ts';
import { builtinVocabulary } from '../../src/core/model/word-vectors.ts';
import { parseTrainConfig, type TrainConfig } from '../../src/core/train/config.ts';
import { planSplit } from '../../src/core/data/split.ts';
import { type RMLabDatabase } from '../../src/store/db.ts';
import { freshDatabases, importLines } from '../fresh-db.ts';
import { getPairs } from '../../src/store/datasets.ts';
import { getModelRecord } from '../../src/store/models.ts';
import { importPairs } from '../../src/worker/import.ts';
import { resumeRun, runTraining } from '../../src/worker/train-run.ts';

// Each pair has a word of its own, said twice, so it is frequent enough to enter the vocabulary
// exactly when its pair is on the training side.
const lines = Array.from({ length: 40 }, (_, i) => {
  const good = `yes, the capital of france is paris. thank you for the question`;
  const bad = `no. wrong answer`;
  const aWins = i % 2 === 0;
  return JSON.stringify({
    prompt: `what is the capital of france? zq${i} zq${i}`,
    response_a: aWins ? good : bad,
    response_b: aWins ? bad : good,
    winner: aWins ? 'response_a' : 'response_b',
  });
});

const openTestDB = freshDatabases('rm-lab-run-vocabulary');

async function withDataset(): Promise<{ db: RMLabDatabase; dataset: { id: string; name: string } }> {
  const { db } = await openTestDB();
  return { db, dataset: await importLines(db, lines, 'paris') };
}

const config = {
  ...parseTrainConfig({
    encoder: 'builtin',
    vocabularySize: 100,
    dModel: 8,
    nHeads: 2,
    maxLength: 32,
    batchSize: 8,
    epochs: 2,
    evalEvery: 2,
    learningRate: 1e-2,
    seed: 5,
    heldOutFraction: 0.25,
    patience: 0,
    backend: 'cpu',
  }),
  checkpointEvery: 2,
} as TrainConfig;

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

describe('a built-in run with its own vocabulary', () => {
  it('builds it from the training split, keeps it with the model, and resumes to the same weights', async () => {
    const whole = await withDataset();
    const done = await runTraining(
      whole.db,
      whole.dataset,
      config,
      () => {},
      () => false,
    );
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('done');
    const model = (await getModelRecord(whole.db, done.id))!;
    expect(model.spec.tokenizer).toBe('embedded');
    // Coverage counted on the training split: each pair a 9-token prompt and responses of 14 and 4 tokens.
    const coverage = done.counts!.vectorCoverage!;
    expect(coverage.tokens).toBe(done.counts!.train * (9 + 14 + 4));
    expect(coverage.covered).toBeGreaterThan(0.5 * coverage.tokens);
    expect(coverage.covered).toBeLessThan(coverage.tokens);
    const vocab = builtinVocabulary(model.tokenizer!.json);
    expect(model.spec.encoder === 'builtin-transformer' && model.spec.transformer.vocabSize).toBe(vocab.length);

    const pairs = await getPairs(whole.db, whole.dataset.id);
    const split = planSplit(pairs, { seed: config.splitSeed, heldOutFraction: 0.25, stratify: config.stratify });
    const has = new Set(vocab);
    let heldOut = 0;
    for (const pair of pairs) {
      const word = /zq\d+/.exec(String(pair.prompt))![0];
      const held = split.sideOf(pair) === 'heldout';
      heldOut += held ? 1 : 0;
      expect(has.has(word)).toBe(!held);
    }
    expect(heldOut).toBeGreaterThan(0);

    // Stopped after two steps and resumed: the checkpoint's vocabulary, the same final weights.
    const parts = await withDataset();
    let steps = 0;
    const stopped = await runTraining(
      parts.db,
      parts.dataset,
      config,
      (u) => {
        if (u.type === 'train' && u.event.type === 'steps') steps = u.event.step;
      },
      () => steps >= 2,
    );
    expect(stopped.status).toBe('stopped');
    const resumed = await resumeRun(
      parts.db,
      stopped.id,
      () => {},
      () => false,
    );
    expect(resumed.error).toBeUndefined();
    expect(resumed.status).toBe('done');
    const again = (await getModelRecord(parts.db, stopped.id))!;
    expect(again.tokenizer).toEqual(model.tokenizer);
    expect(again.weights.map((w) => w.name)).toEqual(model.weights.map((w) => w.name));
    again.weights.forEach((w, i) => expect(bits(w.data)).toEqual(bits(model.weights[i]!.data)));

    // Through the model file: the same spec, vocabulary and weights, and the tokenizer it reads with.
    const file = decodeModelFile(
      encodeModelFile({
        spec: model.spec,
        tokenizer: model.tokenizer,
        weights: model.weights,
        meta: { name: 'run vocabulary', createdAt: '2026-01-01T00:00:00.000Z' },
      }),
    );
    expect(file.spec).toEqual(model.spec);
    expect(file.tokenizer).toEqual(model.tokenizer);
    file.weights.forEach((w, i) => expect(bits(w.data)).toEqual(bits(model.weights[i]!.data)));
    const tokenizer = checkModelFile(file, 'run.rmlab.safetensors')!;
    expect(tokenizer.identity).toBe(new PairTokenizer(model.tokenizer!.json).identity);
    expect(tokenizer.encodeText('the capital of paris')).toHaveLength(4);
  }, 120_000);

  it('stops in plain words before training when the training split has no text', async () => {
    const { db } = await openTestDB();
    const empty = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ prompt: '', response_a: ' ', response_b: '\n', winner: i % 2 ? 'response_a' : 'response_b' }),
    );
    const { dataset } = await importPairs(
      db,
      streamOfBytes(new TextEncoder().encode(empty.join('\n')), 512),
      { name: 'empty', source: { kind: 'file', name: 'empty.jsonl' } },
      () => {},
    );
    const run = await runTraining(
      db,
      { id: dataset.id, name: dataset.name },
      config,
      () => {},
      () => false,
    );
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/training split has no prompt or response text/);
    expect(run.steps).toHaveLength(0);
    expect(await getModelRecord(db, run.id)).toBeUndefined();
  });
});
