// A run on a pretrained encoder as the worker drives it (runTraining / resumeRun), on tfjs's cpu
// backend against fake-indexeddb, the encoder downloaded from the Hub stand-in on 127.0.0.1: the
// page hears the download's progress and what was loaded, the run trains from the checkpoint's
// weights with the model's own tokenizer, keeps that tokenizer with its checkpoints and its final
// model, and resumes with the Hub gone. A load that fails fails the run in plain words.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/core/model/safetensors.ts';
import { tokenizerFor } from '../../src/core/model/tokenizer.ts';
import { parseTrainConfig, type TrainConfig } from '../../src/core/train/config.ts';
import { type RMLabDatabase } from '../../src/store/db.ts';
import { freshDatabases, importLines } from '../fresh-db.ts';
import { getCheckpoint } from '../../src/store/runs.ts';
import { getModelRecord } from '../../src/store/models.ts';
import { resumeRun, runTraining, setHubEndpoint, type RunUpdate } from '../../src/worker/train-run.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { tinyBertFolder } from '../tiny-bert.ts';

const lines = Array.from({ length: 40 }, (_, i) => {
  const good = `yes, the capital of france is paris. thank you for the question ${i}`;
  const bad = `no. wrong answer ${i}`;
  const aWins = i % 2 === 0;
  return JSON.stringify({
    prompt: `what is the capital of france? question ${i}`,
    response_a: aWins ? good : bad,
    response_b: aWins ? bad : good,
    winner: aWins ? 'response_a' : 'response_b',
  });
});

let hub: HubServer;
const openTestDB = freshDatabases('rm-lab-pretrained-run');
const files = tinyBertFolder({ tokenizer: 'vocab', dtype: 'BF16', prefix: 'bert.' });

beforeAll(async () => {
  hub = await startHubServer({ 'tiny/bert': { files } });
  setHubEndpoint(hub.url);
});

afterAll(async () => {
  setHubEndpoint(undefined);
  await hub.close();
});

async function withDataset(): Promise<{ db: RMLabDatabase; dataset: { id: string; name: string } }> {
  const { db } = await openTestDB();
  return { db, dataset: await importLines(db, lines, 'paris') };
}

const config = {
  ...parseTrainConfig({
    encoder: 'tiny/bert',
    pooling: 'mean',
    maxLength: 32,
    batchSize: 8,
    epochs: 2,
    evalEvery: 4,
    learningRate: 1e-3,
    seed: 5,
    heldOutFraction: 0.2,
    backend: 'cpu',
  }),
  checkpointEvery: 2,
} as TrainConfig;

