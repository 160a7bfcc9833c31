// The one IndexedDB database, its schema in one place, opened behind one shared promise.
// Upgrades are cumulative `if (oldVersion < N)` steps: never edit a released step, add one.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { Pair, RejectedLine, Winner } from '../core/data/pair.ts';
import type { NamedWeight, ModelSpec, TokenizerFiles } from '../core/model/reward-model.ts';
import type { TrainConfig } from '../core/train/config.ts';
import type { DataCounts, EvalPoint, HeldOutMeta, StepPoint, TieMeta } from '../core/train/events.ts';
import type { BackendInfo } from '../core/train/backend.ts';
import type { DataPosition, OptimizerState } from '../core/train/checkpoint.ts';
import type { BestState } from '../core/train/early-stopping.ts';
import type { TokenRecord } from './token-cache.ts';
import type { FeedbackSummary } from '../core/data/implicit/feedback.ts';
import type { UnpairedEvent } from '../core/data/implicit/derive.ts';
import type { Label, LabelItem } from '../core/collect/item.ts';
import type { LabelProject } from '../core/collect/project.ts';
import type { RunBaselines } from '../core/eval/baselines/index.ts';
import type { EmbeddingRecord } from './embeddings.ts';
import type { QuickHeadSummary } from '../core/quick-head/spec.ts';

export const DB_NAME = 'rm-lab';
export const DB_VERSION = 6;

export interface DatasetRecord {
  id: string;
  name: string;
  /** Where it came from: the bundled demo, a file the user picked, a URL, or a merge of datasets. */
  source: { kind: 'demo' | 'file' | 'url' | 'merge'; name: string };
  createdAt: number;
  /**
   * 'importing' while pairs are being written. Only 'ready' datasets are shown; an import that
   * never finished (cancelled, failed, tab closed) is removed, so no half dataset is ever visible.
   */
  status: 'importing' | 'ready';
  format?: string;
  /** How the file was read: JSONL, a JSON array, CSV or TSV, and whether it was gzipped. */
  container?: { container: string; gzip: boolean };
  pairCount: number;
  /** Pairs repeating an earlier pair's prompt, responses and winner (stored all the same). */
  duplicateCount?: number;
  rejectedCount: number;
  /** Records read (non-empty JSONL lines, JSON elements, CSV rows). Every one is a stored pair or a rejected line. */
  lineCount: number;
  winners: Record<Winner, number>;
  /** For a dataset made from a feedback log: its rules, report and analysis (src/core/data/implicit/). */
  feedback?: FeedbackSummary;
}

export type RunStatus = 'running' | 'done' | 'stopped' | 'failed' | 'interrupted';

export interface RunRecord {
  id: string;
  datasetId: string;
  datasetName: string;
  config: TrainConfig;
  createdAt: number;
  finishedAt?: number;
  status: RunStatus;
  error?: string;
  backend?: BackendInfo;
  totalSteps?: number;
  counts?: DataCounts;
  /** The scored held-out pairs and ties, aligned with every evaluation's rewards. */
  heldOut?: HeldOutMeta[];
  heldOutTies?: TieMeta[];
  /**
   * The curves. In memory, all of them; in the `runs` store, empty (records before version 4 held
   * them here): they are appended to `runPoints` as they come (runs.ts).
   */
  steps: StepPoint[];
  evals: EvalPoint[];
  pairsPerSecond?: number;
  /** Steps in one epoch (from the run's start), for "epoch e of E". */
  stepsPerEpoch?: number;
  /** Paused from the page; the status stays 'running' (a paused run left by a closed tab becomes 'interrupted'). */
  paused?: boolean;
  /** The run's latest checkpoint, where it can resume from (the state itself is in `checkpoints`). */
  checkpoint?: { step: number; savedAt: number };
  /** The step at which the loss or the gradients became NaN or infinite (status 'failed'). */
  divergedAt?: number;
  /** When the run was resumed from a checkpoint, each time. */
  resumedAt?: number[];
  /** Chance, the length rules and the bag of words on the run's held-out pairs, from its start. */
  baselines?: RunBaselines;
  /** The evaluation with the lowest held-out loss: its weights are the run's model (id = run id). */
  best?: { step: number; loss: number };
  /** Ended by early stopping (held-out loss had not improved for the patience). */
  earlyStopped?: boolean;
  /** The id of the model holding the last weights, where they differ from the best ones (finalModelId). */
  finalModelId?: string;
}

/** Points a run reported together (a read-back of steps, an evaluation), appended to `runPoints`. */
export interface RunPointsChunk {
  runId: string;
  steps: StepPoint[];
  evals: EvalPoint[];
}

export interface ModelRecord {
  /** The model's id: the id of the run that trained it, or a fresh id for an imported model. */
  runId: string;
  spec: ModelSpec;
  /** The tokenizer of a model that does not use the bundled one (spec.tokenizer === 'embedded'). */
  tokenizer?: TokenizerFiles;
  weights: NamedWeight[];
  savedAt: number;
}

