// The built-in word vectors in Chromium: fetched from the app's own address (the files Vite serves
// from public/builtin/), checked against their header, and used by a model built in the page.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { builtinVocabulary, loadBuiltinWordVectors, type WordVectorHeader } from '../../src/core/model/word-vectors.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

describe('built-in word vectors in the browser', () => {
  it('load over HTTP from the app, the same bytes the header describes', async () => {
    const words = await loadBuiltinWordVectors();
    const fetched = performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((name) => /\/builtin\/word-vectors\.(bin|json)$/.test(new URL(name).pathname));
    expect(fetched).toHaveLength(2);
    for (const url of fetched) expect(new URL(url).origin).toBe(location.origin);

    const headerUrl = fetched.find((u) => u.endsWith('.json'))!;
    const binUrl = fetched.find((u) => u.endsWith('.bin'))!;
    const header = (await (await fetch(headerUrl)).json()) as WordVectorHeader;
    const bin = await (await fetch(binUrl)).arrayBuffer();
    expect(hex(await crypto.subtle.digest('SHA-256', bin))).toBe(header.sha256);
    expect(words.ids.length).toBe(header.rows);
    expect(words.vocabSize).toBe(builtinTokenizer().vocabSize);
  });

  it("start a model's word embeddings: a known word's row is its vector, scaled", async () => {
    const words = await loadBuiltinWordVectors();
    const vocab = builtinVocabulary();
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
