// The store tests' set-up: a database of its own for each test (the browser's real IndexedDB in
// tests/browser, fake-indexeddb in tests/unit), closed after the test whatever its outcome.
import { openDB, type IDBPDatabase } from 'idb';
import { afterEach } from 'vitest';
import { streamOfBytes } from '../src/core/data/jsonl.ts';
import { openLabDB, type RMLabDatabase } from '../src/store/db.ts';
import { importPairs } from '../src/worker/import.ts';

/**
 * Call at the top of a test file: returns the opener of fresh databases named `prefix-...` (or of
 * the one named `name` again: a reopen within a test), and registers the afterEach that closes the
 * ones a test opened.
 */
export function freshDatabases(prefix: string): (name?: string) => Promise<{ db: RMLabDatabase; name: string }> {
  const opened: RMLabDatabase[] = [];
  let count = 0;
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
  });
  return async (name = `${prefix}-${Date.now()}-${count++}`) => {
    const db = await openLabDB(name);
    opened.push(db);
    return { db, name };
  };
}

/**
 * The stores each released version of the schema added, written out here as they were released
 * (not taken from db.ts, whose upgrade is what the tests check).
 */
const ADDED_IN: Record<number, (db: IDBPDatabase) => void> = {
  1: (db) => {
    db.createObjectStore('datasets', { keyPath: 'id' });
    db.createObjectStore('pairs', { keyPath: 'id' }).createIndex('byDataset', 'datasetId');
    db.createObjectStore('rejects', { keyPath: 'datasetId' });
    db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byDataset', 'datasetId');
    db.createObjectStore('models', { keyPath: 'runId' });
  },
  2: (db) => db.createObjectStore('checkpoints', { keyPath: 'runId' }),
  3: (db) => {
    db.createObjectStore('modelCards', { keyPath: 'id' });
    db.createObjectStore('tokens', { keyPath: 'key' }).createIndex('byDataset', 'datasetId');
  },
};

/** A database named `name` as an older RM Lab (schema `version`) left it, empty: an upgrade test's start. */
export function openAtVersion(name: string, version: 1 | 2 | 3): Promise<IDBPDatabase> {
  return openDB(name, version, {
    upgrade(db) {
      for (let v = 1; v <= version; v++) ADDED_IN[v]!(db);
    },
  });
}

/** Imports JSONL `lines` into `db` as the dataset `name` (from a file `name.jsonl`), as the app's import does. */
export async function importLines(
  db: RMLabDatabase,
  lines: readonly string[],
  name: string,
): Promise<{ id: string; name: string }> {
  const { dataset } = await importPairs(
    db,
    streamOfBytes(new TextEncoder().encode(lines.join('\n')), 512),
    { name, source: { kind: 'file', name: `${name}.jsonl` } },
    () => {},
  );
  return { id: dataset.id, name: dataset.name };
}
