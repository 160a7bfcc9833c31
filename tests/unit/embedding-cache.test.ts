// The frozen-encoder embedding cache (src/store/embeddings.ts) on an in-memory IndexedDB
// (fake-indexeddb): the first pass embeds every pair and stores it, the second embeds nothing and gives
// the same vectors; another source (model, revision or pooling) is its own entry; a stopped pass keeps
// what it embedded; hostile or corrupt records are dropped, deleted and embedded again (never used);
// deleting the dataset removes its vectors. The "encoder" here is a deterministic function of the
// text (the real one is tested in tests/unit/hub-embeddings.test.ts): what is under test is the cache.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deleteDataset } from '../../src/store/datasets.ts';
import { openLabDB, type RMLabDatabase } from '../../src/store/db.ts';
import {
  clearEmbeddings,
  datasetEmbeddings,
  embeddingKey,
  embeddingRecord,
  readEmbeddings,
} from '../../src/store/embeddings.ts';
import { cyrb53 } from '../../src/core/data/hash.ts';

const opened: RMLabDatabase[] = [];
let dbCount = 0;
async function freshDB(): Promise<RMLabDatabase> {
  const db = await openLabDB(`rm-lab-embeddings-${dbCount++}`);
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  vi.restoreAllMocks();
});

const SIZE = 6;
function vectorOf(text: string): Float32Array {
  return Float32Array.from({ length: SIZE }, (_, j) => (cyrb53(text, j) % 1000) / 1000);
}
function counter() {
  const calls: string[][] = [];
  const embed = async (texts: string[]) => {
    calls.push(texts);
    return texts.map(vectorOf);
  };
  return { calls, embed, texts: () => calls.flat().length };
}
const pairs = Array.from({ length: 70 }, (_, i) => ({
  id: `d1:${String(i).padStart(8, '0')}`,
  texts: [`prompt ${i}\n\nanswer a ${i}`, `prompt ${i}\n\nanswer b ${i}`] as const,
}));
const SOURCE = 'tiny/encoder@main:mean:normalized';

describe('the embedding cache', () => {
  it('embeds once, then reads every vector back unchanged', async () => {
    const db = await freshDB();
    const first = counter();
    const progress: number[] = [];
    const a = await datasetEmbeddings(db, 'd1', SOURCE, pairs, first.embed, {
      chunkPairs: 32,
      onProgress: (p) => progress.push(p.done),
    });
    expect(first.texts()).toBe(140);
    expect(progress).toEqual([0, 32, 64, 70]);
    expect(a).toMatchObject({ fromCache: 0, embedded: 70, dropped: 0 });
    const second = counter();
    const b = await datasetEmbeddings(db, 'd1', SOURCE, pairs, second.embed);
    expect(second.texts()).toBe(0);
    expect(b).toMatchObject({ fromCache: 70, embedded: 0 });
    for (const p of pairs) {
      expect(Array.from(b.vectors.get(p.id)!.a)).toEqual(Array.from(vectorOf(p.texts[0])));
      expect(Array.from(b.vectors.get(p.id)!.b)).toEqual(Array.from(vectorOf(p.texts[1])));
    }
    const other = counter();
    await datasetEmbeddings(db, 'd1', 'tiny/encoder@main:cls:normalized', pairs.slice(0, 5), other.embed);
    expect(other.texts(), 'another pooling is another entry').toBe(10);
  });

  it('a stopped pass keeps the chunks it stored; the next embeds only the rest', async () => {
    const db = await freshDB();
    const first = counter();
    let asked = 0;
    await expect(
      datasetEmbeddings(db, 'd1', SOURCE, pairs, first.embed, { chunkPairs: 20, shouldStop: () => ++asked > 2 }),
    ).rejects.toThrow('stopped');
    expect(first.texts()).toBe(80);
    const second = counter();
    const result = await datasetEmbeddings(db, 'd1', SOURCE, pairs, second.embed, { chunkPairs: 20 });
    expect(result).toMatchObject({ fromCache: 40, embedded: 30 });
    expect(second.texts()).toBe(60);
    expect((await readEmbeddings(db, 'd1', SOURCE)).vectors.size).toBe(70);
  });

  it('drops, deletes and re-embeds hostile or corrupt records, never using them', async () => {
    const db = await freshDB();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { embed } = counter();
    await datasetEmbeddings(db, 'd1', SOURCE, pairs.slice(0, 10), embed, { chunkPairs: 10 });
    const good = embeddingRecord('d1', SOURCE, 1, [
      { id: pairs[10]!.id, vectors: { a: vectorOf('x'), b: vectorOf('y') } },
    ]);
    const nan = Float32Array.from(good.vectors);
    nan[3] = Number.NaN;
    const hostile: unknown[] = [
      { ...good, vectors: nan },
      { ...good, key: embeddingKey('d1', SOURCE, 3), chunk: 3, vectors: good.vectors.subarray(1) },
      { ...good, key: embeddingKey('d1', SOURCE, 4), chunk: 4, vectors: Array.from(good.vectors) },
      { ...good, key: embeddingKey('d1', SOURCE, 5), chunk: 5, size: 3, vectors: good.vectors.subarray(0, 6) },
      { ...good, key: embeddingKey('d1', SOURCE, 6), chunk: 6, pairIds: [42] },
      {
        key: embeddingKey('d1', SOURCE, 7),
        datasetId: 'd1',
        source: SOURCE,
        chunk: 7,
        note: '<img src=x onerror=alert(1)>',
      },
    ];
    const tx = db.transaction('embeddings', 'readwrite');
    for (const value of hostile) void tx.store.put(value as never);
    await tx.done;
    const read = await readEmbeddings(db, 'd1', SOURCE);
    expect(read.dropped).toBe(hostile.length);
    expect(read.vectors.size).toBe(10);
    expect(read.lastChunk).toBe(7);
    expect(await db.count('embeddings')).toBe(1);
    const again = counter();
    const result = await datasetEmbeddings(db, 'd1', SOURCE, pairs.slice(0, 12), again.embed);
    expect(again.texts()).toBe(4);
    expect(Array.from(result.vectors.get(pairs[10]!.id)!.a)).toEqual(Array.from(vectorOf(pairs[10]!.texts[0])));
  });

  it('an encoder that gives the wrong number of vectors is an error, not a cache entry', async () => {
    const db = await freshDB();
    await expect(datasetEmbeddings(db, 'd1', SOURCE, pairs.slice(0, 3), async () => [vectorOf('x')])).rejects.toThrow(
      'the encoder gave 1 vectors for 6 texts',
    );
    expect(await db.count('embeddings')).toBe(0);
  });

  it('goes with its dataset, and can be cleared alone', async () => {
    const db = await freshDB();
    const { embed } = counter();
    await datasetEmbeddings(db, 'd1', SOURCE, pairs, embed);
    await datasetEmbeddings(db, 'd2', SOURCE, pairs.slice(0, 3), embed);
    await deleteDataset(db, 'd1');
    expect((await readEmbeddings(db, 'd1', SOURCE)).vectors.size).toBe(0);
    expect((await readEmbeddings(db, 'd2', SOURCE)).vectors.size).toBe(3);
    expect(await clearEmbeddings(db, 'd2')).toBe(1);
    expect(await db.count('embeddings')).toBe(0);
  });
});
