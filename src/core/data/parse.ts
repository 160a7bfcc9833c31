// Records -> pairs and rejected lines. Every record the container gives (a JSONL line, a JSON
// element, a CSV row) becomes exactly one of the two, so the import can report "N pairs, M
// rejected" and show the user why each was rejected. Pairs that repeat an earlier pair exactly
// are marked with the line of the first one (duplicateOf); they are still pairs, and stored.

import type { PairInput, RejectedLine } from './pair.ts';
import type { Line } from './jsonl.ts';
import { DuplicateDetector } from './duplicates.ts';
import { FormatError } from './formats/format-error.ts';
import {
  CUSTOM_FORMAT,
  type FieldMapping,
  type FormatId,
  type FormatSpec,
  detectFormat,
  formatById,
  mappingFormat,
  readCells,
  unknownRecordReason,
} from './formats/index.ts';
import { type RecordLine, jsonlRecords, objectOrReason } from './records.ts';

/** A built-in format, or 'custom' for the user's field mapping. */
export type ParsedFormat = FormatId | typeof CUSTOM_FORMAT;

export type ParsedLine =
  | {
      kind: 'pair';
      line: number;
      pair: PairInput;
      format: ParsedFormat;
      /** The line of an earlier pair with the same prompt, responses and winner. */
      duplicateOf?: number;
    }
  | { kind: 'rejected'; rejected: RejectedLine };

export interface ParseOptions {
  /** The file's format; by default, the format of the first record that looks like one. */
  format?: FormatId;
  /** The user's field mapping: read every record with it (it wins over `format`). */
  mapping?: FieldMapping;
  /** Mark exact duplicates (default true). */
  duplicates?: boolean;
}

const EXCERPT_LENGTH = 120;

/** The first 120 characters, never cutting a character made of a surrogate pair in half. */
function excerptOf(text: string): string {
  return Array.from(text.slice(0, EXCERPT_LENGTH * 2))
    .slice(0, EXCERPT_LENGTH)
    .join('');
}

/**
 * Why a record does not fit the file's format: its own field error, or that it is another format.
 * A record that has every field the file's format needs is in that format with a wrong value,
 * whatever else it looks like (an HH-RLHF row whose chosen is not a transcript looks like TRL).
 */
function mismatchReason(error: FormatError, record: Record<string, unknown>, spec: FormatSpec): string {
  const other = detectFormat(record);
  if (other === undefined || other === spec.id || spec.fields.every((f) => Object.hasOwn(record, f))) {
    return error.message;
  }
  return `this line is in ${formatById(other).label} format, but the file is in ${spec.label} format (${spec.fields.join(', ')})`;
}

/** Where a record sits, for a reason: a JSON element's index ("element [12]: ..."). */
function located(record: RecordLine, reason: string): string {
  return record.index === undefined ? reason : `element [${record.index}]: ${reason}`;
}

/** Turns records into pairs; see readRecords for where records come from. */
export async function* parseRecords(
  records: AsyncIterable<RecordLine> | Iterable<RecordLine>,
  options: ParseOptions = {},
): AsyncGenerator<ParsedLine> {
  let spec: FormatSpec | undefined =
    options.mapping !== undefined
      ? mappingFormat(options.mapping)
      : options.format !== undefined
        ? formatById(options.format)
        : undefined;
  const duplicates = options.duplicates === false ? undefined : new DuplicateDetector();
  for await (const item of records) {
    const { line } = item;
    const reject = (reason: string): ParsedLine => ({
      kind: 'rejected',
      rejected: { line, reason: located(item, reason), excerpt: excerptOf(item.text) },
    });
    const record = objectOrReason(item);
    if (typeof record === 'string') {
      yield reject(record);
      continue;
    }
    // The first record that looks like a known format fixes the file's format; the user is
    // told about every later line that does not fit it rather than getting a mixed dataset.
    if (spec === undefined) {
      const detected = detectFormat(record);
      if (detected !== undefined) spec = formatById(detected);
    }
    if (spec === undefined) {
      yield reject(unknownRecordReason());
      continue;
    }
    const fields = item.cells ? readCells(record, spec) : record;
    let pair: PairInput;
    try {
      pair = spec.toPair(fields);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error; // a bug, not the user's data
      yield reject(mismatchReason(error, record, spec));
      continue;
    }
    const parsed: ParsedLine = { kind: 'pair', line, pair, format: spec.id as ParsedFormat };
    const first = duplicates?.check(pair, line);
    if (first !== undefined) parsed.duplicateOf = first;
    yield parsed;
  }
}

/** Lines of a JSONL file -> pairs: parseRecords over the lines parsed as JSON. */
export function parsePairs(
  lines: AsyncIterable<Line> | Iterable<Line>,
  options: ParseOptions = {},
): AsyncGenerator<ParsedLine> {
  return parseRecords(jsonlRecords(lines), options);
}