/**
 * What the model lists show about a model without reading its weights (ModelRecord, same id).
 * Written with the model, in the same transaction.
 */
export interface ModelCard {
  id: string;
  name: string;
  /**
   * Trained here (a run's final weights), a quick head on a frozen Hub encoder, imported from a file
   * or URL, or a reward model added from the Hub as it is (a one-label sequence classifier; its
   * Hub id, URL or folder in importedFrom).
   */
  origin: 'run' | 'quick-head' | 'import' | 'hub';
  spec: ModelSpec;
  createdAt: number;
  runId?: string;
  datasetName?: string;
  /** Held-out accuracy at the evaluation of the step these weights are from. */
  heldOutAccuracy?: number;
  /** Held-out pairs that accuracy was measured on (its Wilson interval follows from the two). */
  heldOutPairs?: number;
  steps?: number;
  /** Which of a run's weights: those of its lowest held-out loss, or its last ones. */
  checkpoint?: 'best' | 'final';
  /** The run's baselines on the same held-out pairs. */
  baselines?: RunBaselines;
  trainConfig?: TrainConfig;
  /** An imported model's file name or URL; a Hub model's id, URL or 'folder:<name>'. */
  importedFrom?: string;
  /** Weights in a model added from the Hub, its head included. */
  parameters?: number;
  /** A quick head's options and fit (its encoder is in spec.embedding). */
  quickHead?: QuickHeadSummary;
}

/**
 * Everything a run needs to go on exactly where it stood: written every few steps, at a pause and at
 * the end, one per run (the latest good one: a write that fails leaves the one before).
 */
export interface CheckpointRecord {
  runId: string;
  /** Steps done; the resumed run's next step is step + 1. */
  step: number;
  /** The next batch: its epoch and its start in that epoch's permutation of the training pairs. */
  position: DataPosition;
  spec: ModelSpec;
  tokenizer?: TokenizerFiles;
  weights: NamedWeight[];
  optimizer: OptimizerState;
  /** Early stopping's state and the best weights so far, where they are not `weights` (absent in older checkpoints). */
  best?: BestState;
  /**
   * Checkpoints before version 4 copied the run's curves up to `step`; the curves now stay in
   * `runPoints` only, and a resumed run keeps those up to `step` (runs.ts keepPointsUpTo).
   */
  steps?: StepPoint[];
  evals?: EvalPoint[];
  /** The tfjs backend that wrote it: resuming on the same one gives the same numbers, bit for bit. */
  backend: string;
  /** Fingerprint of the training pairs (dataFingerprint): a changed dataset cannot resume the run. */
  data: string;
  savedAt: number;
}

export interface RMLabDB extends DBSchema {
  datasets: { key: string; value: DatasetRecord };
  pairs: { key: string; value: Pair; indexes: { byDataset: string } };
  /** The rejected lines of one import, kept so the user can read (and later download) them. */
  rejects: {
    key: string;
    value: {
      datasetId: string;
      lines: RejectedLine[];
      duplicates?: { line: number; duplicateOf: number }[];
      /** A feedback log's events that made no pair, each with why. */
      unpaired?: UnpairedEvent[];
    };
  };
  runs: { key: string; value: RunRecord; indexes: { byDataset: string } };
  /**
   * A run's curves as appended chunks (auto-incremented keys keep their order): a training event
   * adds its points, it never rewrites the ones before (runs.ts).
   */
  runPoints: { key: number; value: RunPointsChunk; indexes: { byRun: string } };
  /** The trained weights of a run, apart from the run so listing runs stays cheap. */
  models: { key: string; value: ModelRecord };
  /** The latest checkpoint of each run, keyed by run id. */
  checkpoints: { key: string; value: CheckpointRecord };
  /** One light card per stored model (trained or imported), keyed like `models`. */
  modelCards: { key: string; value: ModelCard };
  /**
   * Token ids of a dataset's texts under one tokenizer, so a run (and the statistics) tokenize a
   * dataset once, not at every start. Records are keyed by `key`; their shape is token-cache.ts's.
   */
  tokens: {
    key: string;
    value: TokenRecord;
    indexes: { byDataset: string };
  };
  /** Labelling projects (labels.ts): their options and guidelines' history. */
  labelProjects: { key: string; value: LabelProject };
  /** A project's items, keyed [projectId, item id]. */
  labelItems: { key: [string, string]; value: LabelItem & { projectId: string }; indexes: { byProject: string } };
  /** Every label, one record each, written on the key press that made it. */
  labels: { key: string; value: Label; indexes: { byProject: string } };
  /**
   * Frozen-encoder embeddings of a dataset's texts, per source (embeddings.ts), for quick heads.
   * Records are checked when read: the value type is what a reader must expect, not what it gets.
   */
  embeddings: { key: string; value: EmbeddingRecord; indexes: { byDataset: string } };
}

