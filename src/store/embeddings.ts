// Embeddings of a dataset's prompt + response texts under one frozen encoder, kept in IndexedDB so a
// quick head (src/core/quick-head/) retrains in seconds: the encoder, the slow part, runs once per
// dataset and model. Keyed by dataset and by the source's identity (model id, revision, pooling,
// normalisation: sourceKey), so a changed model or pooling is a new key and never reads stale vectors.
// Records hold a chunk of pairs each (written as they are embedded, so a cancelled embedding keeps
// what it did), as one flat Float32Array: pair i's A vector, then its B vector. A dataset's pairs never
// change after import, so vectors cached for a pair id stay valid; deleteDataset (datasets.ts) removes
// them through the byDataset index.
//
// What is read back is checked before use: a record of another shape, with NaNs, or of another vector
// size than the rest (a hand-edited or half-written database, another version's layout) is dropped and
// deleted, and its pairs are embedded again. A cache never makes a result wrong; at worst, slower.
import type { RMLabDatabase } from './db.ts';

export interface EmbeddingRecord {
  key: string;
  datasetId: string;
  /** The source's identity (sourceKey in src/core/quick-head/config.ts). */
  source: string;
  chunk: number;
  pairIds: string[];
  /** Floats per vector. */
  size: number;
  /** [pairIds.length, 2, size]: each pair's response A vector, then its B vector. */
  vectors: Float32Array;
}

/** A pair's two embedded texts: prompt + response A, prompt + response B. */
export interface PairVectors {
  a: Float32Array;
  b: Float32Array;
}

const keyRange = (datasetId: string, source: string) =>
  IDBKeyRange.bound(`${datasetId}|${source}|`, `${datasetId}|${source}|\uffff`);

/** Where a labelling project's items are cached, in the place of a dataset id (worker/queue-head.ts). */
export const projectEmbeddingKey = (projectId: string) => `label-project:${projectId}`;

export function embeddingKey(datasetId: string, source: string, chunk: number): string {
  return `${datasetId}|${source}|${String(chunk).padStart(6, '0')}`;
}

/** Why a stored record cannot be used, or undefined when it can. */
export function recordProblem(value: unknown, datasetId: string, source: string, size?: number): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const r = value as Partial<EmbeddingRecord>;
  if (r.datasetId !== datasetId || r.source !== source) return 'keyed under another dataset or model';
  if (!Number.isInteger(r.chunk) || r.key !== embeddingKey(datasetId, source, r.chunk!))
    return 'its key does not match its chunk';
  if (!Array.isArray(r.pairIds) || !r.pairIds.every((id) => typeof id === 'string'))
    return 'pairIds is not a list of ids';
  if (!Number.isInteger(r.size) || r.size! < 1) return 'size is not a positive whole number';
  if (size !== undefined && r.size !== size) return `vectors of ${r.size} floats where the others have ${size}`;
  if (!(r.vectors instanceof Float32Array)) return 'vectors is not a Float32Array';
  if (r.vectors.length !== r.pairIds.length * 2 * r.size!)
    return `${r.vectors.length} floats for ${r.pairIds.length} pairs of ${r.size}-float vectors`;
  if (!r.vectors.every(Number.isFinite)) return 'a vector holds NaN or an infinity';
  return undefined;
}

export interface CachedVectors {
  vectors: Map<string, PairVectors>;
  /** Records read; records dropped as unusable (and deleted). */
  chunks: number;
  dropped: number;
  /** The highest chunk number seen, usable or not: new chunks go after it. */
  lastChunk: number;
}

/** Every usable cached pair of a dataset under a source; unusable records are deleted. */
export async function readEmbeddings(db: RMLabDatabase, datasetId: string, source: string): Promise<CachedVectors> {
  const values: unknown[] = await db.getAll('embeddings', keyRange(datasetId, source));
  const keys = await db.getAllKeys('embeddings', keyRange(datasetId, source));
  const vectors = new Map<string, PairVectors>();
  const bad: string[] = [];
  let size: number | undefined;
  let lastChunk = -1;
  values.forEach((value, j) => {
    const chunk = Number((keys[j] ?? '').split('|').at(-1));
    if (Number.isInteger(chunk)) lastChunk = Math.max(lastChunk, chunk);
    const problem = recordProblem(value, datasetId, source, size);
    if (problem) {
      console.warn(`rm-lab: cached embeddings ${keys[j]} dropped (${problem}); they will be computed again`);
      bad.push(keys[j]!);
      return;
    }
    const r = value as EmbeddingRecord;
    size = r.size;
    const row = (i: number) => r.vectors.subarray(i * r.size, (i + 1) * r.size);
    r.pairIds.forEach((id, i) => vectors.set(id, { a: row(2 * i), b: row(2 * i + 1) }));
  });
  if (bad.length > 0) {
    const tx = db.transaction('embeddings', 'readwrite');
    for (const key of bad) void tx.store.delete(key);
    await tx.done;
  }
  return { vectors, chunks: values.length - bad.length, dropped: bad.length, lastChunk };
}

