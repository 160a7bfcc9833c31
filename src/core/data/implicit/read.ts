// Records -> feedback events and rejected lines, the event-log twin of parse.ts: every record the
// container gives (a JSONL line, a JSON element, a CSV row) becomes its events or one rejected line
// with the reason, so the import can account for every line. The first record that looks like a
// known log fixes the file's format (RM Lab's event log or Open WebUI's feedback export); a mapping
// reads any other log by renaming its fields to RM Lab's.
import { type RejectedLine, textOf } from '../pair.ts';
import { FormatError } from '../formats/format-error.ts';
import { type JsonRecord, isRecord } from '../formats/fields.ts';
import { objectOrReason, type RecordLine } from '../records.ts';
import { clip } from '../excerpt.ts';
import {
  ACTIONS,
  EVENT_OPTIONAL_FIELDS,
  EVENT_REQUIRED_FIELDS,
  type FeedbackAction,
  type FeedbackEvent,
  looksLikeEvent,
  readEvent,
} from './events.ts';
import { looksLikeOpenWebUI, openWebUIEvents } from './open-webui.ts';

export type EventFormat = 'rmlab-events' | 'open-webui';

export const EVENT_FORMATS: readonly { id: EventFormat; label: string; description: string }[] = [
  { id: 'rmlab-events', label: 'RM Lab event log', description: 'one feedback event a line: prompt, response, action' },
  {
    id: 'open-webui',
    label: 'Open WebUI feedback export',
    description: 'the JSON the admin Evaluations page exports: ratings with chat snapshots',
  },
];

export type EventField = (typeof EVENT_REQUIRED_FIELDS)[number] | (typeof EVENT_OPTIONAL_FIELDS)[number];
export const EVENT_FIELDS: readonly EventField[] = [...EVENT_REQUIRED_FIELDS, ...EVENT_OPTIONAL_FIELDS];

/**
 * Another log's layout: which of its fields holds each of RM Lab's event fields, and which of its
 * action values mean which action (values not listed must already be RM Lab's action names).
 */
export interface EventMapping {
  fields: Partial<Record<EventField, string>>;
  actions?: Record<string, FeedbackAction>;
}

/** A record of a mapped log renamed to RM Lab's event fields; unmapped fields are kept as extras. */
export function applyEventMapping(record: JsonRecord, mapping: EventMapping): JsonRecord {
  const used = new Set(Object.values(mapping.fields));
  const out: JsonRecord = Object.fromEntries(
    Object.entries(record).filter(([key]) => !used.has(key) && !EVENT_FIELDS.includes(key as EventField)),
  );
  for (const [ours, theirs] of Object.entries(mapping.fields)) {
    if (theirs !== undefined && Object.hasOwn(record, theirs)) out[ours] = record[theirs];
  }
  const action = out.action;
  if (mapping.actions !== undefined && (typeof action === 'string' || typeof action === 'number')) {
    const mapped = mapping.actions[String(action).trim()];
    if (mapped !== undefined) out.action = mapped;
  }
  return out;
}

/** Why a mapping cannot read a log: the required fields it leaves out, and unknown action names. */
export function eventMappingProblems(mapping: EventMapping): string[] {
  const problems: string[] = [];
  for (const f of EVENT_REQUIRED_FIELDS) if (!mapping.fields[f]) problems.push(`no field is mapped to "${f}"`);
  for (const [value, action] of Object.entries(mapping.actions ?? {})) {
    if (!(ACTIONS as readonly string[]).includes(action))
      problems.push(`"${value}" is mapped to unknown action "${action}"`);
  }
  return problems;
}

export type EventLine =
  | { kind: 'events'; line: number; events: FeedbackEvent[]; format: EventFormat | 'custom' }
  | { kind: 'rejected'; rejected: RejectedLine };

export interface ReadEventOptions {
  format?: EventFormat;
  mapping?: EventMapping;
}

