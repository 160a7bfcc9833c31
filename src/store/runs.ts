// Training runs (configuration, live curves, final metrics) and their latest checkpoint (to resume a
// run that was interrupted, paused and left, or stopped). Trained weights are models.ts's.
//
// Append-only curves: a run's record (`runs`) holds everything but its curves, and is small; its
// points go to `runPoints` as chunks, one a training event, added and never rewritten. Writing the
// whole record at every event (as before) wrote O(steps^2) bytes over a run, with every held-out
// evaluation's rewards written again at each event (bench/run-writes.ts measures both).
import type { EvalPoint, StepPoint } from '../core/train/events.ts';
import { finalModelId, type CheckpointRecord, type RMLabDatabase, type RunPointsChunk, type RunRecord } from './db.ts';

/** Writes the run's record without its curves (they are appended with appendRunPoints). */
export async function putRun(db: RMLabDatabase, run: RunRecord): Promise<void> {
  await db.put('runs', { ...run, steps: [], evals: [] });
}

/** Adds points a run reported (a read-back of steps, an evaluation) after those stored. */
export async function appendRunPoints(
  db: RMLabDatabase,
  runId: string,
  points: { steps?: StepPoint[]; evals?: EvalPoint[] },
): Promise<void> {
  await db.add('runPoints', { runId, steps: points.steps ?? [], evals: points.evals ?? [] });
}

/** A stored record with its curves: those it held itself (before version 4), then its chunks in order. */
function withCurves(run: RunRecord, chunks: RunPointsChunk[]): RunRecord {
  return {
    ...run,
    steps: [...run.steps, ...chunks.flatMap((c) => c.steps)],
    evals: [...run.evals, ...chunks.flatMap((c) => c.evals)],
  };
}

export async function listRuns(db: RMLabDatabase): Promise<RunRecord[]> {
  const [runs, chunks] = await Promise.all([db.getAll('runs'), db.getAll('runPoints')]);
  const byRun = new Map<string, RunPointsChunk[]>();
  for (const c of chunks) byRun.set(c.runId, [...(byRun.get(c.runId) ?? []), c]);
  return runs.map((r) => withCurves(r, byRun.get(r.id) ?? [])).sort((x, y) => y.createdAt - x.createdAt);
}

export async function getRun(db: RMLabDatabase, id: string): Promise<RunRecord | undefined> {
  const [run, chunks] = await Promise.all([db.get('runs', id), db.getAllFromIndex('runPoints', 'byRun', id)]);
  return run && withCurves(run, chunks);
}

/**
 * Keeps the run's points up to `step` (a resumed run goes on from its checkpoint and reports the
 * steps after it again): the one rewrite of a run's curves, at a resume.
 */
export async function keepPointsUpTo(db: RMLabDatabase, runId: string, step: number): Promise<RunRecord | undefined> {
  const run = await getRun(db, runId);
  if (!run) return undefined;
  const kept = {
    ...run,
    steps: run.steps.filter((p) => p.step <= step),
    evals: run.evals.filter((e) => e.step <= step),
  };
  const tx = db.transaction(['runs', 'runPoints'], 'readwrite');
  const points = tx.objectStore('runPoints');
  const keys = await points.index('byRun').getAllKeys(runId);
  await Promise.all([
    ...keys.map((k) => points.delete(k)),
    points.add({ runId, steps: kept.steps, evals: kept.evals }),
    tx.objectStore('runs').put({ ...kept, steps: [], evals: [] }),
    tx.done,
  ]);
  return kept;
}

/**
 * Runs left 'running' (or paused) by a page that is gone (reloaded, closed, crashed) are marked
 * 'interrupted': their curves so far are kept, and those with a checkpoint can resume (isResumable).
 */
export async function markInterruptedRuns(db: RMLabDatabase): Promise<number> {
  const running = (await db.getAll('runs')).filter((r) => r.status === 'running');
  for (const r of running) {
    // The checkpoint is written before the run record notes it: a tab closed in between leaves the
    // record one checkpoint behind, so the checkpoint itself says where the run can resume from.
    const checkpoint = await getCheckpoint(db, r.id);
    await db.put('runs', {
      ...r,
      status: 'interrupted',
      paused: undefined,
      checkpoint: checkpoint ? { step: checkpoint.step, savedAt: checkpoint.savedAt } : r.checkpoint,
    });
  }
  return running.length;
}

/**
 * Whether the page should offer "Resume": the run is not training, has a checkpoint short of its
 * last step, and did not fail by diverging (resumed, it would diverge again at the same step).
 */
export function isResumable(run: RunRecord): boolean {
  if (run.status === 'running' || run.status === 'done' || !run.checkpoint) return false;
  if (run.status === 'failed' && run.divergedAt !== undefined) return false;
  return run.totalSteps === undefined || run.checkpoint.step < run.totalSteps;
}

/** Replaces the run's checkpoint in one write: the one before stays if the write fails. */
export async function putCheckpoint(db: RMLabDatabase, checkpoint: CheckpointRecord): Promise<void> {
  await db.put('checkpoints', checkpoint);
}

export async function getCheckpoint(db: RMLabDatabase, runId: string): Promise<CheckpointRecord | undefined> {
  return db.get('checkpoints', runId);
}

export async function deleteRun(db: RMLabDatabase, id: string): Promise<void> {
  const tx = db.transaction(['runs', 'runPoints', 'models', 'modelCards', 'checkpoints'], 'readwrite');
  const points = tx.objectStore('runPoints');
  const keys = await points.index('byRun').getAllKeys(id);
  await Promise.all([
    ...keys.map((k) => points.delete(k)),
    tx.objectStore('runs').delete(id),
    tx.objectStore('models').delete(id),
    tx.objectStore('modelCards').delete(id),
    tx.objectStore('models').delete(finalModelId(id)),
    tx.objectStore('modelCards').delete(finalModelId(id)),
    tx.objectStore('checkpoints').delete(id),
    tx.done,
  ]);
}
