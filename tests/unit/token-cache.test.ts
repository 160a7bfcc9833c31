// The token-id cache (src/store/token-cache.ts) and the worker's training data built through it
// (src/worker/training-data.ts), on an in-memory IndexedDB (fake-indexeddb): the first build tokenizes
// and stores, the second reads the store and tokenizes nothing, both give the same training data as
// tokenizing directly, for any maxLength (the ids are stored untruncated); another tokenizer gets its
// own entries; deleting the dataset removes them.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { builtinTokenizer, PairTokenizer } from '../../src/core/model/tokenizer.ts';
import builtinJson from '../../src/core/model/builtin-tokenizer.json';
import { prepareTrainingData, type DataOptions } from '../../src/core/train/data.ts';
import { deleteDataset, getPairs } from '../../src/store/datasets.ts';
import { type RMLabDatabase } from '../../src/store/db.ts';
import { freshDatabases, importLines } from '../fresh-db.ts';
import { CHUNK_PAIRS, datasetTokens, readTokens } from '../../src/store/token-cache.ts';
import { loadTrainingData } from '../../src/worker/training-data.ts';

const openTestDB = freshDatabases('rm-lab-token-cache');
const freshDB = async () => (await openTestDB()).db;
afterEach(() => {
  vi.restoreAllMocks();
});

const topics = ['the weather', 'a recipe', 'the train times', 'my homework', 'a good book', 'the news'];
function lines(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      prompt: `question ${i} about ${topics[i % topics.length]}: ${'and more words '.repeat(i % 9)}`,
      response_a: `thank you for asking about ${topics[i % topics.length]}, here is a careful answer ${i}`,
      response_b: `no. figure out ${topics[i % topics.length]} yourself ${'please '.repeat(i % 5)}`,
      winner: i % 11 === 5 ? 'tie' : i % 2 === 0 ? 'response_a' : 'response_b',
    }),
  );
}

const withDataset = async (db: RMLabDatabase, n = 60) => (await importLines(db, lines(n), 'polite')).id;

const options = (maxLength: number): DataOptions => ({
  maxLength,
  heldOutFraction: 0.2,
  splitSeed: 3,
  stratify: 'none',
  maxHeldOutPairs: 100,
  ties: 'davidson',
});

describe('token ids cached in IndexedDB', () => {
  it('first build tokenizes and stores, the second tokenizes nothing; both equal tokenizing directly, at any maxLength', async () => {
    const db = await freshDB();
    const datasetId = await withDataset(db);
    const tokenizer = builtinTokenizer();
    const encodeText = vi.spyOn(tokenizer, 'encodeText');
    const first = await loadTrainingData(db, datasetId, tokenizer, options(32));
    expect(first.tokenCache).toEqual({ fromCache: 0, tokenized: 60 });
    expect(encodeText).toHaveBeenCalledTimes(3 * 60);
    encodeText.mockClear();
    for (const maxLength of [32, 16, 128]) {
      const again = await loadTrainingData(db, datasetId, tokenizer, options(maxLength));
      expect(again.tokenCache).toEqual({ fromCache: 60, tokenized: 0 });
      expect(encodeText).not.toHaveBeenCalled();
      const direct = prepareTrainingData(await getPairs(db, datasetId), builtinTokenizer(), options(maxLength));
      const { tokenCache: _, ...data } = again;
      expect(data).toEqual(direct);
    }
    // the cut to 16 tokens did cut: truncation applies to the cached ids as to fresh ones
    expect((await loadTrainingData(db, datasetId, tokenizer, options(16))).counts.truncated).toBeGreaterThan(0);
  });

  it('keeps the ids untruncated, in chunks, keyed by dataset and tokenizer identity', async () => {
    const db = await freshDB();
    const n = CHUNK_PAIRS + 5;
    const datasetId = await withDataset(db, n);
    const tokenizer = builtinTokenizer();
    const pairs = await getPairs(db, datasetId);
    await datasetTokens(db, datasetId, pairs, tokenizer);
    const records = await db.getAll('tokens');
    expect(records.map((r) => r.chunk)).toEqual([0, 1]);
    expect(records.map((r) => r.pairIds.length)).toEqual([CHUNK_PAIRS, 5]);
    expect(records.every((r) => r.datasetId === datasetId && r.tokenizer === tokenizer.identity)).toBe(true);
    const { tokens } = await readTokens(db, datasetId, tokenizer.identity);
    const last = pairs.at(-1)!;
    expect(Array.from(tokens.get(last.id)!.prompt)).toEqual(tokenizer.encodeText(last.prompt as string));
    expect(Array.from(tokens.get(last.id)!.b)).toEqual(tokenizer.encodeText(last.responseB as string));
  });

  it('another tokenizer (here: another vocabulary) gets entries of its own, never the first one ids', async () => {
    const db = await freshDB();
    const datasetId = await withDataset(db);
    const builtin = builtinTokenizer();
    await datasetTokens(db, datasetId, await getPairs(db, datasetId), builtin);
    const changed = structuredClone(builtinJson) as { model: { vocab: Record<string, number> } };
    const [word, id] = Object.entries(changed.model.vocab).find(([w]) => w === 'thank')!;
    delete changed.model.vocab[word];
    changed.model.vocab['thanks'] = id;
    const other = new PairTokenizer(changed);
    expect(other.identity).not.toBe(builtin.identity);
    const second = await datasetTokens(db, datasetId, await getPairs(db, datasetId), other);
    expect(second).toMatchObject({ fromCache: 0, tokenized: 60 });
    expect(new Set((await db.getAll('tokens')).map((r) => r.tokenizer))).toEqual(
      new Set([builtin.identity, other.identity]),
    );
  });

  it('deleting a dataset removes its cached ids and leaves other datasets alone', async () => {
    const db = await freshDB();
    const gone = await withDataset(db);
    const kept = await withDataset(db, 12);
    const tokenizer = builtinTokenizer();
    await loadTrainingData(db, gone, tokenizer, options(32));
    await loadTrainingData(db, kept, tokenizer, options(32));
    await deleteDataset(db, gone);
    const left = await db.getAll('tokens');
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((r) => r.datasetId === kept)).toBe(true);
  });
});