/** Whether a record is in one of the event formats, and which. */
export function detectEventFormat(record: unknown): EventFormat | undefined {
  if (!isRecord(record)) return undefined;
  if (looksLikeOpenWebUI(record)) return 'open-webui';
  if (looksLikeEvent(record)) return 'rmlab-events';
  return undefined;
}

function unknownReason(): string {
  return (
    `not a feedback event: expected RM Lab's event record (${EVENT_REQUIRED_FIELDS.join(', ')}) ` +
    'or an Open WebUI feedback record (type "rating", data, meta, snapshot); map the log\'s fields otherwise'
  );
}

/**
 * The events of each record, in order. Open WebUI records add the ids of sibling messages once per
 * chat: a second feedback record on the same chat does not repeat them.
 */
export async function* readEvents(
  records: AsyncIterable<RecordLine> | Iterable<RecordLine>,
  options: ReadEventOptions = {},
): AsyncGenerator<EventLine> {
  let format: EventFormat | 'custom' | undefined = options.mapping ? 'custom' : options.format;
  const seen = new Set<string>();
  const lineOfId = new Map<string, number>();
  for await (const item of records) {
    const { line } = item;
    const where = (reason: string) => {
      if (item.index === undefined) return reason;
      const id =
        isRecord(item.record) && (typeof item.record.id === 'string' || typeof item.record.id === 'number')
          ? ` (id ${JSON.stringify(item.record.id)})`
          : '';
      return `record [${item.index}]${id}: ${reason}`;
    };
    const reject = (reason: string): EventLine => ({
      kind: 'rejected',
      rejected: { line, reason: where(reason), excerpt: clip(item.text, 120) },
    });
    const record = objectOrReason(item);
    if (typeof record === 'string') {
      yield reject(record);
      continue;
    }
    format ??= detectEventFormat(record);
    if (format === undefined) {
      yield reject(unknownReason());
      continue;
    }
    try {
      let events: FeedbackEvent[];
      if (format === 'open-webui') {
        if (!looksLikeOpenWebUI(record))
          throw new FormatError(
            'this record is not an Open WebUI feedback record (type "rating" with data and meta), but the file is an Open WebUI export',
          );
        events = openWebUIEvents(record, line).filter((e) => {
          if (!e.id.startsWith('owui:')) return true;
          if (seen.has(e.id)) return false; // a sibling already read from an earlier feedback record on the chat
          seen.add(e.id);
          return true;
        });
      } else {
        const fields = format === 'custom' ? applyEventMapping(record, options.mapping!) : record;
        events = [readEvent(fields, line)];
      }
      for (const event of events) {
        if (event.id.startsWith('owui:')) continue;
        const earlier = lineOfId.get(event.id);
        if (earlier !== undefined)
          throw new FormatError(`event id ${JSON.stringify(event.id)} repeats the event on line ${earlier}`);
      }
      for (const event of events) lineOfId.set(event.id, line);
      yield { kind: 'events', line, events, format };
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      yield reject(error.message);
    }
  }
}

/** One record of a feedback log's preview: its events in short, or why it would be rejected. */
export interface EventPreviewRow {
  line: number;
  events: { id: string; action: FeedbackAction; modelVersion?: string; response: string; value?: number }[];
  reason?: string;
}

/** What the first records of a feedback log become, for the import preview. */
export async function previewEvents(
  records: readonly RecordLine[],
  options: ReadEventOptions = {},
): Promise<EventPreviewRow[]> {
  const rows: EventPreviewRow[] = [];
  for await (const line of readEvents(records, options)) {
    if (line.kind === 'rejected') {
      rows.push({ line: line.rejected.line, events: [], reason: line.rejected.reason });
      continue;
    }
    rows.push({
      line: line.line,
      events: line.events.map((e) => ({
        id: e.id,
        action: e.action,
        ...(e.modelVersion !== undefined ? { modelVersion: e.modelVersion } : {}),
        response: clip(textOf(e.response), 200),
        ...(e.value !== undefined ? { value: e.value } : {}),
      })),
    });
  }
  return rows;
}
