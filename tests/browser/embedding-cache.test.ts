// The frozen-encoder embedding cache (src/store/embeddings.ts) on the browser's real IndexedDB: vectors
// written chunk by chunk come back bit for bit (structured clone of Float32Array in Chromium), a second
// pass embeds nothing, a record planted with a NaN or the wrong length is dropped, deleted and embedded
// again, and deleting the dataset removes every vector. The "encoder" is a fixed function of the text:
// what is under test is the store (tests/unit/quick-head-hub.test.ts runs the real encoder).
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDataset } from '../../src/store/datasets.ts';
import { openLabDB, type RMLabDatabase } from '../../src/store/db.ts';
import { datasetEmbeddings, embeddingKey, embeddingRecord, readEmbeddings } from '../../src/store/embeddings.ts';

const opened: RMLabDatabase[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});
async function freshDB(): Promise<RMLabDatabase> {
  const name = `rm-lab-embeddings-${crypto.randomUUID()}`;
  const db = await openLabDB(name);
  opened.push(db);
  return db;
}

const SIZE = 16;
const vectorOf = (text: string) =>
  Float32Array.from(
    { length: SIZE },
    (_, j) => Math.sin(text.length * (j + 1)) / (text.charCodeAt(j % text.length) + 1),
  );
const pairs = Array.from({ length: 100 }, (_, i) => ({
  id: `d:${String(i).padStart(8, '0')}`,
  texts: [`prompt ${i}\n\nyes ${i}`, `prompt ${i}\n\nno ${'!'.repeat(i % 7)}`] as const,
}));
const SOURCE = 'rmlab-test/tiny-embedder@main:mean:normalized';

describe('the embedding cache on real IndexedDB', () => {
  it('stores, reads back exactly, drops hostile records, and goes with its dataset', async () => {
    const db = await freshDB();
    let embedded = 0;
    const embed = async (texts: string[]) => {
      embedded += texts.length;
      return texts.map(vectorOf);
    };
    await datasetEmbeddings(db, 'd', SOURCE, pairs, embed, { chunkPairs: 32 });
    expect(embedded).toBe(200);
    const again = await datasetEmbeddings(db, 'd', SOURCE, pairs, embed);
    expect(embedded).toBe(200);
    for (const p of pairs) {
      expect(Array.from(again.vectors.get(p.id)!.a)).toEqual(Array.from(vectorOf(p.texts[0])));
      expect(Array.from(again.vectors.get(p.id)!.b)).toEqual(Array.from(vectorOf(p.texts[1])));
    }

    const planted = embeddingRecord('d', SOURCE, 0, [
      { id: pairs[0]!.id, vectors: { a: vectorOf('x'), b: vectorOf('y') } },
    ]);
    planted.vectors[5] = Number.NaN;
    const short = { ...planted, key: embeddingKey('d', SOURCE, 9), chunk: 9, vectors: new Float32Array(3) };
    const tx = db.transaction('embeddings', 'readwrite');
    void tx.store.put(planted); // replaces chunk 0 (pairs 0..31) with one poisoned record
    void tx.store.put(short);
    await tx.done;
    const read = await readEmbeddings(db, 'd', SOURCE);
    expect(read.dropped).toBe(2);
    expect(read.vectors.size).toBe(68);
    const repaired = await datasetEmbeddings(db, 'd', SOURCE, pairs, embed);
    expect(repaired).toMatchObject({ fromCache: 68, embedded: 32 });
    expect(repaired.vectors.get(pairs[0]!.id)!.a.every(Number.isFinite)).toBe(true);

    await deleteDataset(db, 'd');
    expect(await db.count('embeddings')).toBe(0);
  });
});
