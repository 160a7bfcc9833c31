// Stored models and their cards: a database written by version 2 (runs with trained models, no
// cards) opens at version 3 with a card for each trained model; cards and weights are written and
// deleted together.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_CONFIG } from '../../src/core/train/config.ts';
import type { ModelSpec } from '../../src/core/model/reward-model.ts';
import { finalModelId, openLabDB, trainedModelCard, type ModelRecord, type RunRecord } from '../../src/store/db.ts';
import {
  deleteModel,
  getModelRecord,
  listModelCards,
  saveModelWithCard,
  saveRunModels,
} from '../../src/store/models.ts';
import { deleteRun, putRun } from '../../src/store/runs.ts';
import { freshDatabases, openAtVersion } from '../fresh-db.ts';

const spec: ModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: { vocabSize: 10, maxLength: 16, dModel: 8, nLayers: 1, nHeads: 2, dFF: 32, pooling: 'cls' },
};
const weights = [{ name: 'head.bias', shape: [1], data: new Float32Array([0.5]) }];

function run(id: string): RunRecord {
  return {
    id,
    datasetId: 'd1',
    datasetName: 'demo',
    config: DEFAULT_TRAIN_CONFIG,
    createdAt: Date.UTC(2026, 10, 26, 12, 30),
    finishedAt: Date.UTC(2026, 10, 26, 12, 40),
    status: 'done',
    steps: [],
    evals: [
      {
        step: 40,
        loss: 0.6,
        accuracy: 0.625,
      } as RunRecord['evals'][number],
    ],
  };
}

const openTestDB = freshDatabases('rm-lab-model-store');

describe('model store', () => {
  it('gives the models trained before version 3 their cards when the database upgrades', async () => {
    const name = 'rm-lab-upgrade-v2';
    const v2 = await openAtVersion(name, 2);
    await v2.put('runs', run('r1'));
    await v2.put('models', { runId: 'r1', spec, weights, savedAt: 1 } satisfies ModelRecord);
    await v2.put('runs', run('r2')); // a run that never finished: no model, no card
    v2.close();

    const db = await openLabDB(name);
    const cards = await listModelCards(db);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({
      id: 'r1',
      origin: 'run',
      runId: 'r1',
      name: 'demo · 2026-11-26 12:30',
      heldOutAccuracy: 0.625,
      steps: 40,
      spec,
    });
    db.close();
  });

  it('writes and deletes a model and its card together', async () => {
    const { db } = await openTestDB();
    await putRun(db, run('r1'));
    await saveModelWithCard(db, { runId: 'r1', spec, weights, savedAt: 1 }, trainedModelCard(run('r1'), spec));
    await saveModelWithCard(
      db,
      { runId: 'm2', spec, weights, savedAt: 2 },
      { id: 'm2', name: 'imported', origin: 'import', spec, createdAt: 2, importedFrom: 'a.rmlab.safetensors' },
    );
    expect((await listModelCards(db)).map((c) => c.id)).toEqual(['r1', 'm2']);
    await expect(
      saveModelWithCard(db, { runId: 'x', spec, weights, savedAt: 3 }, { ...trainedModelCard(run('y'), spec) }),
    ).rejects.toThrow('do not match');

    await deleteRun(db, 'r1');
    await deleteModel(db, 'm2');
    expect(await listModelCards(db)).toEqual([]);
    expect(await getModelRecord(db, 'r1')).toBeUndefined();
  });
});

describe("a run's best and final models", () => {
  const evalAt = (step: number, loss: number, accuracy: number) =>
    ({
      step,
      loss,
      accuracy,
      meanMargin: 0,
      chosenRewards: [],
      rejectedRewards: [],
      tieRewards: { a: [], b: [] },
    }) as RunRecord['evals'][number];
  const stepAt = (step: number) => ({ step, epoch: 0, loss: 0.5, accuracy: 0.5 });
  const finished = (): RunRecord => ({
    ...run('r9'),
    steps: [stepAt(10), stepAt(20), stepAt(30)],
    evals: [evalAt(10, 0.69, 0.5), evalAt(20, 0.6, 0.7), evalAt(30, 0.8, 0.55)],
    counts: { total: 30, train: 20, heldOut: 10, heldOutScored: 10, ties: 0, bothBad: 0, truncated: 0 },
    best: { step: 20, loss: 0.6 },
  });
  const bestWeights = [{ name: 'head.bias', shape: [1], data: new Float32Array([0.25]) }];

  it('stores the best held-out weights as the run model and the last ones beside them, both named', async () => {
    const { db } = await openTestDB();
    const r = finished();
    await putRun(db, r);
    await saveRunModels(db, r, spec, undefined, weights, { step: 20, weights: bestWeights });
    expect(r.finalModelId).toBe(finalModelId('r9'));
    const cards = await listModelCards(db);
    expect(cards.map((c) => c.id)).toEqual(['r9', finalModelId('r9')]); // the stored model is "the newest"
    const best = cards.find((c) => c.id === 'r9')!;
    const last = cards.find((c) => c.id === finalModelId('r9'))!;
    expect(best).toMatchObject({ checkpoint: 'best', steps: 20, heldOutAccuracy: 0.7, heldOutPairs: 10 });
    expect(best.name).toContain('best held-out, step 20');
    expect(last).toMatchObject({ checkpoint: 'final', steps: 30, heldOutAccuracy: 0.55, runId: 'r9' });
    expect(last.name).toContain('final weights, step 30');
    expect((await getModelRecord(db, 'r9'))!.weights[0]!.data[0]).toBe(0.25);
    expect((await getModelRecord(db, finalModelId('r9')))!.weights[0]!.data[0]).toBe(0.5);
    // Deleting the run deletes both.
    await deleteRun(db, 'r9');
    expect(await listModelCards(db)).toEqual([]);
    expect(await getModelRecord(db, finalModelId('r9'))).toBeUndefined();
  });

  it('stores one model when the best weights are the last', async () => {
    const { db } = await openTestDB();
    const r = { ...finished(), best: { step: 30, loss: 0.5 } };
    await saveRunModels(db, r, spec, undefined, weights, { step: 30, weights });
    expect((await listModelCards(db)).map((c) => c.id)).toEqual(['r9']);
    expect(r.finalModelId).toBeUndefined();
  });
});
