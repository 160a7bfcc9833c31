// The bundled word-vector table in Chromium: fetched from the app's own address (the files Vite
// serves from public/builtin/) only when a model starts from it, checked against its header, kept in
// the browser's Cache Storage so the next page reads it from there, and used by a model built in
// the page.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { openStartingModel } from '../../src/core/model/starting-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import {
  builtinVocabulary,
  forgetLoadedWordVectorTable,
  loadBuiltinWordVectors,
  loadWordVectorTable,
  WORD_VECTOR_CACHE,
  type WordVectorHeader,
} from '../../src/core/model/word-vectors.ts';
import { DEFAULT_TRAIN_CONFIG, parseTrainConfig } from '../../src/core/train/config.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await caches.delete(WORD_VECTOR_CACHE); // a cache left by an earlier run would hide the first fetch
});

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
/** The table's files this page has requested so far. */
const fetched = () =>
  performance
    .getEntriesByType('resource')
    .map((e) => e.name)
    .filter((name) => /\/builtin\/word-vectors\.(bin|json)$/.test(new URL(name).pathname));

const startingModel = (embeddingInit: 'glove' | 'random') =>
  openStartingModel(parseTrainConfig({ ...DEFAULT_TRAIN_CONFIG, embeddingInit, vocabularySize: 0, backend: 'cpu' }), {
    maxLengthName: 'maxLength',
    openPretrained: () => Promise.reject(new Error('built-in only')),
  });

describe('the bundled word vectors in the browser', () => {
  it('are fetched only when a model starts from them, from the app, the bytes their header describes', async () => {
    const random = await startingModel('random');
    (await random.create()).dispose();
    expect(fetched()).toEqual([]);

    const glove = await startingModel('glove');
    expect(fetched()).toEqual([]); // opening the model reads nothing yet
    (await glove.create()).dispose();
    const urls = fetched();
    expect(urls).toHaveLength(2);
    for (const url of urls) expect(new URL(url).origin).toBe(location.origin);

    const header = (await (await fetch(urls.find((u) => u.endsWith('.json'))!)).json()) as WordVectorHeader;
    const bin = await (await fetch(urls.find((u) => u.endsWith('.bin'))!)).arrayBuffer();
    expect(hex(await crypto.subtle.digest('SHA-256', bin))).toBe(header.sha256);
    const table = await loadWordVectorTable();
    expect(table.words.length).toBe(header.rows);
    expect(table.header.sha256).toBe(header.sha256);
  });

  it("are read from the browser's cache by the next page, not fetched again", async () => {
    const { header } = await loadWordVectorTable();
    const cache = await caches.open(WORD_VECTOR_CACHE);
    expect((await cache.keys()).map((r) => r.url)).toEqual([`https://rmlab.invalid/word-vectors/${header.sha256}.bin`]);

    forgetLoadedWordVectorTable(); // as a new page or worker would start
    performance.clearResourceTimings();
    const again = await loadWordVectorTable();
    expect(again.header.sha256).toBe(header.sha256);
    expect(fetched().map((u) => new URL(u).pathname.split('/').at(-1))).toEqual(['word-vectors.json']);
  });

  it('fetch the binary again when the cached copy is damaged', async () => {
    const { header } = await loadWordVectorTable();
    const cache = await caches.open(WORD_VECTOR_CACHE);
    const key = `https://rmlab.invalid/word-vectors/${header.sha256}.bin`;
    const bytes = new Uint8Array(await (await cache.match(key))!.arrayBuffer());
    bytes[bytes.length - 1]! ^= 1; // one bit of one vector
    await cache.put(key, new Response(bytes));

    forgetLoadedWordVectorTable();
    performance.clearResourceTimings();
    const table = await loadWordVectorTable();
    expect(fetched().map((u) => new URL(u).pathname.split('/').at(-1))).toEqual([
      'word-vectors.json',
      'word-vectors.bin',
    ]);
    const kept = new Uint8Array(await (await cache.match(key))!.arrayBuffer());
    expect(hex(await crypto.subtle.digest('SHA-256', kept))).toBe(header.sha256);
    expect(table.values.at(-1)).toBe(new Int8Array(kept.buffer).at(-1));
  });

  it("start a model's word embeddings: a known word's row is its vector, scaled", async () => {
    const words = await loadBuiltinWordVectors();
    const vocab = builtinVocabulary();
    expect(words.vocabSize).toBe(builtinTokenizer().vocabSize);
    const model = RewardModel.create(
      {
        encoder: 'builtin-transformer',
        tokenizer: 'builtin',
        transformer: {
          vocabSize: vocab.length,
          maxLength: 8,
          dModel: 16,
          nLayers: 1,
          nHeads: 2,
          dFF: 64,
          pooling: 'cls',
        },
      },
      3,
      { wordVectors: words },
    );
    const table = (await model.params.get('embeddings.word')!.data()) as Float32Array;
    model.dispose();
    const rowOf = (token: string) => {
      const i = words.ids.indexOf(vocab.indexOf(token));
      return {
        table: table.subarray(vocab.indexOf(token) * 16, vocab.indexOf(token) * 16 + 16),
        vector: words.vectors.subarray(i * 100, i * 100 + 16),
      };
    };
    const good = rowOf('good');
    const scale = good.table[0]! / good.vector[0]!;
    for (const token of ['good', 'email', 'write']) {
      const { table: got, vector } = rowOf(token);
      got.forEach((x, j) => expect(x).toBeCloseTo(vector[j]! * scale, 6));
    }
  });
});