export type RMLabDatabase = IDBPDatabase<RMLabDB>;

let opening: Promise<RMLabDatabase> | undefined;

export function openLabDB(name = DB_NAME): Promise<RMLabDatabase> {
  if (name !== DB_NAME) return open(name);
  opening ??= open(name);
  return opening;
}

function open(name: string): Promise<RMLabDatabase> {
  return openDB<RMLabDB>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, transaction) {
      if (oldVersion < 1) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        db.createObjectStore('pairs', { keyPath: 'id' }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('rejects', { keyPath: 'datasetId' });
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('models', { keyPath: 'runId' });
      }
      if (oldVersion < 2) {
        db.createObjectStore('checkpoints', { keyPath: 'runId' });
      }
      if (oldVersion < 3) {
        db.createObjectStore('modelCards', { keyPath: 'id' });
        db.createObjectStore('tokens', { keyPath: 'key' }).createIndex('byDataset', 'datasetId');
        void cardsForTrainedModels(transaction);
      }
      if (oldVersion < 4) {
        db.createObjectStore('runPoints', { autoIncrement: true }).createIndex('byRun', 'runId');
        void curvesToChunks(transaction);
      }
      if (oldVersion < 5) {
        db.createObjectStore('labelProjects', { keyPath: 'id' });
        db.createObjectStore('labelItems', { keyPath: ['projectId', 'id'] }).createIndex('byProject', 'projectId');
        db.createObjectStore('labels', { keyPath: 'id' }).createIndex('byProject', 'projectId');
      }
      if (oldVersion < 6) {
        db.createObjectStore('embeddings', { keyPath: 'key' }).createIndex('byDataset', 'datasetId');
      }
    },
    // A tab still running older code holds the database at its old version and would stall the
    // upgrade of a newer tab: it lets go, and the next openLabDB() in it opens afresh.
    blocking(_current, _blocked, event) {
      (event.target as IDBDatabase).close();
      if (name === DB_NAME) opening = undefined;
    },
  });
}

/** Version 3 lists models by card: the models trained before it get theirs from their runs. */
async function cardsForTrainedModels(
  transaction: IDBPTransaction<RMLabDB, StoreNames<RMLabDB>[], 'versionchange'>,
): Promise<void> {
  const cards = transaction.objectStore('modelCards');
  for (const runId of await transaction.objectStore('models').getAllKeys()) {
    const run = await transaction.objectStore('runs').get(runId);
    if (!run) continue;
    const model = await transaction.objectStore('models').get(runId);
    if (!model) continue;
    await cards.put(trainedModelCard(run, model.spec));
  }
}

/** Version 4 appends curves in `runPoints`: each stored run's curves become its first chunk. */
async function curvesToChunks(
  transaction: IDBPTransaction<RMLabDB, StoreNames<RMLabDB>[], 'versionchange'>,
): Promise<void> {
  const runs = transaction.objectStore('runs');
  for (const run of await runs.getAll()) {
    if (run.steps.length === 0 && run.evals.length === 0) continue;
    await transaction.objectStore('runPoints').add({ runId: run.id, steps: run.steps, evals: run.evals });
    await runs.put({ ...run, steps: [], evals: [] });
  }
}

/** The id of the model that keeps a run's last weights beside its best ones. */
export function finalModelId(runId: string): string {
  return `${runId}:final`;
}

/**
 * The card of a run's trained model: the best held-out checkpoint (id = run id; the last weights when
 * the run has no best, as runs before early stopping), or its last weights (id finalModelId).
 */
export function trainedModelCard(run: RunRecord, spec: ModelSpec, kept: 'best' | 'final' = 'best'): ModelCard {
  const step = kept === 'best' && run.best ? run.best.step : run.evals.at(-1)?.step;
  const at = run.evals.filter((e) => e.step === step).at(-1);
  const date = new Date(run.createdAt).toISOString().slice(0, 16).replace('T', ' ');
  const which = !run.best
    ? ''
    : kept === 'best'
      ? ` · best held-out, step ${run.best.step}`
      : ` · final weights, step ${run.evals.at(-1)?.step ?? run.steps.at(-1)?.step ?? '?'}`;
  return {
    id: kept === 'best' ? run.id : finalModelId(run.id),
    name: `${run.datasetName} · ${date}${which}`,
    origin: 'run',
    spec,
    createdAt: run.finishedAt ?? run.createdAt,
    runId: run.id,
    datasetName: run.datasetName,
    ...(at ? { heldOutAccuracy: at.accuracy, steps: at.step } : {}),
    ...(at && run.counts ? { heldOutPairs: run.counts.heldOutScored } : {}),
    ...(run.best ? { checkpoint: kept } : {}),
    ...(run.baselines ? { baselines: run.baselines } : {}),
    trainConfig: run.config,
  };
}

/** A short random id; crypto.randomUUID needs a secure context, which the app and tests have. */
export function newId(): string {
  return crypto.randomUUID();
}
