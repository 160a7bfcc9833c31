// Open WebUI's feedback export (Admin > Evaluations > Export), a JSON array of records:
//   { id, user_id, version, type: "rating", created_at (epoch seconds), updated_at,
//     data: { rating: 1 | -1, model_id, sibling_model_ids, reason, comment, details: { rating: 1-10 } },
//     meta: { arena, chat_id, message_id, tags },
//     snapshot: { chat: { id, title, chat: { history: { messages: { <id>: { id, parentId, childrenIds,
//       role, content, model, timestamp } }, currentId }, messages: [...] } } } }
// One record becomes these events:
// - the rated message: thumbs_up (rating 1) or thumbs_down (-1), and a "rating" event with
//   data.details.rating when the user gave one (1-10);
// - each sibling of the rated message (another assistant answer to the same user message: a
//   regeneration, or another model in an arena battle): "regenerate" when it is off the chat's current
//   path (the user moved on from it), "follow_up" when the chat went on from it. Their ids are the
//   chat's and message's, so two feedback records on one chat do not count a sibling twice.
// The prompt is the conversation up to the rated message (the user message alone when it is the first
// turn); the siblings share it, so they are one sibling group.
import type { Message, Text } from '../pair.ts';
import { FormatError } from '../formats/format-error.ts';
import { type JsonRecord, isRecord, kindOf, shown } from '../formats/fields.ts';
import { type FeedbackEvent, parseTimestamp } from './events.ts';

/** Whether a record looks like one of Open WebUI's feedback records. */
export function looksLikeOpenWebUI(record: JsonRecord): boolean {
  return record.type === 'rating' && isRecord(record.data) && (isRecord(record.meta) || isRecord(record.snapshot));
}

interface HistoryMessage {
  id: string;
  parentId: string | null;
  childrenIds: string[];
  role: string;
  content: string;
  model?: string;
}

