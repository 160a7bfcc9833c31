// Lines of a JSONL file -> pairs and rejected lines. Every non-blank line becomes exactly one of
// the two, so the import can report "N pairs, M rejected" and show the user why each was rejected.

import type { PairInput, RejectedLine } from './pair.ts';
import type { Line } from './jsonl.ts';
import { FormatError } from './formats/format-error.ts';
import { isRecord, kindOf } from './formats/fields.ts';
import { type FormatId, detectFormat, formatById, unknownRecordReason } from './formats/index.ts';

export type ParsedLine =
  { kind: 'pair'; line: number; pair: PairInput; format: FormatId } | { kind: 'rejected'; rejected: RejectedLine };

export interface ParseOptions {
  /** The file's format; by default, the format of the first record that looks like one. */
  format?: FormatId;
}

const EXCERPT_LENGTH = 120;

/** The first 120 characters, never cutting a character made of a surrogate pair in half. */
function excerptOf(text: string): string {
  return Array.from(text.slice(0, EXCERPT_LENGTH * 2))
    .slice(0, EXCERPT_LENGTH)
    .join('');
}

/** Why a record does not fit the file's format: its own field error, or that it is another format. */
function mismatchReason(error: FormatError, record: unknown, format: FormatId): string {
  const other = detectFormat(record);
  if (other === undefined || other === format) return error.message;
  const expected = formatById(format);
  return `this line is in ${formatById(other).label} format, but the file is in ${expected.label} format (${expected.fields.join(', ')})`;
}

export async function* parsePairs(
  lines: AsyncIterable<Line> | Iterable<Line>,
  options: ParseOptions = {},
): AsyncGenerator<ParsedLine> {
  let format = options.format;
  for await (const { line, text, invalidUtf8 } of lines) {
    const reject = (reason: string): ParsedLine => ({
      kind: 'rejected',
      rejected: { line, reason, excerpt: excerptOf(text) },
    });
    if (invalidUtf8) {
      yield reject('not valid UTF-8');
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      yield reject(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (!isRecord(record)) {
      yield reject(`expected a JSON object, got ${kindOf(record)}`);
      continue;
    }
    // The first record that looks like a known format fixes the file's format; the user is
    // told about every later line that does not fit it rather than getting a mixed dataset.
    format ??= detectFormat(record);
    if (format === undefined) {
      yield reject(unknownRecordReason());
      continue;
    }
    try {
      yield { kind: 'pair', line, pair: formatById(format).toPair(record), format };
    } catch (error) {
      if (!(error instanceof FormatError)) throw error; // a bug, not the user's data
      yield reject(mismatchReason(error, record, format));
    }
  }
}
