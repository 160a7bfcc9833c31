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
import { detectFormat } from '../core/data/formats/index.ts';
import type { ImplicitReport } from '../core/data/implicit/derive.ts';
import { feedbackPairs, readFeedbackLog, type FeedbackSummary } from '../core/data/implicit/feedback.ts';
import { detectEventFormat } from '../core/data/implicit/read.ts';
import type { FeedbackCliChoices } from './feedback-options.ts';

export interface DataFile {
  /** The file's name, as the dataset's name. */
  name: string;
  pairs: Pair[];
  rejected: RejectedLine[];
  /** Pairs that repeat an earlier line's pair exactly (kept, as the app keeps them): line and first line. */
  duplicates: { line: number; duplicateOf: number }[];
  lines: number;
  format?: ParsedFormat | `feedback log (${string})`;
  /** A feedback log's rules, report (every unpaired event with why) and analysis. */
  feedback?: Omit<FeedbackSummary, 'report'> & { report: ImplicitReport };
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

/** The records given, then the rest of an iterator's: a stream read up to a point and put back together. */
async function* chain(head: RecordLine[], rest: AsyncIterator<RecordLine>): AsyncGenerator<RecordLine> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

export interface PairFileOptions {
  /** The app's field mapping (--map): every record is read through it as a pair. */
  mapping?: FieldMapping;
  /** A feedback log's rules and mapping (--rules, --log-map, ...). */
  feedback?: FeedbackCliChoices;
}

/**
 * A file of pairs, or a feedback log (RM Lab's event log, Open WebUI's export, or any log with
 * --log-map) made into pairs by the rules: which one is told by its first record, as the app's preview
 * tells it. A pair field mapping (--map) says it is pairs.
 */
export async function readPairFile(path: string, options: PairFileOptions = {}): Promise<DataFile> {
  const { mapping, feedback } = options;
  const records = fileRecords(path);
  const head: RecordLine[] = [];
  let first: unknown;
  for (let next = await records.next(); !next.done; next = await records.next()) {
    head.push(next.value);
    if (next.value.record !== undefined) {
      first = next.value.record;
      break;
    }
  }
  const isLog =
    feedback?.mapping !== undefined ||
    (mapping === undefined && detectFormat(first) === undefined && detectEventFormat(first) !== undefined);
  return isLog
    ? readFeedbackFile(path, chain(head, records), feedback)
    : readPairRecords(path, chain(head, records), mapping);
}

async function readFeedbackFile(
  path: string,
  records: AsyncIterable<RecordLine>,
  choices: FeedbackCliChoices | undefined,
): Promise<DataFile> {
  const name = basename(path);
  const log = await readFeedbackLog(records, {
    userIds: choices?.userIds ?? 'keep',
    ...(choices?.mapping ? { mapping: choices.mapping } : {}),
  });
  const { pairs, report, summary } = feedbackPairs(log, choices?.rules, choices?.userIds);
  return {
    name,
    pairs: pairs.map((pair, i) => ({ ...pair, id: `${name}:${String(i).padStart(9, '0')}`, datasetId: name })),
    rejected: log.rejected,
    duplicates: [],
    lines: log.records,
    format: `feedback log (${log.format ?? 'no event read'})`,
    feedback: { ...summary, report },
  };
}

async function readPairRecords(
  path: string,
  records: AsyncIterable<RecordLine>,
  mapping: FieldMapping | undefined,
): Promise<DataFile> {
  const name = basename(path);
  const out: DataFile = { name, pairs: [], rejected: [], duplicates: [], lines: 0 };
  for await (const parsed of parseRecords(records, mapping ? { mapping } : {})) {
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
    file.lines === 0
      ? `${path} has no records`
      : file.feedback !== undefined && file.feedback.report.events > 0
        ? `the ${file.feedback.report.events} feedback events of ${path} made no preference pair (${file.feedback.report.reasons
            .slice(0, 3)
            .map((r) => `${r.count} × ${r.reason}`)
            .join('; ')})`
        : `none of the ${file.lines} records of ${path} is a preference pair`;
  throw new Error([head + ':', ...describeRejected(file.rejected)].join('\n'));
}