/** Packs embedded pairs into one record. */
export function embeddingRecord(
  datasetId: string,
  source: string,
  chunk: number,
  pairs: readonly { id: string; vectors: PairVectors }[],
): EmbeddingRecord {
  const size = pairs[0]?.vectors.a.length ?? 0;
  const vectors = new Float32Array(pairs.length * 2 * size);
  pairs.forEach((p, i) => {
    if (p.vectors.a.length !== size || p.vectors.b.length !== size)
      throw new Error(
        `pair ${p.id}: vectors of ${p.vectors.a.length} and ${p.vectors.b.length} floats, expected ${size}`,
      );
    vectors.set(p.vectors.a, 2 * i * size);
    vectors.set(p.vectors.b, (2 * i + 1) * size);
  });
  return {
    key: embeddingKey(datasetId, source, chunk),
    datasetId,
    source,
    chunk,
    pairIds: pairs.map((p) => p.id),
    size,
    vectors,
  };
}

/** Stores one chunk; a failed write (a full disk) costs only the next fit's time, so it only warns. */
export async function writeEmbeddings(db: RMLabDatabase, record: EmbeddingRecord): Promise<boolean> {
  try {
    await db.put('embeddings', record);
    return true;
  } catch (error) {
    console.warn(`rm-lab: embeddings ${record.key} not cached (${(error as Error).message})`);
    return false;
  }
}

/** Removes every cached embedding of a dataset (all sources): the Data screen's "clear cache". */
export async function clearEmbeddings(db: RMLabDatabase, datasetId: string): Promise<number> {
  const tx = db.transaction('embeddings', 'readwrite');
  let removed = 0;
  let cursor = await tx.store.index('byDataset').openKeyCursor(IDBKeyRange.only(datasetId));
  while (cursor) {
    await tx.store.delete(cursor.primaryKey);
    removed++;
    cursor = await cursor.continue();
  }
  await tx.done;
  return removed;
}

/** Pairs embedded and stored together: a few seconds of a small encoder's work, so progress moves. */
export const EMBED_CHUNK_PAIRS = 32;

export interface EmbedProgress {
  /** Pairs with vectors now (from the cache or just embedded). */
  done: number;
  total: number;
  fromCache: number;
}

export interface EmbedOptions {
  onProgress?: (progress: EmbedProgress) => void;
  /** Asked between chunks: true stops (what was embedded so far stays cached), throwing 'stopped'. */
  shouldStop?: () => boolean;
  chunkPairs?: number;
}

/**
 * Vectors for every pair: read from the cache, the missing ones embedded (`embed` takes texts and gives
 * one vector each) and stored chunk by chunk as they come.
 */
export async function datasetEmbeddings(
  db: RMLabDatabase,
  datasetId: string,
  source: string,
  pairs: readonly { id: string; texts: readonly [string, string] }[],
  embed: (texts: string[]) => Promise<Float32Array[]>,
  options: EmbedOptions = {},
): Promise<{ vectors: Map<string, PairVectors>; fromCache: number; embedded: number; dropped: number }> {
  const cached = await readEmbeddings(db, datasetId, source);
  const { vectors } = cached;
  const missing = pairs.filter((p) => !vectors.has(p.id));
  const fromCache = pairs.length - missing.length;
  const step = options.chunkPairs ?? EMBED_CHUNK_PAIRS;
  options.onProgress?.({ done: fromCache, total: pairs.length, fromCache });
  let chunk = cached.lastChunk + 1;
  for (let start = 0; start < missing.length; start += step) {
    if (options.shouldStop?.()) throw new Error('stopped');
    const batch = missing.slice(start, start + step);
    const out = await embed(batch.flatMap((p) => [p.texts[0], p.texts[1]]));
    if (out.length !== 2 * batch.length)
      throw new Error(`the encoder gave ${out.length} vectors for ${2 * batch.length} texts`);
    const embedded = batch.map((p, i) => ({ id: p.id, vectors: { a: out[2 * i]!, b: out[2 * i + 1]! } }));
    for (const p of embedded) vectors.set(p.id, p.vectors);
    await writeEmbeddings(db, embeddingRecord(datasetId, source, chunk++, embedded));
    options.onProgress?.({ done: fromCache + start + batch.length, total: pairs.length, fromCache });
  }
  return { vectors, fromCache, embedded: missing.length, dropped: cached.dropped };
}
