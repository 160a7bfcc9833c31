// Resume in Chromium, on the WASM backend and the browser's real IndexedDB. A run is cut off (its
// checkpoint write hangs, as in a tab that froze and was closed; or it is paused and its worker
// killed), the page "reloads" (the model, the optimizer and the worker are gone; a new connection
// marks the run interrupted), and the run resumes from the checkpoint read back from IndexedDB. Its
// final weights must equal, bit for bit, those of a run that was never cut off.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import '../../src/worker/wasm-setup.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedWeight } from '../../src/core/model/reward-model.ts';
import { parseTrainConfig, type TrainConfig } from '../../src/core/train/config.ts';
import { DB_NAME, openLabDB, type RMLabDatabase, type RunRecord } from '../../src/store/db.ts';
import { importLines } from '../fresh-db.ts';
import { getCheckpoint, getRun, isResumable, markInterruptedRuns } from '../../src/store/runs.ts';
import { getModelRecord } from '../../src/store/models.ts';
import type { LabWorkerApi } from '../../src/worker/lab.worker.ts';
import { resumeRun, runTraining, type RunUpdate } from '../../src/worker/train-run.ts';

const topics = ['the weather', 'a recipe', 'the train times', 'my homework', 'a good book', 'the news'];
const lines = Array.from({ length: 60 }, (_, i) => {
  const polite = `thank you for asking about ${topics[i % topics.length]}, here is a careful answer`;
  const rude = `no. figure out ${topics[i % topics.length]} yourself`;
  const aWins = i % 2 === 0;
  return JSON.stringify({
    prompt: `question ${i} about ${topics[i % topics.length]}`,
    response_a: aWins ? polite : rude,
    response_b: aWins ? rude : polite,
    winner: aWins ? 'response_a' : 'response_b',
  });
});

const withDataset = (db: RMLabDatabase) => importLines(db, lines, 'polite');

const config = parseTrainConfig({
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  maxLength: 32,
  batchSize: 8,
  epochs: 3,
  evalEvery: 4,
  learningRate: 3e-3,
  seed: 11,
  heldOutFraction: 0.2,
  backend: 'wasm',
});
const everyFour = { ...config, checkpointEvery: 4 } as TrainConfig;

const bits = (w: NamedWeight[]) => w.map((x) => ({ name: x.name, bits: Array.from(new Uint32Array(x.data.buffer)) }));
const never = () => false;

async function finalWeights(db: RMLabDatabase, run: RunRecord) {
  return bits((await getModelRecord(db, run.id))!.weights);
}

let dbCount = 0;
const freshName = () => `rm-lab-resume-${Date.now()}-${dbCount++}`;

describe('resume on WASM with the real IndexedDB', () => {
  let name: string;
  let db: RMLabDatabase;
  let dataset: { id: string; name: string };
  let reference: RunRecord;
  beforeAll(async () => {
    name = freshName();
    db = await openLabDB(name);
    dataset = await withDataset(db);
    reference = await runTraining(db, dataset, everyFour, () => {}, never);
    expect(reference).toMatchObject({ status: 'done', backend: { name: 'wasm' } });
    expect(reference.baselines?.results.map((b) => b.id)).toEqual(['chance', 'longer', 'shorter', 'bagOfWords']);
    expect(reference.best?.step).toBeGreaterThan(4); // after the cut at step 4, so the resume must carry it
  });
  afterAll(() => db.close());

  it('a run cut off between two checkpoints, then reloaded, resumes to the same weights bit for bit', async () => {
    // The write of step 8's checkpoint never finishes: the run is stuck there.
    let writes = 0;
    const freezing = new Proxy(db, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'put') return typeof value === 'function' ? value.bind(target) : value;
        return (store: string, ...rest: unknown[]) =>
          store === 'checkpoints' && ++writes > 1
            ? new Promise(() => {})
            : (value as (...a: unknown[]) => unknown).call(target, store, ...rest);
      },
    });
    let runId = '';
    void runTraining(freezing, dataset, everyFour, (u) => u.type === 'created' && (runId = u.run.id), never);
    await expect.poll(async () => (await getRun(db, runId))?.steps.length, { timeout: 60_000 }).toBe(8);

    // Reload: a new connection to the same database; nothing of the old run but what IndexedDB holds.
    const again = await openLabDB(name);
    try {
      expect(await markInterruptedRuns(again)).toBe(1);
      const left = (await getRun(again, runId))!;
      expect(left).toMatchObject({ status: 'interrupted', checkpoint: { step: 4 } });
      expect(isResumable(left)).toBe(true);
      const checkpoint = (await getCheckpoint(again, runId))!;
      expect(checkpoint).toMatchObject({ step: 4, position: { epoch: 0, index: 32 }, backend: 'wasm' });
      expect(checkpoint.weights[0]!.data).toBeInstanceOf(Float32Array);

      const resumed = await resumeRun(again, runId, () => {}, never);
      expect(resumed).toMatchObject({ status: 'done', backend: { name: 'wasm' } });
      expect(tf.getBackend()).toBe('wasm');
      expect(await finalWeights(again, resumed)).toEqual(await finalWeights(db, reference));
      expect(resumed.steps).toEqual(reference.steps);
      expect(resumed.evals).toEqual(reference.evals);
      // The best checkpoint and early stopping's state came back with the checkpoint: the same best
      // step, the same stored model, and the same last weights beside it; the baselines stayed stored.
      expect(resumed.best).toEqual(reference.best);
      expect(resumed.earlyStopped).toBe(reference.earlyStopped);
      expect(resumed.baselines).toEqual(reference.baselines);
      expect(resumed.finalModelId === undefined).toBe(reference.finalModelId === undefined);
      if (reference.finalModelId) {
        const last = async (d: RMLabDatabase, id: string) => bits((await getModelRecord(d, id))!.weights);
        expect(await last(again, resumed.finalModelId!)).toEqual(await last(db, reference.finalModelId));
      }
    } finally {
      again.close();
    }
  });
});