describe('training on a pretrained encoder from the Hub', () => {
  it('downloads it with progress, trains from its weights with its tokenizer, and keeps the tokenizer with the model', async () => {
    const { db, dataset } = await withDataset();
    const updates: RunUpdate[] = [];
    const run = await runTraining(
      db,
      dataset,
      { ...config, maxSteps: 4 },
      (u) => updates.push(u),
      () => false,
    );
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('done');
    expect(run.steps.at(-1)!.step).toBe(4);

    const progress = updates.flatMap((u) => (u.type === 'encoder' ? [u.progress] : []));
    const weightsBytes = files.get('model.safetensors')!.byteLength;
    expect(progress.find((p) => p.file === 'model.safetensors' && p.fileLoaded === weightsBytes)).toMatchObject({
      fileTotal: weightsBytes,
      cached: false,
    });
    const loaded = updates.find((u) => u.type === 'encoderLoaded');
    expect(loaded).toMatchObject({
      summary: {
        source: 'tiny/bert',
        architecture: 'BertModel',
        layers: 2,
        hiddenSize: 16,
        tokenizerFromVocab: true,
        initialised: [],
      },
    });
    // Loaded before the run trains: encoder updates come before the backend is chosen.
    const order = updates.map((u) => u.type);
    expect(order.indexOf('encoderLoaded')).toBeLessThan(order.indexOf('backend'));

    const model = (await getModelRecord(db, run.id))!;
    expect(model.spec).toMatchObject({ encoder: 'bert', tokenizer: 'embedded', pooling: 'mean', source: 'tiny/bert' });
    expect(model.tokenizer).toBeDefined();
    const tok = tokenizerFor(model.spec, model.tokenizer);
    expect(tok.special).toEqual({ pad: 0, cls: 2, sep: 3 });
    expect((await getCheckpoint(db, run.id))!.tokenizer).toEqual(model.tokenizer);

    // It trained from the checkpoint's weights: the word embeddings moved only a little from them
    // (a random start would be nowhere near), and they did move.
    const original = readSafetensors(files.get('model.safetensors')!).tensors.get(
      'bert.embeddings.word_embeddings.weight',
    )!.data;
    const trained = model.weights.find((w) => w.name.includes('word'))!.data;
    expect(trained.length).toBe(original.length);
    let moved = 0;
    let far = 0;
    for (let i = 0; i < trained.length; i++) {
      const d = Math.abs(trained[i]! - original[i]!);
      if (d > 0) moved++;
      if (d > 0.05) far++;
    }
    expect(moved).toBeGreaterThan(0);
    expect(far).toBe(0);
  });

  it('resumes from its checkpoint with the Hub out of reach, on the tokenizer the checkpoint carries', async () => {
    const { db, dataset } = await withDataset();
    let steps = 0;
    const stopped = await runTraining(
      db,
      dataset,
      { ...config, maxSteps: 6 },
      (u) => {
        if (u.type === 'train' && u.event.type === 'steps') steps = u.event.step;
      },
      () => steps >= 2,
    );
    expect(stopped.status).toBe('stopped');
    setHubEndpoint('http://127.0.0.1:9'); // nothing listens there
    try {
      const updates: RunUpdate[] = [];
      const resumed = await resumeRun(
        db,
        stopped.id,
        (u) => updates.push(u),
        () => false,
      );
      expect(resumed.error).toBeUndefined();
      expect(resumed.status).toBe('done');
      expect(resumed.steps.at(-1)!.step).toBe(6);
      expect(updates.some((u) => u.type === 'encoder')).toBe(false);
      expect((await getModelRecord(db, stopped.id))!.spec).toMatchObject({ encoder: 'bert', source: 'tiny/bert' });
    } finally {
      setHubEndpoint(hub.url);
    }
  });

  it('stops, not fails, when Stop is pressed during the download', async () => {
    hub.repos.set('tiny/slow', { files: tinyBertFolder({ extraBytes: 2_000_000 }) });
    hub.slowdown = 30;
    try {
      const { db, dataset } = await withDataset();
      let downloading = false;
      const run = await runTraining(
        db,
        dataset,
        { ...config, encoder: 'tiny/slow' },
        (u) => {
          if (u.type === 'encoder' && u.progress.file === 'model.safetensors' && u.progress.fileLoaded > 0)
            downloading = true;
        },
        () => downloading,
      );
      expect(run.status).toBe('stopped');
      expect(run.error).toBeUndefined();
      expect(run.steps).toEqual([]);
      expect(await getModelRecord(db, run.id)).toBeUndefined();
    } finally {
      hub.slowdown = 0;
    }
  });

  it('fails the run in plain words when the encoder cannot be loaded, storing no model', async () => {
    const { db, dataset } = await withDataset();
    const run = await runTraining(
      db,
      dataset,
      { ...config, encoder: 'nobody/nothing' },
      () => {},
      () => false,
    );
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/the Hub has no public repository nobody\/nothing/);
    expect(await getModelRecord(db, run.id)).toBeUndefined();
  });

  it('refuses a Max tokens longer than the encoder reads', async () => {
    const { db, dataset } = await withDataset();
    const run = await runTraining(
      db,
      dataset,
      { ...config, maxLength: 128 },
      () => {},
      () => false,
    );
    expect(run.status).toBe('failed');
    expect(run.error).toBe('Max tokens is 128, but tiny/bert reads at most 64 tokens: set Max tokens to 64 or less');
  });
});
