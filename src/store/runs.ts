// Training runs (configuration, live curves, final metrics) and their trained weights.
import type { ModelRecord, RMLabDatabase, RunRecord } from './db.ts';

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
 * Runs left 'running' by a page that is gone (reloaded, closed, crashed) are marked
 * 'interrupted': their curves so far are kept. (Resuming them is a later feature.)
 */
export async function markInterruptedRuns(db: RMLabDatabase): Promise<number> {
  const running = (await db.getAll('runs')).filter((r) => r.status === 'running');
  for (const r of running) await db.put('runs', { ...r, status: 'interrupted' });
  return running.length;
}

export async function saveModel(db: RMLabDatabase, model: ModelRecord): Promise<void> {
  await db.put('models', model);
}

export async function getModel(db: RMLabDatabase, runId: string): Promise<ModelRecord | undefined> {
  return db.get('models', runId);
}

export async function deleteRun(db: RMLabDatabase, id: string): Promise<void> {
  const tx = db.transaction(['runs', 'models'], 'readwrite');
  await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('models').delete(id), tx.done]);
}
