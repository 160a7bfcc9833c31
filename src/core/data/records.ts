// Files -> records. One entry point, readRecords, reads any container RM Lab knows (JSONL, a JSON
// array or concatenated JSON objects, CSV, TSV, and any of them gzipped), streaming, and gives
// every record with the line it starts on, or a reason where a part of the file is not a record.
// The formats (which fields mean what) are the next step's business: parseRecords in parse.ts.

import { readCsvRecords } from './csv-records.ts';
import { clip, codePoint, namedInvisibles } from './excerpt.ts';
import { readJsonRecords } from './json-records.ts';
import { type Line, MAX_LINE_BYTES, readLines, tooLongReason } from './jsonl.ts';
import { MAX_NESTING, nestsDeeperThan, tooDeepReason } from './nesting.ts';
import { type JsonRecord, isRecord, kindOf } from './formats/fields.ts';
import { UTF8_BOM, openSource, peek, startsWith } from './source.ts';

export { MAX_LINE_BYTES, MAX_NESTING };

export type ContainerId = 'jsonl' | 'json' | 'csv' | 'tsv';

export const CONTAINERS: readonly { id: ContainerId; label: string; extensions: readonly string[] }[] = [
  { id: 'jsonl', label: 'JSON Lines (one JSON object a line)', extensions: ['.jsonl', '.ndjson'] },
  { id: 'json', label: 'JSON (an array of objects, or objects one after another)', extensions: ['.json'] },
  { id: 'csv', label: 'CSV (comma-separated, a header row names the fields)', extensions: ['.csv'] },
  { id: 'tsv', label: 'TSV (tab-separated, a header row names the fields)', extensions: ['.tsv', '.tab'] },
];

/** One record of the file, or one part of it that is not a record and why. */
export interface RecordLine {
  /** 1-based line the record starts on (a JSON element's first line, a CSV row's first physical line). */
  line: number;
  /** The parsed record; absent when `error` is set. */
  record?: unknown;
  /** Why this part of the file is not a record, in plain words. */
  error?: string;
  /** The record's source text, or a short excerpt of it, for the user to recognise it. */
  text: string;
  /** The element's position in a JSON file (0-based), where the container has positions. */
  index?: number;
  /** The record's values are CSV/TSV cells: all text, to be read as the format's `cells` table says. */
  cells?: true;
}

/** The JSON object a record line holds, or, as a string, why it is not one (for the line's rejection). */
export function objectOrReason(item: RecordLine): JsonRecord | string {
  if (item.error !== undefined) return item.error;
  return isRecord(item.record) ? item.record : `expected a JSON object, got ${kindOf(item.record)}`;
}

export interface ContainerInfo {
  container: ContainerId;
  gzip: boolean;
}

export interface ReadRecordsOptions {
  /** The container, when the user chose it; by default it is detected from the first bytes. */
  container?: ContainerId;
  /** The running count of the file's bytes read (compressed bytes for a gzipped file), for progress. */
  onBytes?: (bytesRead: number) => void;
  /** Told once, before the first record, which container (and whether gzip) the file was read as. */
  onContainer?: (info: ContainerInfo) => void;
  /**
   * The bytes are only the start of a file (the preview's first 256 KB): a record cut off at the
   * end is left out rather than reported, and a gzip stream may end early.
   */
  truncated?: boolean;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const LF = 0x0a;

/** The first byte that is not whitespace (after a BOM), or undefined. */
function firstSignificant(head: Uint8Array): number | undefined {
  const start = startsWith(head, UTF8_BOM) ? UTF8_BOM.length : 0;
  for (let i = start; i < head.length; i++) if (!WHITESPACE.has(head[i]!)) return head[i];
  return undefined;
}

/** The first non-blank line of the head (complete or not), decoded. */
function firstLine(head: Uint8Array): string {
  const text = new TextDecoder().decode(head.subarray(0, Math.min(head.length, 1 << 20)));
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}

/** Counts a character outside double-quoted text: how a header row is told to be CSV or TSV. */
function countUnquoted(line: string, char: string): number {
  let n = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === char && !quoted) n++;
  }
  return n;
}

/**
 * The container of a file from its first bytes (already decompressed): "[" starts a JSON array,
 * a line that is just "{" starts pretty-printed JSON objects, another "{" a JSON Lines file; any
 * other text is a table whose header has tabs (TSV) or commas (CSV). An empty file reads as JSONL.
 */
export function detectContainer(head: Uint8Array): ContainerId {
  const first = firstSignificant(head);
  if (first === undefined) return 'jsonl';
  if (first === 0x5b /* [ */) return 'json';
  if (first === 0x7b /* { */) return firstLine(head).trim() === '{' ? 'json' : 'jsonl';
  const header = firstLine(head);
  const tabs = countUnquoted(header, '\t');
  return tabs > 0 && tabs >= countUnquoted(header, ',') ? 'tsv' : 'csv';
}