describe('pause, a killed worker, and resume, through the worker API', () => {
  // The worker uses the app's own database: this test clears it first and leaves it empty.
  let db: RMLabDatabase;
  beforeAll(async () => {
    db = await openLabDB(DB_NAME);
    await Promise.all(
      (['datasets', 'pairs', 'rejects', 'runs', 'models', 'checkpoints'] as const).map((s) => db.clear(s)),
    );
  });
  afterAll(async () => {
    await Promise.all(
      (['datasets', 'pairs', 'rejects', 'runs', 'models', 'checkpoints'] as const).map((s) => db.clear(s)),
    );
  });

  // Long enough (120 steps) for a pause sent from the page to land mid-run.
  const long = { ...config, epochs: 20 };
  const startWorker = () => {
    const worker = new Worker(new URL('../../src/worker/lab.worker.ts', import.meta.url), { type: 'module' });
    return { worker, api: Comlink.wrap<LabWorkerApi>(worker) };
  };

  it('pauses between steps with a checkpoint, and after the worker is killed resumes to the same weights', async () => {
    const dataset = await withDataset(db);
    const first = startWorker();
    const reference = await first.api.train(
      dataset,
      long,
      Comlink.proxy(() => {}),
    );
    expect(reference.status).toBe('done');

    let runId = '';
    let paused = false;
    let lastStep = 0;
    const onUpdate = (u: RunUpdate) => {
      if (u.type === 'created') runId = u.run.id;
      if (u.type === 'saved') paused = !!u.run.paused;
      if (u.type === 'train' && u.event.type === 'steps') {
        lastStep = u.event.step;
        if (lastStep >= 5) void first.api.pauseTraining();
      }
    };
    void first.api.train(dataset, long, Comlink.proxy(onUpdate)).catch(() => {});
    await expect.poll(() => paused, { timeout: 60_000 }).toBe(true);
    // "Paused" is sent once every step before the pause is reported and its checkpoint written.
    const stepWhenPaused = lastStep;
    expect(stepWhenPaused).toBeLessThan(120);
    const stored = async () => {
      const r = await getRun(db, runId);
      return { status: r?.status, paused: r?.paused, checkpoint: r?.checkpoint?.step };
    };
    await expect
      .poll(stored, { timeout: 10_000 })
      .toEqual({ status: 'running', paused: true, checkpoint: stepWhenPaused });
    expect((await getCheckpoint(db, runId))!.step).toBe(stepWhenPaused);
    await new Promise((r) => setTimeout(r, 300));
    expect(lastStep).toBe(stepWhenPaused); // it waits

    // The tab is closed: the worker dies with the run paused in it.
    first.worker.terminate();
    expect(await markInterruptedRuns(db)).toBe(1);
    const left = (await getRun(db, runId))!;
    expect(left).toMatchObject({ status: 'interrupted', checkpoint: { step: stepWhenPaused } });
    expect(left.paused).toBeUndefined();

    const second = startWorker();
    try {
      const resumed = await second.api.resumeRun(
        runId,
        Comlink.proxy(() => {}),
      );
      expect(resumed.status).toBe('done');
      expect(await finalWeights(db, resumed)).toEqual(await finalWeights(db, reference));
      expect(resumed.steps).toEqual(reference.steps);
    } finally {
      second.worker.terminate();
    }
  });
});
