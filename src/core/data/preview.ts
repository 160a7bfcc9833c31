// A look at a file before anything is stored: its container, the format its records look like,
// the formats the user could pick instead, its field names (for a field mapping) and its first
// rows, each with the pair it becomes or why it would be rejected. It reads the file's first
// bytes only, with the same readers and adapters as the import, so what it shows is what the
// import will do.

import type { PairInput } from './pair.ts';
import { isRecord } from './formats/fields.ts';
import { type FieldMapping, type FormatId, candidateFormats, detectFormat } from './formats/index.ts';
import { streamOfBytes } from './jsonl.ts';
import { type ParsedFormat, parseRecords } from './parse.ts';
import { type ContainerId, type RecordLine, readRecords } from './records.ts';
import {
  type EventFormat,
  type EventMapping,
  type EventPreviewRow,
  detectEventFormat,
  previewEvents,
} from './implicit/read.ts';

/** How much of a file the UI should read for a preview. */
export const PREVIEW_BYTES = 256 * 1024;

export interface PreviewOptions {
  /** The container the user chose; by default, detected. */
  container?: ContainerId;
  /** The format the user chose; by default, detected from the records. */
  format?: FormatId;
  /** The user's field mapping, to see what it makes of the rows. */
  mapping?: FieldMapping;
  /** The user's field mapping of a feedback log in another layout, to see the events it makes. */
  eventMapping?: EventMapping;
  /**
   * Whether `bytes` is the whole file; by default, when it is shorter than PREVIEW_BYTES. When it
   * is not, a record cut off at the end of the bytes is left out of the sample.
   */
  complete?: boolean;
  /** How many records to show (default 20). */
  rows?: number;
}

export interface PreviewRow {
  line: number;
  /** The element's index, in a JSON file. */
  index?: number;
  /** The record as read (CSV rows: their text cells); absent when the part of the file is not a record. */
  record?: unknown;
  /** The pair the record becomes. */
  pair?: PairInput;
  /** Why it would be rejected. */
  reason?: string;
  /** The line of an earlier pair in the sample with the same content. */
  duplicateOf?: number;
}

export interface SourcePreview {
  container: ContainerId;
  gzip: boolean;
  /** The format the sample was read as: the one given, the mapping ('custom') or the one detected. */
  format?: ParsedFormat;
  /** The format the records look like, whatever was given. */
  detected?: FormatId;
  /** Every format one of the sample's records fits, in table order: the choices for an override. */
  candidates: FormatId[];
  /** The sample's field names, in the order they first appear. */
  fields: string[];
  sample: PreviewRow[];
  /**
   * The records look like a feedback log (events, not pairs), or the user mapped them as one
   * ('custom'): its format, and the sample as events.
   */
  feedback?: { format: EventFormat | 'custom'; sample: EventPreviewRow[] };
}

export async function previewSource(bytes: Uint8Array, options: PreviewOptions = {}): Promise<SourcePreview> {
  const rows = options.rows ?? 20;
  const complete = options.complete ?? bytes.length < PREVIEW_BYTES;
  let container: ContainerId = options.container ?? 'jsonl';
  let gzip = false;
  const records: RecordLine[] = [];
  const reading = readRecords(streamOfBytes(bytes), {
    ...(options.container !== undefined ? { container: options.container } : {}),
    truncated: !complete,
    onContainer: (info) => ({ container, gzip } = info),
  });
  for await (const record of reading) {
    if (records.length >= rows) break;
    records.push(record);
  }

  const fields: string[] = [];
  const seenFields = new Set<string>();
  const candidates = new Set<FormatId>();
  let detected: FormatId | undefined;
  for (const { record } of records) {
    if (!isRecord(record)) continue;
    for (const field of Object.keys(record)) {
      if (!seenFields.has(field)) fields.push(field);
      seenFields.add(field);
    }
    for (const id of candidateFormats(record)) candidates.add(id);
    detected ??= detectFormat(record);
  }

  const sample: PreviewRow[] = [];
  let format: ParsedFormat | undefined = options.mapping !== undefined ? 'custom' : options.format;
  const parseOptions = {
    ...(options.format !== undefined ? { format: options.format } : {}),
    ...(options.mapping !== undefined ? { mapping: options.mapping } : {}),
  };
  let i = 0;
  for await (const parsed of parseRecords(records, parseOptions)) {
    const source = records[i++]!;
    const row: PreviewRow = { line: source.line };
    if (source.index !== undefined) row.index = source.index;
    if (source.record !== undefined) row.record = source.record;
    if (parsed.kind === 'pair') {
      row.pair = parsed.pair;
      format ??= parsed.format;
      if (parsed.duplicateOf !== undefined) row.duplicateOf = parsed.duplicateOf;
    } else row.reason = parsed.rejected.reason;
    sample.push(row);
  }
  format ??= detected;

  const preview: SourcePreview = { container, gzip, candidates: [...candidates], fields, sample };
  if (format !== undefined) preview.format = format;
  if (detected !== undefined) preview.detected = detected;
  if (options.eventMapping !== undefined) {
    preview.feedback = { format: 'custom', sample: await previewEvents(records, { mapping: options.eventMapping }) };
    return preview;
  }
  const eventFormat =
    detected === undefined ? records.map((r) => detectEventFormat(r.record)).find((f) => f) : undefined;
  if (eventFormat !== undefined) preview.feedback = { format: eventFormat, sample: await previewEvents(records) };
  return preview;
}
