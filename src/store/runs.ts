// Training runs (configuration, live curves, final metrics), their trained weights and their latest
// checkpoint (to resume a run that was interrupted, paused and left, or stopped).
import { finalModelId, type CheckpointRecord, type ModelRecord, type RMLabDatabase, type RunRecord } from './db.ts';

export async function putRun(db: RMLabDatabase, run: RunRecord): Promise<void> {
  await db.put('runs', run);
}

export async function listRuns(db: RMLabDatabase): Promise<RunRecord[]> {
  return (await db.getAll('runs')).sort((x, y) => y.createdAt - x.createdAt);
}

export async function getRun(db: RMLabDatabase, id: string): Promise<RunRecord | undefined> {
  return db.get('runs', id);
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

export async function saveModel(db: RMLabDatabase, model: ModelRecord): Promise<void> {
  await db.put('models', model);
}

export async function getModel(db: RMLabDatabase, runId: string): Promise<ModelRecord | undefined> {
  return db.get('models', runId);
}

export async function deleteRun(db: RMLabDatabase, id: string): Promise<void> {
  const tx = db.transaction(['runs', 'models', 'modelCards', 'checkpoints'], 'readwrite');
  await Promise.all([
    tx.objectStore('runs').delete(id),
    tx.objectStore('models').delete(id),
    tx.objectStore('modelCards').delete(id),
    tx.objectStore('models').delete(finalModelId(id)),
    tx.objectStore('modelCards').delete(finalModelId(id)),
    tx.objectStore('checkpoints').delete(id),
    tx.done,
  ]);
}
