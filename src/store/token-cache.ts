// Token ids of a dataset's texts under one tokenizer, kept in IndexedDB so that a dataset is tokenized
// once, not at every run's start. The ids are stored untruncated (encodeText's, no special tokens), so a
// run with any maxLength builds its sequences from them (PairTokenizer.pairFromIds).
//
// A dataset's pairs never change after import (they are only added by the import and removed with the
// dataset), so ids cached for a pair id stay valid; a tokenizer is named by its identity (a hash of its
// tokenizer.json and config: PairTokenizer.identity), so a changed vocabulary, the built-in one included,
// is a new key and never reads stale ids. Records hold a chunk of pairs each, as flat typed arrays
// (cheap to structured-clone), keyed `<datasetId>|<tokenizer>|<chunk>`; deleteDataset (datasets.ts)
// removes them through the byDataset index.
import type { Pair } from '../core/data/pair.ts';
import { textOf } from '../core/data/pair.ts';
import type { RMLabDatabase } from './db.ts';

/** One stored chunk: the prompt, response A and response B ids of each of its pairs. */
export interface TokenRecord {
  key: string;
  datasetId: string;
  /** The tokenizer's identity string. */
  tokenizer: string;
  chunk: number;
  pairIds: string[];
  /** Text j's ids are ids[offsets[j], offsets[j + 1]); texts are prompt, A, B of pair 0, then of pair 1, ... */
  offsets: Uint32Array;
  ids: Int32Array;
}

/** A pair's three texts as token ids, untruncated. */
export interface PairTokens {
  prompt: Int32Array;
  a: Int32Array;
  b: Int32Array;
}

export interface TextTokenizer {
  identity: string;
  encodeText(text: string): number[];
}

/** Pairs per stored record: small enough to write in one go, large enough that a run reads few records. */
export const CHUNK_PAIRS = 2000;

const keyRange = (datasetId: string, tokenizer: string) =>
  IDBKeyRange.bound(`${datasetId}|${tokenizer}|`, `${datasetId}|${tokenizer}|\uffff`);

/** Every cached pair of a dataset under a tokenizer. */
export async function readTokens(
  db: RMLabDatabase,
  datasetId: string,
  tokenizer: string,
): Promise<{ tokens: Map<string, PairTokens>; chunks: number }> {
  const records = (await db.getAll('tokens', keyRange(datasetId, tokenizer))) as unknown as TokenRecord[];
  const tokens = new Map<string, PairTokens>();
  for (const r of records) {
    const text = (j: number) => r.ids.subarray(r.offsets[j]!, r.offsets[j + 1]!);
    r.pairIds.forEach((id, i) => tokens.set(id, { prompt: text(3 * i), a: text(3 * i + 1), b: text(3 * i + 2) }));
  }
  return { tokens, chunks: records.length };
}

/** Packs tokenized pairs into one record. */
export function tokenRecord(
  datasetId: string,
  tokenizer: string,
  chunk: number,
  pairs: { id: string; tokens: PairTokens }[],
): TokenRecord {
  const texts = pairs.flatMap((p) => [p.tokens.prompt, p.tokens.a, p.tokens.b]);
  const offsets = new Uint32Array(texts.length + 1);
  texts.forEach((t, j) => (offsets[j + 1] = offsets[j]! + t.length));
  const ids = new Int32Array(offsets[texts.length]!);
  texts.forEach((t, j) => ids.set(t, offsets[j]!));
  return {
    key: `${datasetId}|${tokenizer}|${String(chunk).padStart(6, '0')}`,
    datasetId,
    tokenizer,
    chunk,
    pairIds: pairs.map((p) => p.id),
    offsets,
    ids,
  };
}

export interface CachedTokens {
  tokens: Map<string, PairTokens>;
  /** Pairs read from the cache and pairs tokenized now (and stored). */
  fromCache: number;
  tokenized: number;
}

/**
 * The token ids of every pair of a dataset: read from the cache, and whatever is not there yet tokenized
 * and stored for next time. A failed write (a full disk) costs only the next run's time: the ids are
 * still returned.
 */
export async function datasetTokens(
  db: RMLabDatabase,
  datasetId: string,
  pairs: readonly Pair[],
  tokenizer: TextTokenizer,
): Promise<CachedTokens> {
  const { tokens, chunks } = await readTokens(db, datasetId, tokenizer.identity);
  const missing = pairs.filter((p) => !tokens.has(p.id));
  const fresh = missing.map((p) => ({
    id: p.id,
    tokens: {
      prompt: Int32Array.from(tokenizer.encodeText(textOf(p.prompt))),
      a: Int32Array.from(tokenizer.encodeText(textOf(p.responseA))),
      b: Int32Array.from(tokenizer.encodeText(textOf(p.responseB))),
    },
  }));
  for (const p of fresh) tokens.set(p.id, p.tokens);
  if (fresh.length > 0) {
    try {
      const tx = db.transaction('tokens', 'readwrite');
      for (let start = 0, chunk = chunks; start < fresh.length; start += CHUNK_PAIRS, chunk++) {
        const record = tokenRecord(datasetId, tokenizer.identity, chunk, fresh.slice(start, start + CHUNK_PAIRS));
        void tx.store.put(record);
      }
      await tx.done;
    } catch (error) {
      console.warn(`rm-lab: token ids of dataset ${datasetId} not cached (${(error as Error).message})`);
    }
  }
  return { tokens, fromCache: pairs.length - missing.length, tokenized: missing.length };
}
