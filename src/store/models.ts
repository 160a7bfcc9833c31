// Stored reward models: the weights (`models`, heavy) and a card per model (`modelCards`, light),
// always written and deleted together. Lists read cards only.
import type { ModelSpec, NamedWeight, TokenizerFiles } from '../core/model/reward-model.ts';
import {
  finalModelId,
  trainedModelCard,
  type ModelCard,
  type ModelRecord,
  type RMLabDatabase,
  type RunRecord,
} from './db.ts';

export async function saveModelWithCard(db: RMLabDatabase, model: ModelRecord, card: ModelCard): Promise<void> {
  if (model.runId !== card.id) throw new Error(`model ${model.runId} and card ${card.id} do not match`);
  const tx = db.transaction(['models', 'modelCards'], 'readwrite');
  await Promise.all([tx.objectStore('models').put(model), tx.objectStore('modelCards').put(card), tx.done]);
}

/**
 * A finished run's models: the weights of its lowest held-out loss as the run's model, and its last
 * weights beside them (another id, named so) where they differ. Without held-out pairs, the last only.
 */
export async function saveRunModels(
  db: RMLabDatabase,
  run: RunRecord,
  spec: ModelSpec,
  tokenizer: TokenizerFiles | undefined,
  last: NamedWeight[],
  best: { step: number; weights: NamedWeight[] } | undefined,
): Promise<void> {
  const lastStep = run.steps.at(-1)?.step;
  const record = (runId: string, weights: NamedWeight[]): ModelRecord => ({
    runId,
    spec,
    tokenizer,
    weights,
    savedAt: Date.now(),
  });
  if (!best || best.step === lastStep) {
    await saveModelWithCard(db, record(run.id, last), trainedModelCard(run, spec, 'best'));
    return;
  }
  run.finalModelId = finalModelId(run.id);
  await saveModelWithCard(db, record(run.id, best.weights), trainedModelCard(run, spec, 'best'));
  await saveModelWithCard(db, record(run.finalModelId, last), trainedModelCard(run, spec, 'final'));
}

/** Newest first; of one run, the best held-out weights before the final ones. */
export async function listModelCards(db: RMLabDatabase): Promise<ModelCard[]> {
  const cards = await db.getAll('modelCards');
  // A run's final weights after its best ones, so "the newest model" is the run's stored (best) model.
  const final = (c: ModelCard) => (c.checkpoint === 'final' ? 1 : 0);
  return cards.sort((a, b) => b.createdAt - a.createdAt || final(a) - final(b));
}

export async function getModelRecord(db: RMLabDatabase, id: string): Promise<ModelRecord | undefined> {
  return db.get('models', id);
}

export async function renameModel(db: RMLabDatabase, id: string, name: string): Promise<void> {
  const tx = db.transaction('modelCards', 'readwrite');
  const card = await tx.store.get(id);
  if (!card) throw new Error('this model no longer exists');
  await Promise.all([tx.store.put({ ...card, name }), tx.done]);
}

/** Removes an imported model or a quick head (a trained one goes with its run: deleteRun). */
export async function deleteModel(db: RMLabDatabase, id: string): Promise<void> {
  const tx = db.transaction(['models', 'modelCards'], 'readwrite');
  await Promise.all([tx.objectStore('models').delete(id), tx.objectStore('modelCards').delete(id), tx.done]);
}
