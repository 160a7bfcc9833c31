// The one IndexedDB database, its schema in one place, opened behind one shared promise.
// Upgrades are cumulative `if (oldVersion < N)` steps: never edit a released step, add one.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Pair, RejectedLine, Winner } from '../core/data/pair.ts';
import type { NamedWeight, ModelSpec } from '../core/model/reward-model.ts';
import type { TrainConfig } from '../core/train/config.ts';
import type { DataCounts, EvalPoint, HeldOutMeta, StepPoint, TieMeta } from '../core/train/events.ts';
import type { BackendInfo } from '../core/train/backend.ts';

export const DB_NAME = 'rm-lab';
export const DB_VERSION = 1;

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
  steps: StepPoint[];
  evals: EvalPoint[];
  pairsPerSecond?: number;
}

export interface ModelRecord {
  runId: string;
  spec: ModelSpec;
  weights: NamedWeight[];
  savedAt: number;
}

export interface RMLabDB extends DBSchema {
  datasets: { key: string; value: DatasetRecord };
  pairs: { key: string; value: Pair; indexes: { byDataset: string } };
  /** The rejected lines of one import, kept so the user can read (and later download) them. */
  rejects: {
    key: string;
    value: { datasetId: string; lines: RejectedLine[]; duplicates?: { line: number; duplicateOf: number }[] };
  };
  runs: { key: string; value: RunRecord; indexes: { byDataset: string } };
  /** The trained weights of a run, apart from the run so listing runs stays cheap. */
  models: { key: string; value: ModelRecord };
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
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        db.createObjectStore('pairs', { keyPath: 'id' }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('rejects', { keyPath: 'datasetId' });
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('models', { keyPath: 'runId' });
      }
    },
  });
}

/** A short random id; crypto.randomUUID needs a secure context, which the app and tests have. */
export function newId(): string {
  return crypto.randomUUID();
}