/** The container a file name suggests (".csv.gz" -> csv), for the UI's default; undefined when it says nothing. */
export function containerFromName(name: string): ContainerId | undefined {
  const lower = name.toLowerCase().replace(/\.gz$/, '');
  return CONTAINERS.find((c) => c.extensions.some((ext) => lower.endsWith(ext)))?.id;
}

/** Enough of the head to detect the container: the first non-blank line whole, or 64 KB. */
function enoughToDetect(head: Uint8Array): boolean {
  if (head.length >= 64 * 1024) return true;
  let seen = false;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b === LF && seen) return true;
    if (!WHITESPACE.has(b) && !(i < 3 && startsWith(head, UTF8_BOM))) seen = true;
  }
  return false;
}

/**
 * JSONL lines -> records: each line is parsed as JSON on its own. A line too long or nested too
 * deep is rejected before it is parsed, so that it costs no more than the cap.
 */
export async function* jsonlRecords(lines: AsyncIterable<Line> | Iterable<Line>): AsyncGenerator<RecordLine> {
  for await (const { line, text, invalidUtf8, tooLong } of lines) {
    if (tooLong) {
      yield { line, error: tooLongReason, text: clip(text) };
      continue;
    }
    if (invalidUtf8) {
      yield { line, error: 'not valid UTF-8', text: clip(text) };
      continue;
    }
    if (text.trim() === '') {
      // Whitespace JSON does not allow (NBSP, form feed, U+3000): said by name, since it cannot be seen.
      const named = [...text].map(codePoint).join(' ');
      yield { line, error: `not valid JSON: the line holds only ${named}, whitespace JSON does not allow`, text: '' };
      continue;
    }
    if (nestsDeeperThan(text, MAX_NESTING)) {
      yield { line, error: tooDeepReason('record'), text: clip(text) };
      continue;
    }
    try {
      yield { line, record: JSON.parse(text), text: clip(text) };
    } catch (error) {
      const reason = namedInvisibles(error instanceof Error ? error.message : String(error));
      yield { line, error: `not valid JSON: ${reason}`, text: clip(text) };
    }
  }
}

/**
 * Every record of a file, in order, from a byte stream (a File's stream() in the browser). Every
 * non-blank JSONL line, every JSON element and every CSV/TSV data row comes out exactly once, as
 * a record or with an error; a part of a JSON file that cannot be parsed comes out as one error
 * that says which lines were skipped. Stopping the iteration early cancels the stream. An error
 * reading the file itself is thrown; corrupt gzip data ends the records with an error instead.
 */
export async function* readRecords(
  stream: ReadableStream<Uint8Array>,
  options: ReadRecordsOptions = {},
): AsyncGenerator<RecordLine> {
  const source = await openSource(stream, options.onBytes);
  let content: ReadableStream<Uint8Array>;
  let head: Uint8Array;
  let lastLine = 0;
  try {
    ({ head, stream: content } = await peek(source.stream, enoughToDetect));
  } catch (error) {
    if (!source.gzip || source.sourceFailed()) throw error;
    if (!options.truncated) yield gzipError(error, 1);
    return;
  }
  const container = options.container ?? detectContainer(head);
  options.onContainer?.({ container, gzip: source.gzip });
  // A sample cut from a larger file may end in the middle of a line: in a line-based container
  // its last record is held back and given only when the sample ends with a line break.
  const holdLast = options.truncated === true && container !== 'json';
  let lastByte = -1;
  if (holdLast) {
    content = content.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
          controller.enqueue(chunk);
        },
      }),
    );
  }
  const records =
    container === 'jsonl'
      ? jsonlRecords(readLines(content))
      : container === 'json'
        ? readJsonRecords(content, { array: firstSignificant(head) === 0x5b, truncated: options.truncated })
        : readCsvRecords(content, { delimiter: container === 'tsv' ? '\t' : ',', truncated: options.truncated });
  let held: RecordLine | undefined;
  try {
    for await (const record of records) {
      lastLine = Math.max(lastLine, record.line);
      if (!holdLast) {
        yield record;
        continue;
      }
      if (held !== undefined) yield held;
      held = record;
    }
    if (held !== undefined && lastByte === LF) yield held;
  } catch (error) {
    if (!source.gzip || source.sourceFailed()) throw error;
    // The decompressor failed: the gzip data is corrupt or cut short. What was read stands. A
    // sample's gzip stream always ends early; the record held back was followed by a line break.
    if (options.truncated) {
      if (held !== undefined) yield held;
      return;
    }
    yield gzipError(error, lastLine + 1);
  }
}

function gzipError(error: unknown, line: number): RecordLine {
  const detail = error instanceof Error && error.message !== '' ? ` (${error.message})` : '';
  return {
    line,
    error: `the file's gzip data is damaged or cut short${detail}: nothing after this point could be read`,
    text: '',
  };
}
