// Run records with append-only curves (src/store/runs.ts): the record is stored without its curves,
// each training event's points are a chunk appended after the others, reading a run puts them back
// in order, a resume keeps the points up to its checkpoint, deleting a run deletes its chunks, and a
// version-3 database (curves inside the record) opens at version 4 with its curves as a first chunk.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_CONFIG } from '../../src/core/train/config.ts';
import type { EvalPoint, StepPoint } from '../../src/core/train/events.ts';
import type { RunRecord } from '../../src/store/db.ts';
import { freshDatabases, openAtVersion } from '../fresh-db.ts';
import { appendRunPoints, deleteRun, getRun, keepPointsUpTo, listRuns, putRun } from '../../src/store/runs.ts';

const step = (s: number): StepPoint => ({ step: s, epoch: s / 10, loss: 1 / s, accuracy: 0.5, learningRate: 1e-3 });
const evalAt = (s: number): EvalPoint => ({ step: s, loss: 0.6, accuracy: 0.7 }) as EvalPoint;

function run(id: string, createdAt = 1): RunRecord {
  return {
    id,
    datasetId: 'd1',
    datasetName: 'demo',
    config: DEFAULT_TRAIN_CONFIG,
    createdAt,
    status: 'running',
    steps: [],
    evals: [],
  };
}

const openTestDB = freshDatabases('rm-lab-run-points');
const fresh = async () => (await openTestDB()).db;

describe('run records with appended curves', () => {
  it('stores the record without its curves and reads the appended chunks back in order', async () => {
    const db = await fresh();
    const r = { ...run('a'), steps: [step(1)] }; // what is in memory is not what putRun stores
    await putRun(db, r);
    expect((await db.get('runs', 'a'))!.steps).toEqual([]);
    await appendRunPoints(db, 'a', { steps: [step(1), step(2)] });
    await appendRunPoints(db, 'a', { evals: [evalAt(2)] });
    await appendRunPoints(db, 'a', { steps: [step(3), step(4)] });
    await putRun(db, run('b', 2));
    await appendRunPoints(db, 'b', { steps: [step(1)] });
    await putRun(db, { ...r, status: 'done' }); // the record again: the curves stay
    const a = (await getRun(db, 'a'))!;
    expect(a.status).toBe('done');
    expect(a.steps.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(a.evals.map((p) => p.step)).toEqual([2]);
    const listed = await listRuns(db);
    expect(listed.map((x) => [x.id, x.steps.length])).toEqual([
      ['b', 1],
      ['a', 4],
    ]);
  });

  it('a resume keeps the points up to its checkpoint, in one chunk', async () => {
    const db = await fresh();
    await putRun(db, run('a'));
    await appendRunPoints(db, 'a', { steps: [step(1), step(2), step(3)] });
    await appendRunPoints(db, 'a', { evals: [evalAt(3)] });
    await appendRunPoints(db, 'a', { steps: [step(4), step(5)] });
    await appendRunPoints(db, 'a', { evals: [evalAt(5)] });
    const kept = (await keepPointsUpTo(db, 'a', 3))!;
    expect(kept.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    expect((await getRun(db, 'a'))!.evals.map((p) => p.step)).toEqual([3]);
    expect(await db.getAllKeysFromIndex('runPoints', 'byRun', 'a')).toHaveLength(1);
  });

  it('deleting a run deletes its chunks, and only its own', async () => {
    const db = await fresh();
    await putRun(db, run('a'));
    await putRun(db, run('b'));
    await appendRunPoints(db, 'a', { steps: [step(1)] });
    await appendRunPoints(db, 'b', { steps: [step(1)] });
    await deleteRun(db, 'a');
    expect(await getRun(db, 'a')).toBeUndefined();
    expect(await db.getAllKeysFromIndex('runPoints', 'byRun', 'a')).toHaveLength(0);
    expect((await getRun(db, 'b'))!.steps).toHaveLength(1);
  });

  it('a version-3 database opens with each stored curve as its run first chunk', async () => {
    const name = 'rm-lab-upgrade-v3-curves';
    const v3 = await openAtVersion(name, 3);
    await v3.put('runs', { ...run('old'), status: 'done', steps: [step(1), step(2)], evals: [evalAt(2)] });
    v3.close();
    const { db } = await openTestDB(name);
    expect((await db.get('runs', 'old'))!.steps).toEqual([]);
    const old = (await getRun(db, 'old'))!;
    expect(old.steps.map((p) => p.step)).toEqual([1, 2]);
    expect(old.evals.map((p) => p.step)).toEqual([2]);
    await appendRunPoints(db, 'old', { steps: [step(3)] });
    expect((await getRun(db, 'old'))!.steps.map((p) => p.step)).toEqual([1, 2, 3]);
  });
});
