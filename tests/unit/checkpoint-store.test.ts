// A run as the worker drives it (runTraining / resumeRun), on tfjs's cpu backend, against an
// in-memory IndexedDB (fake-indexeddb): checkpoints land in the store, a run cut off (a crash
// between two checkpoints, a tab closed while paused, a stop) is marked 'interrupted' by the next
// page and resumes to the very weights and curves of a run that was never cut; a diverging run
// fails in plain words and keeps its last good checkpoint. The same in Chromium, on WASM and the
// real IndexedDB: tests/browser/resume.test.ts.
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NamedWeight } from '../../src/core/model/reward-model.ts';
import { parseTrainConfig, type TrainConfig } from '../../src/core/train/config.ts';
import { epochProgress } from '../../src/core/train/run-progress.ts';
import { deleteDataset } from '../../src/store/datasets.ts';
import { DB_VERSION, type RMLabDatabase, type RunRecord } from '../../src/store/db.ts';
import { freshDatabases, importLines, openAtVersion } from '../fresh-db.ts';
import { deleteRun, getCheckpoint, getRun, isResumable, markInterruptedRuns, putRun } from '../../src/store/runs.ts';
import { getModelRecord } from '../../src/store/models.ts';
import { PauseGate, resumeRun, runTraining, type RunUpdate } from '../../src/worker/train-run.ts';

const openTestDB = freshDatabases('rm-lab-checkpoint-store');

const topics = ['the weather', 'a recipe', 'the train times', 'my homework', 'a good book', 'the news'];
const lines = Array.from({ length: 60 }, (_, i) => {
  const polite = `thank you for asking about ${topics[i % topics.length]}, here is a careful answer`;
  const rude = `no. figure out ${topics[i % topics.length]} yourself`;
  const aWins = i % 2 === 0;
  return JSON.stringify({
    prompt: `question ${i} about ${topics[i % topics.length]}`,
    response_a: aWins ? polite : rude,
    response_b: aWins ? rude : polite,
    winner: i % 11 === 5 ? 'tie' : aWins ? 'response_a' : 'response_b',
  });
});

const withDataset = (db: RMLabDatabase) => importLines(db, lines, 'polite');

// checkpointEvery is read from the run's configuration (TRAIN_FIELDS gains it separately).
const config = {
  ...parseTrainConfig({
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    maxLength: 32,
    batchSize: 8,
    epochs: 3,
    evalEvery: 4,
    learningRate: 3e-3,
    seed: 3,
    heldOutFraction: 0.2,
    backend: 'cpu',
  }),
  checkpointEvery: 4,
} as TrainConfig;

const bits = (w: NamedWeight[]) => w.map((x) => ({ name: x.name, bits: Array.from(new Uint32Array(x.data.buffer)) }));
const never = () => false;

/** The curves and weights of a finished run, what must match between an uninterrupted and a resumed run. */
async function outcome(db: RMLabDatabase, run: RunRecord) {
  const model = await getModelRecord(db, run.id);
  return { steps: run.steps, evals: run.evals, weights: bits(model!.weights) };
}

let reference: Awaited<ReturnType<typeof outcome>>;
beforeAll(async () => {
  const { db } = await openTestDB();
  const run = await runTraining(db, await withDataset(db), config, () => {}, never);
  expect(run.status).toBe('done');
  expect(run.stepsPerEpoch).toBeGreaterThan(0);
  expect(epochProgress(run)).toEqual({ epoch: 3, epochs: 3 });
  expect((await getCheckpoint(db, run.id))!.step).toBe(run.totalSteps);
  reference = await outcome(db, run);
}, 300_000); // a whole run on the slow cpu backend, on a shared machine: not a speed check

/** A database whose checkpoint writes after the first `allowed` never finish: the tab froze and was closed. */
function freezingAfter(db: RMLabDatabase, allowed: number): RMLabDatabase {
  let writes = 0;
  return new Proxy(db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== 'put') return typeof value === 'function' ? value.bind(target) : value;
      return (store: string, ...rest: unknown[]) =>
        store === 'checkpoints' && ++writes > allowed
          ? new Promise(() => {})
          : (value as (...a: unknown[]) => unknown).call(target, store, ...rest);
    },
  });
}

