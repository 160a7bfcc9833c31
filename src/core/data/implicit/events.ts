// What users did with a model's responses: one feedback event per action, the unit every implicit
// feedback source (RM Lab's event log, Open WebUI's export, a mapped CSV/JSONL log) is read into,
// and RM Lab's own event-log record. Rules (rules/) turn events into weighted preference pairs.
//
// RM Lab's event-log record, one JSON object a line (or a CSV row):
//   event_id         the event's id (default: "line-N"), named in every pair's provenance
//   conversation_id  the conversation or session (alias session_id): responses to the same prompt in
//                    the same conversation are siblings (regenerations, arena battles)
//   user_id          optional; the import can drop or hash it
//   timestamp        ISO 8601, or epoch seconds / milliseconds
//   prompt           the prompt, or the conversation so far as {role, content} messages
//   response         the model's full response
//   response_id      optional: which response the event is about (default: conversation + prompt + text)
//   model_version    the model (version) that wrote the response
//   task_type        optional
//   action           thumbs_up | thumbs_down | rating | copy | edit | regenerate | follow_up
//   value            the rating, for action "rating" (any finite number; higher is better)
//   edited_text      the user's edited response, for action "edit"
import type { Text } from '../pair.ts';
import { FormatError } from '../formats/format-error.ts';
import {
  type JsonRecord,
  extraFields,
  kindOf,
  readOptionalNumber,
  readOptionalString,
  readOptionalStringOrNumber,
  readText,
  shown,
} from '../formats/fields.ts';
import { textOf } from '../pair.ts';

export const ACTIONS = ['thumbs_up', 'thumbs_down', 'rating', 'copy', 'edit', 'regenerate', 'follow_up'] as const;
export type FeedbackAction = (typeof ACTIONS)[number];

export interface FeedbackEvent {
  id: string;
  /** 1-based line (or JSON element's first line) of the source file. */
  line: number;
  action: FeedbackAction;
  prompt: Text;
  response: Text;
  /** Identifies the response: events about the same response share it. */
  responseId: string;
  /** Responses sharing it answer the same prompt in the same conversation: regenerations, arena siblings. */
  siblingGroup: string;
  conversationId?: string;
  userId?: string;
  /** As the source wrote it. */
  timestamp?: string;
  /** Milliseconds since the epoch, from `timestamp`. */
  time?: number;
  modelVersion?: string;
  taskType?: string;
  /** A rating's value (higher is better). */
  value?: number;
  /** The user's edit of the response (action "edit"). */
  editedText?: string;
  /** Fields the log has that RM Lab does not read, kept verbatim. */
  extra?: Record<string, unknown>;
}

export const EVENT_REQUIRED_FIELDS = ['prompt', 'response', 'action'] as const;
export const EVENT_OPTIONAL_FIELDS = [
  'event_id',
  'conversation_id',
  'session_id',
  'user_id',
  'timestamp',
  'response_id',
  'model_version',
  'task_type',
  'value',
  'edited_text',
] as const;
const KNOWN = new Set<string>([...EVENT_REQUIRED_FIELDS, ...EVENT_OPTIONAL_FIELDS]);

/**
 * Whether a record looks like RM Lab's event-log record: an action with a prompt or a response (a
 * record missing one of them is an event to reject with that reason, not an unknown record).
 */
export function looksLikeEvent(record: JsonRecord): boolean {
  return Object.hasOwn(record, 'action') && (Object.hasOwn(record, 'prompt') || Object.hasOwn(record, 'response'));
}

/**
 * A timestamp as milliseconds since the epoch: ISO 8601 text (or anything Date.parse reads), or a
 * number of epoch seconds (below 1e11, i.e. before the year 5138) or milliseconds. Throws when it
 * does not parse, rather than guessing.
 */
export function parseTimestamp(value: string | number, field = 'timestamp'): number {
  if (typeof value === 'number' || /^\s*\d+(\.\d+)?\s*$/.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n) && n >= 0) return n < 1e11 ? n * 1000 : n;
  } else {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new FormatError(
    `"${field}" does not parse as a date and time (got ${shown(value)}): use ISO 8601 or epoch seconds`,
  );
}

function readAction(record: JsonRecord): FeedbackAction {
  const value = record.action;
  if (typeof value !== 'string') throw new FormatError(`"action" must be a string (got ${kindOf(value)})`);
  const action = value.trim().toLowerCase().replace(/[-\s]/g, '_');
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new FormatError(`unknown action ${shown(value)}: expected one of ${ACTIONS.join(', ')}`);
  }
  return action as FeedbackAction;
}

function requireContent(text: Text, field: string): Text {
  if (textOf(text).trim() === '') throw new FormatError(`"${field}" is empty`);
  return text;
}

/** The key of a text for grouping: the same text gives the same key. */
export function textKey(text: Text): string {
  return typeof text === 'string' ? text : JSON.stringify(text.map((m) => [m.role, m.content]));
}

/** Reads one record of RM Lab's event log; throws FormatError naming the field and the reason. */
export function readEvent(record: JsonRecord, line: number): FeedbackEvent {
  const prompt = requireContent(readText(record, 'prompt'), 'prompt');
  const response = requireContent(readText(record, 'response'), 'response');
  const action = readAction(record);
  const id = readOptionalStringOrNumber(record, 'event_id') ?? `line-${line}`;
  const conversationId =
    readOptionalStringOrNumber(record, 'conversation_id') ?? readOptionalStringOrNumber(record, 'session_id');
  const timestamp = readOptionalStringOrNumber(record, 'timestamp');
  const rawTime = record.timestamp;
  const time = timestamp === undefined ? undefined : parseTimestamp(typeof rawTime === 'number' ? rawTime : timestamp);
  const event: FeedbackEvent = {
    id,
    line,
    action,
    prompt,
    response,
    responseId: '',
    siblingGroup: siblingGroupOf(conversationId, prompt),
  };
  event.responseId =
    readOptionalStringOrNumber(record, 'response_id') ?? `${event.siblingGroup}\u0000${textKey(response)}`;
  if (conversationId !== undefined) event.conversationId = conversationId;
  const userId = readOptionalStringOrNumber(record, 'user_id');
  if (userId !== undefined) event.userId = userId;
  if (timestamp !== undefined) {
    event.timestamp = timestamp;
    event.time = time;
  }
  const modelVersion = readOptionalString(record, 'model_version');
  if (modelVersion !== undefined) event.modelVersion = modelVersion;
  const taskType = readOptionalString(record, 'task_type');
  if (taskType !== undefined) event.taskType = taskType;
  const value = readOptionalNumber(record, 'value');
  if (action === 'rating') {
    if (value === undefined) throw new FormatError('a "rating" event needs a numeric "value"');
    event.value = value;
  } else if (value !== undefined) event.value = value;
  const edited = readOptionalString(record, 'edited_text');
  if (action === 'edit') {
    if (edited === undefined || edited.trim() === '') throw new FormatError('an "edit" event needs "edited_text"');
    if (edited.trim() === textOf(response).trim()) {
      throw new FormatError('"edited_text" is identical to the response: the edit changed nothing');
    }
    event.editedText = edited;
  } else if (edited !== undefined) event.editedText = edited;
  const extra = extraFields(record, KNOWN);
  if (extra !== undefined) event.extra = extra;
  return event;
}

/** Responses to the same prompt in the same conversation are siblings; without a conversation, the prompt alone. */
export function siblingGroupOf(conversationId: string | undefined, prompt: Text): string {
  return `${conversationId ?? ''}\u0000${textKey(prompt)}`;
}
