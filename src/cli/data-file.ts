// A data file on disk -> pairs and rejected lines, through the same readers and format adapters
// as the app's import (readRecords, then parseRecords; see src/worker/import.ts): any container
// (JSONL, JSON, CSV, TSV, gzipped or not), any supported format. Every record ends as a pair or
// a rejected line with its number and the reason.
import { createReadStream, statSync } from 'node:fs';
import { namedInvisibles } from '../core/data/excerpt.ts';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { Pair, RejectedLine } from '../core/data/pair.ts';
import { parseRecords, type ParsedFormat } from '../core/data/parse.ts';
import type { FieldMapping } from '../core/data/formats/mapping.ts';
import { containerFromName, readRecords, type RecordLine } from '../core/data/records.ts';

export interface DataFile {
  /** The file's name, as the dataset's name. */
  name: string;
  pairs: Pair[];
  rejected: RejectedLine[];
  /** Pairs that repeat an earlier line's pair exactly (kept, as the app keeps them): line and first line. */
  duplicates: { line: number; duplicateOf: number }[];
  lines: number;
  format?: ParsedFormat;
}

/** Throws an error naming the path when it is missing or not a file. */
export function requireFile(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new Error(`${path}: no such file`);
  }
  if (!isFile) throw new Error(`${path} is not a file`);
}

/** The file's bytes as a web stream; a missing file is an error naming it. */
export function fileStream(path: string): ReadableStream<Uint8Array> {
  requireFile(path);
  return Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
}

/** The records of a file, its container told by its name where the name says (else by its bytes). */
export function fileRecords(path: string): AsyncGenerator<RecordLine> {
  return readRecords(fileStream(path), { container: containerFromName(path) });
}

/** With `mapping`, every record is read through it (the app's field mapping, --map). */
export async function readPairFile(path: string, mapping?: FieldMapping): Promise<DataFile> {
  const name = basename(path);
  const out: DataFile = { name, pairs: [], rejected: [], duplicates: [], lines: 0 };
  for await (const parsed of parseRecords(fileRecords(path), mapping ? { mapping } : {})) {
    out.lines++;
    if (parsed.kind === 'rejected') {
      out.rejected.push(parsed.rejected);
      continue;
    }
    out.format ??= parsed.format;
    if (parsed.duplicateOf !== undefined) out.duplicates.push({ line: parsed.line, duplicateOf: parsed.duplicateOf });
    // Zero-padded position keeps ids in the file's order, as the app's import does.
    out.pairs.push({ ...parsed.pair, id: `${name}:${String(parsed.line).padStart(9, '0')}`, datasetId: name });
  }
  return out;
}

/** "line 7: reason (excerpt)" for the first few rejected lines, and how many more there are. */
export function describeRejected(rejected: RejectedLine[], shown = 10): string[] {
  const lines = rejected
    .slice(0, shown)
    // Named, never raw: a file's escape bytes would retitle the terminal or clear the screen.
    .map((r) => namedInvisibles(`  line ${r.line}: ${r.reason}${r.excerpt ? ` (${r.excerpt})` : ''}`));
  if (rejected.length > shown) lines.push(`  ... and ${rejected.length - shown} more`);
  return lines;
}

/** A file with no usable pair: the error says so and lists why lines were rejected. */
export function requirePairs(file: DataFile, path: string): void {
  if (file.pairs.length > 0) return;
  const head =
    file.lines === 0 ? `${path} has no records` : `none of the ${file.lines} records of ${path} is a preference pair`;
  throw new Error([head + ':', ...describeRejected(file.rejected)].join('\n'));
}