describe('resuming a run through the store', () => {
  it('after a crash between two checkpoints: marked interrupted, resumed from the last one, same weights and curves', async () => {
    const { db } = await openTestDB();
    const dataset = await withDataset(db);
    let runId = '';
    let reported = 0;
    // The checkpoint of step 8 never lands: the run is stuck there, as a closed tab would leave it.
    void runTraining(
      freezingAfter(db, 1),
      dataset,
      config,
      (u) => {
        if (u.type === 'created') runId = u.run.id;
        if (u.type === 'train' && u.event.type === 'steps') reported = u.event.step;
      },
      never,
    );
    await expect.poll(() => reported, { timeout: 30_000 }).toBe(8);
    await expect.poll(async () => (await getRun(db, runId))?.steps.length, { timeout: 30_000 }).toBe(8);

    // The next page: nobody holds the training lock, so the run is marked interrupted.
    expect(await markInterruptedRuns(db)).toBe(1);
    const left = (await getRun(db, runId))!;
    expect(left).toMatchObject({ status: 'interrupted', checkpoint: { step: 4 } });
    expect(left.steps).toHaveLength(8); // curves beyond the checkpoint: redone on resume
    expect(isResumable(left)).toBe(true);

    const updates: RunUpdate[] = [];
    const resumed = await resumeRun(db, runId, (u) => updates.push(structuredClone(u)), never);
    expect(resumed.status).toBe('done');
    expect(resumed.resumedAt).toHaveLength(1);
    expect(updates[0]).toMatchObject({ type: 'created', run: { id: runId, status: 'running' } });
    expect(await outcome(db, resumed)).toEqual(reference);
    expect(isResumable(resumed)).toBe(false);
  });

  it('after a tab closed while paused: the pause wrote a checkpoint, and the run resumes from it', async () => {
    const { db } = await openTestDB();
    const dataset = await withDataset(db);
    const pause = new PauseGate();
    let runId = '';
    const paused: boolean[] = [];
    void runTraining(
      db,
      dataset,
      config,
      (u) => {
        if (u.type === 'created') runId = u.run.id;
        if (u.type === 'train' && u.event.type === 'steps' && u.event.step >= 6) pause.pause();
        if (u.type === 'saved') paused.push(!!u.run.paused);
      },
      never,
      pause,
    );
    await expect.poll(() => paused, { timeout: 30_000 }).toEqual([true]);
    await expect.poll(async () => (await getRun(db, runId))?.checkpoint?.step, { timeout: 30_000 }).toBe(8);
    const stored = (await getRun(db, runId))!;
    expect(stored).toMatchObject({ status: 'running', paused: true });
    // ... and the tab is closed: never resumed. The next page marks it.
    await markInterruptedRuns(db);
    expect(await getRun(db, runId)).toMatchObject({ status: 'interrupted', paused: undefined });
    const resumed = await resumeRun(db, runId, () => {}, never);
    expect(resumed.status).toBe('done');
    expect(await outcome(db, resumed)).toEqual(reference);
  });

  it('after a stop: the stopped run keeps a checkpoint of its last step and can go on to the end', async () => {
    const { db } = await openTestDB();
    let polls = 0; // shouldStop is asked once after every step
    const stopped = await runTraining(
      db,
      await withDataset(db),
      config,
      () => {},
      () => ++polls >= 5,
    );
    expect(stopped).toMatchObject({ status: 'stopped', checkpoint: { step: 5 } });
    expect(isResumable(stopped)).toBe(true);
    const resumed = await resumeRun(db, stopped.id, () => {}, never);
    // A stopped run evaluates at its last step; the run that never stopped did not: compare the rest.
    const { steps, weights } = await outcome(db, resumed);
    expect({ steps, weights }).toEqual({ steps: reference.steps, weights: reference.weights });
  });

  it('takes the checkpoint as the truth when the tab closed after writing it but before noting it in the run', async () => {
    const { db } = await openTestDB();
    let polls = 0;
    const stopped = await runTraining(
      db,
      await withDataset(db),
      config,
      () => {},
      () => ++polls >= 6,
    );
    // As a closed tab may leave it: still 'running', the checkpoint of step 6 not yet noted.
    await putRun(db, { ...stopped, status: 'running', checkpoint: { step: 4, savedAt: 0 } });
    await markInterruptedRuns(db);
    const left = (await getRun(db, stopped.id))!;
    expect(left).toMatchObject({ status: 'interrupted', checkpoint: { step: 6 } });
    const resumed = await resumeRun(db, stopped.id, () => {}, never);
    expect((await outcome(db, resumed)).weights).toEqual(reference.weights);
  });

  it('refuses, leaving the run as it was, when the dataset is gone, the run is done, or it does not exist', async () => {
    const { db } = await openTestDB();
    const dataset = await withDataset(db);
    let polls = 0;
    const stopped = await runTraining(
      db,
      dataset,
      config,
      () => {},
      () => ++polls >= 2,
    );
    await deleteDataset(db, dataset.id);
    await expect(resumeRun(db, stopped.id, () => {}, never)).rejects.toThrow(
      'the training pairs of "polite" are not those this run was trained on',
    );
    expect((await getRun(db, stopped.id))!.status).toBe('stopped');
    await expect(resumeRun(db, 'nope', () => {}, never)).rejects.toThrow('this run no longer exists');

    const done = await runTraining(db, await withDataset(db), { ...config, maxSteps: 3 }, () => {}, never);
    await expect(resumeRun(db, done.id, () => {}, never)).rejects.toThrow('this run has finished');
    // Deleting a run deletes its checkpoint.
    await deleteRun(db, done.id);
    expect(await getCheckpoint(db, done.id)).toBeUndefined();
  });
});

