// What the page reads and changes in IndexedDB itself (the worker does the heavy work): the lists
// the screens show, the start-up clean-up after a closed tab, and the small edits (rename,
// delete). One module, so LabClient holds no database code and every page-side access is here.
import type { Pair, RejectedLine } from '../core/data/pair.ts';
import type { UnpairedEvent } from '../core/data/implicit/derive.ts';
import {
  deleteDataset,
  getPairsById,
  getRejectedLines,
  getUnpairedEvents,
  listDatasets,
  removeUnfinishedImports,
  renameDataset,
} from '../store/datasets.ts';
import { openLabDB, type DatasetRecord, type ModelCard, type RunRecord } from '../store/db.ts';
import { IMPORT_LOCK, isHeld, TRAINING_LOCK } from '../store/liveness.ts';
import { deleteModel, listModelCards, renameModel } from '../store/models.ts';
import { deleteRun, listRuns, markInterruptedRuns } from '../store/runs.ts';

export interface StoredLists {
  datasets: DatasetRecord[];
  runs: RunRecord[];
  /** Stored reward models (trained or imported), newest first. */
  models: ModelCard[];
}

/**
 * After a tab closed mid-work: an import no other tab is running is removed (it stored nothing
 * the user was told about), and a run no other tab is training is marked interrupted (resumable).
 */
export async function cleanUpAfterClosedTabs(): Promise<void> {
  const db = await openLabDB();
  if (!(await isHeld(IMPORT_LOCK))) await removeUnfinishedImports(db);
  if (!(await isHeld(TRAINING_LOCK))) await markInterruptedRuns(db);
}

export async function readStoredLists(): Promise<StoredLists> {
  const db = await openLabDB();
  const [datasets, runs, models] = await Promise.all([listDatasets(db), listRuns(db), listModelCards(db)]);
  return { datasets, runs, models };
}

export const storedRejectedLines = async (datasetId: string): Promise<RejectedLine[]> =>
  getRejectedLines(await openLabDB(), datasetId);

/** A feedback-log dataset's events that made no pair, each with why. */
export const storedUnpairedEvents = async (datasetId: string): Promise<UnpairedEvent[]> =>
  getUnpairedEvents(await openLabDB(), datasetId);

export const storedPairs = async (ids: string[]): Promise<Pair[]> => getPairsById(await openLabDB(), ids);

export const renameStoredDataset = async (id: string, name: string): Promise<void> =>
  renameDataset(await openLabDB(), id, name);

export const deleteStoredDataset = async (id: string): Promise<void> => deleteDataset(await openLabDB(), id);

export const deleteStoredRun = async (id: string): Promise<void> => deleteRun(await openLabDB(), id);

export const renameStoredModel = async (id: string, name: string): Promise<void> =>
  renameModel(await openLabDB(), id, name);

/** Removes an imported model or a quick head (a trained one goes with its run). */
export const deleteStoredModel = async (id: string): Promise<void> => deleteModel(await openLabDB(), id);
