// Datasets and their pairs. Writing is split into begin / add batches / commit so that an
// import streams into the store without holding the whole file, and stays invisible until commit.
import type { Pair, RejectedLine, Winner } from '../core/data/pair.ts';
import type { UnpairedEvent } from '../core/data/implicit/derive.ts';
import { newId, type DatasetRecord, type RMLabDatabase } from './db.ts';

const NO_WINNERS: Record<Winner, number> = { a: 0, b: 0, tie: 0, both_bad: 0 };

export async function beginDataset(
  db: RMLabDatabase,
  name: string,
  source: DatasetRecord['source'],
): Promise<DatasetRecord> {
  const record: DatasetRecord = {
    id: newId(),
    name,
    source,
    createdAt: Date.now(),
    status: 'importing',
    pairCount: 0,
    rejectedCount: 0,
    lineCount: 0,
    winners: { ...NO_WINNERS },
  };
  await db.put('datasets', record);
  return record;
}

/** Pairs in one transaction; ids are the dataset id plus the pair's position, so order is kept. */
export async function addPairs(db: RMLabDatabase, pairs: Pair[]): Promise<void> {
  const tx = db.transaction('pairs', 'readwrite');
  await Promise.all([...pairs.map((p) => tx.store.put(p)), tx.done]);
}

export async function commitDataset(
  db: RMLabDatabase,
  record: DatasetRecord,
  rejected: RejectedLine[],
  duplicates: { line: number; duplicateOf: number }[] = [],
  unpaired?: UnpairedEvent[],
): Promise<DatasetRecord> {
  const ready: DatasetRecord = { ...record, status: 'ready', rejectedCount: rejected.length };
  const tx = db.transaction(['datasets', 'rejects'], 'readwrite');
  await Promise.all([
    tx
      .objectStore('rejects')
      .put({ datasetId: record.id, lines: rejected, duplicates, ...(unpaired ? { unpaired } : {}) }),
    tx.objectStore('datasets').put(ready),
    tx.done,
  ]);
  return ready;
}

/** Ready datasets, newest first. */
export async function listDatasets(db: RMLabDatabase): Promise<DatasetRecord[]> {
  const all = await db.getAll('datasets');
  return all.filter((d) => d.status === 'ready').sort((x, y) => y.createdAt - x.createdAt);
}

export async function getPairs(db: RMLabDatabase, datasetId: string): Promise<Pair[]> {
  return db.getAllFromIndex('pairs', 'byDataset', datasetId);
}

/** A feedback-log dataset's events that made no pair, with why (empty for other datasets). */
export async function getUnpairedEvents(db: RMLabDatabase, datasetId: string): Promise<UnpairedEvent[]> {
  return (await db.get('rejects', datasetId))?.unpaired ?? [];
}

export async function getRejectedLines(db: RMLabDatabase, datasetId: string): Promise<RejectedLine[]> {
  return (await db.get('rejects', datasetId))?.lines ?? [];
}

/** Removes a dataset, its pairs, its rejected lines and its cached token ids. */
export async function deleteDataset(db: RMLabDatabase, datasetId: string): Promise<void> {
  const tx = db.transaction(['datasets', 'pairs', 'rejects', 'tokens', 'embeddings'], 'readwrite');
  const pairs = tx.objectStore('pairs');
  let cursor = await pairs.index('byDataset').openKeyCursor(IDBKeyRange.only(datasetId));
  while (cursor) {
    await pairs.delete(cursor.primaryKey);
    cursor = await cursor.continue();
  }
  const tokens = tx.objectStore('tokens');
  let cached = await tokens.index('byDataset').openKeyCursor(IDBKeyRange.only(datasetId));
  while (cached) {
    await tokens.delete(cached.primaryKey);
    cached = await cached.continue();
  }
  const embeddings = tx.objectStore('embeddings');
  let embedded = await embeddings.index('byDataset').openKeyCursor(IDBKeyRange.only(datasetId));
  while (embedded) {
    await embeddings.delete(embedded.primaryKey);
    embedded = await embedded.continue();
  }
  await tx.objectStore('rejects').delete(datasetId);
  await tx.objectStore('datasets').delete(datasetId);
  await tx.done;
}

/** Removes imports that never committed (the tab closed or crashed mid-way). */
export async function removeUnfinishedImports(db: RMLabDatabase): Promise<number> {
  const stale = (await db.getAll('datasets')).filter((d) => d.status === 'importing');
  for (const d of stale) await deleteDataset(db, d.id);
  return stale.length;
}

/** All ids of a dataset's pairs share its id as prefix, so a key range selects them in order. */
function datasetRange(datasetId: string): IDBKeyRange {
  return IDBKeyRange.bound(`${datasetId}:`, `${datasetId}:\uffff`);
}

/**
 * Calls `visit` on every pair of a dataset, in file order, reading `batch` pairs per request
 * (getAll over a key range is much faster than a cursor, and never holds the whole dataset).
 */
export async function scanPairs(
  db: RMLabDatabase,
  datasetId: string,
  visit: (pair: Pair) => void,
  batch = 2000,
): Promise<void> {
  let range = datasetRange(datasetId);
  for (;;) {
    const pairs = await db.getAll('pairs', range, batch);
    for (const p of pairs) visit(p);
    if (pairs.length < batch) return;
    range = IDBKeyRange.bound(pairs.at(-1)!.id, `${datasetId}:\uffff`, true);
  }
}

export async function getPairsById(db: RMLabDatabase, ids: string[]): Promise<Pair[]> {
  const tx = db.transaction('pairs');
  const pairs = await Promise.all(ids.map((id) => tx.store.get(id)));
  return pairs.filter((p): p is Pair => p !== undefined);
}

export async function renameDataset(db: RMLabDatabase, datasetId: string, name: string): Promise<void> {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('a dataset needs a name');
  const tx = db.transaction('datasets', 'readwrite');
  const record = await tx.store.get(datasetId);
  if (!record) throw new Error('no such dataset');
  await tx.store.put({ ...record, name: trimmed });
  await tx.done;
}