describe('the database upgrade', () => {
  it('adds the checkpoints store to a version 1 database and keeps what it held', async () => {
    const name = 'rm-lab-checkpoint-store-v1';
    const v1 = await openAtVersion(name, 1);
    await v1.put('runs', { id: 'old', datasetId: 'd', status: 'interrupted', steps: [], evals: [] });
    v1.close();
    const { db } = await openTestDB(name);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames]).toContain('checkpoints');
    const old = (await getRun(db, 'old'))!;
    expect(old.status).toBe('interrupted');
    expect(isResumable(old)).toBe(false); // no checkpoint: written before checkpoints existed
  });
});

describe('a run that diverges', () => {
  it('fails with the step and a plain remedy, keeps its last good checkpoint, and is not offered to resume', async () => {
    const { db } = await openTestDB();
    // Far above what the form allows: Adam's first step throws the weights to about 1e38 (still
    // finite: the checkpoint of step 1 is taken), the loss of step 2 is NaN.
    const run = await runTraining(
      db,
      await withDataset(db),
      { ...config, learningRate: 1e38, checkpointEvery: 1 } as TrainConfig,
      () => {},
      never,
    );
    expect(run).toMatchObject({ status: 'failed', divergedAt: 2, checkpoint: { step: 1 } });
    expect(run.error).toBe(
      'the loss became NaN at step 2: lower the learning rate (it was 1e+38) and train again. ' +
        'Training stopped; the last good checkpoint, from step 1, is kept.',
    );
    const checkpoint = (await getCheckpoint(db, run.id))!;
    expect(checkpoint.step).toBe(1);
    expect(checkpoint.steps).toBeUndefined(); // the curves are the run's own (runPoints), not copied
    expect((await getRun(db, run.id))!.steps.map((p) => p.step)).toEqual([1]);
    for (const w of [...checkpoint.weights, ...checkpoint.optimizer.moments]) {
      expect(w.data.every(Number.isFinite)).toBe(true);
    }
    // The run's curve stops before the bad step.
    expect(run.steps.map((p) => p.step)).toEqual([1]);
    expect(await getModelRecord(db, run.id)).toBeUndefined();
    expect(isResumable(run)).toBe(false);
    await expect(resumeRun(db, run.id, () => {}, never)).rejects.toThrow(/diverged at step \d+/);
  });
});