function field(record: JsonRecord, path: string): unknown {
  let value: unknown = record;
  for (const key of path.split('.')) {
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  return value;
}

function need<T>(value: unknown, path: string, ok: (v: unknown) => v is T, expected: string): T {
  if (value === undefined || value === null) throw new FormatError(`"${path}" is missing`);
  if (!ok(value)) throw new FormatError(`"${path}" must be ${expected} (got ${kindOf(value)})`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isId = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';

function readMessage(messages: JsonRecord, id: string): HistoryMessage {
  const path = `snapshot.chat.chat.history.messages.${id}`;
  const m = messages[id];
  if (!isRecord(m)) throw new FormatError(`message "${id}" is not in snapshot.chat.chat.history.messages`);
  const parent = m.parentId;
  if (parent !== null && parent !== undefined && typeof parent !== 'string') {
    throw new FormatError(`"${path}.parentId" must be a string or null (got ${kindOf(parent)})`);
  }
  const children = m.childrenIds ?? [];
  if (!Array.isArray(children) || !children.every(isString)) {
    throw new FormatError(`"${path}.childrenIds" must be a list of message ids`);
  }
  const content = need(m.content, `${path}.content`, isString, 'a string');
  return {
    id,
    parentId: parent ?? null,
    childrenIds: children,
    role: need(m.role, `${path}.role`, isString, 'a string'),
    content,
    ...(typeof m.model === 'string' ? { model: m.model } : {}),
  };
}

/** The messages from the first one down to `id`, following parentId (guarding against cycles). */
function pathTo(messages: JsonRecord, id: string): HistoryMessage[] {
  const out: HistoryMessage[] = [];
  const seen = new Set<string>();
  let at: string | null = id;
  while (at !== null) {
    if (seen.has(at)) throw new FormatError(`the message history has a cycle at message "${at}"`);
    seen.add(at);
    const m = readMessage(messages, at);
    out.unshift(m);
    at = m.parentId;
  }
  return out;
}

/** The rated message of a feedback record, its chat's messages and the prompt it answered. */
interface Rated {
  feedbackId: string;
  thumbsUp: boolean;
  chatId: string;
  messages: JsonRecord;
  message: HistoryMessage & { parentId: string };
  prompt: Text;
}

function readRated(record: JsonRecord): Rated {
  if (record.type !== 'rating') throw new FormatError(`"type" must be "rating" (got ${shown(record.type)})`);
  const feedbackId = String(need(record.id, 'id', isId, 'a string'));
  const rating = field(record, 'data.rating');
  if (rating !== 1 && rating !== -1 && rating !== '1' && rating !== '-1') {
    throw new FormatError(`"data.rating" must be 1 or -1 (got ${shown(rating)})`);
  }
  const messageId = need(field(record, 'meta.message_id'), 'meta.message_id', isString, 'a string');
  const chatId = String(
    need(field(record, 'meta.chat_id') ?? field(record, 'snapshot.chat.id'), 'meta.chat_id', isId, 'a string'),
  );
  const messages = need(
    field(record, 'snapshot.chat.chat.history.messages'),
    'snapshot.chat.chat.history.messages',
    isRecord,
    'an object of messages by id',
  );
  const message = readMessage(messages, messageId);
  if (message.role !== 'assistant')
    throw new FormatError(`the rated message "${messageId}" is a ${shown(message.role)} message, not the assistant's`);
  if (message.parentId === null)
    throw new FormatError(`the rated message "${messageId}" has no parent user message: there is no prompt`);
  if (message.content.trim() === '') throw new FormatError(`the rated message "${messageId}" is empty`);
  const turns = pathTo(messages, message.parentId);
  if (turns.every((m) => m.content.trim() === '')) throw new FormatError('the prompt is empty');
  const prompt: Text =
    turns.length === 1 && turns[0]!.role === 'user'
      ? turns[0]!.content
      : turns.map((m): Message => ({ role: m.role, content: m.content }));
  return {
    feedbackId,
    thumbsUp: Number(rating) === 1,
    chatId,
    messages,
    message: message as HistoryMessage & { parentId: string },
    prompt,
  };
}

/** What a record says beyond the rating, kept with its event: the arena flag, the reason, comment and tags. */
function extraOf(record: JsonRecord, feedbackId: string): Record<string, unknown> {
  const meta = isRecord(record.meta) ? record.meta : {};
  const extra: Record<string, unknown> = { source: 'open-webui', feedback_id: feedbackId };
  if (meta.arena === true) extra.arena = true;
  for (const key of ['reason', 'comment'] as const) {
    const v = field(record, `data.${key}`);
    if (typeof v === 'string' && v !== '') extra[key] = v;
  }
  if (Array.isArray(meta.tags) && meta.tags.length > 0) extra.tags = meta.tags;
  return extra;
}

/** The ids of the messages on the chat's current path (what the user last saw and went on from). */
function currentPath(record: JsonRecord, messages: JsonRecord): Set<string> {
  const current = field(record, 'snapshot.chat.chat.history.currentId');
  if (typeof current !== 'string' || !isRecord(messages[current])) return new Set();
  return new Set(pathTo(messages, current).map((m) => m.id));
}

/**
 * The events of one feedback record. Throws FormatError naming the field that does not fit; the
 * reader adds which record (element index and feedback id) it was.
 */
export function openWebUIEvents(record: JsonRecord, line: number): FeedbackEvent[] {
  const { feedbackId, thumbsUp, chatId, messages, message: rated, prompt } = readRated(record);
  const createdAt = record.created_at;
  const time =
    typeof createdAt === 'number' || typeof createdAt === 'string'
      ? parseTimestamp(createdAt, 'created_at')
      : undefined;
  const common = {
    line,
    prompt,
    siblingGroup: `owui:${chatId}:${rated.parentId}`,
    conversationId: chatId,
    ...(time === undefined ? {} : { time, timestamp: new Date(time).toISOString() }),
    ...(typeof record.user_id === 'string' ? { userId: record.user_id } : {}),
  };
  const about = (m: HistoryMessage) => {
    const model = m.model ?? (m.id === rated.id ? modelIdOf(record) : undefined);
    return {
      ...common,
      response: m.content,
      responseId: `owui:${chatId}:${m.id}`,
      ...(model !== undefined ? { modelVersion: model } : {}),
    };
  };
  const events: FeedbackEvent[] = [
    {
      ...about(rated),
      id: feedbackId,
      action: thumbsUp ? 'thumbs_up' : 'thumbs_down',
      extra: extraOf(record, feedbackId),
    },
  ];
  const details = field(record, 'data.details.rating');
  if (details !== undefined && details !== null) {
    if (typeof details !== 'number' || !Number.isFinite(details)) {
      throw new FormatError(`"data.details.rating" must be a number from 1 to 10 (got ${shown(details)})`);
    }
    events.push({ ...about(rated), id: `${feedbackId}:details`, action: 'rating', value: details });
  }
  // Each answer under the same user message, the rated one included when there are several: kept
  // (on the current path) or left for another (regenerated).
  const siblings = readMessage(messages, rated.parentId).childrenIds;
  const onPath = currentPath(record, messages);
  for (const id of siblings.length > 1 ? siblings : []) {
    const answer = readMessage(messages, id);
    if (answer.role !== 'assistant' || answer.content.trim() === '') continue;
    const action = onPath.has(id) ? 'follow_up' : 'regenerate';
    events.push({ ...about(answer), id: `owui:${chatId}:${id}:${action}`, action });
  }
  return events;
}

function modelIdOf(record: JsonRecord): string | undefined {
  const id = field(record, 'data.model_id');
  return typeof id === 'string' ? id : undefined;
}
