// Chatbot Arena conversations (lmsys/chatbot_arena_conversations):
//   question_id, model_a, model_b, winner (model_a | model_b | tie | tie (bothbad)), judge,
//   conversation_a, conversation_b (lists of {role, content}), turn, anony, language, tstamp,
//   openai_moderation, toxic_chat_tag
// Both conversations start with the same user turn: the shared turns are the prompt and the rest
// of each conversation its response. tstamp (Unix seconds) becomes an ISO timestamp.

import type { PairInput, Winner } from '../pair.ts';
import { splitConversations } from './conversation.ts';
import { FormatError } from './format-error.ts';
import {
  type JsonRecord,
  extraFields,
  readMessages,
  readOptionalString,
  readOptionalStringOrNumber,
  shown,
} from './fields.ts';

export const ARENA_REQUIRED_FIELDS = ['conversation_a', 'conversation_b', 'winner'] as const;
export const ARENA_OPTIONAL_FIELDS = ['model_a', 'model_b', 'judge', 'tstamp', 'question_id', 'language'] as const;

const KNOWN = new Set<string>(['conversation_a', 'conversation_b', 'winner', 'model_a', 'model_b', 'judge', 'tstamp']);

const WINNER_OF: Record<string, Winner> = {
  model_a: 'a',
  model_b: 'b',
  tie: 'tie',
  'tie (bothbad)': 'both_bad',
};

function readWinner(record: JsonRecord): Winner {
  const value = record.winner;
  if (value === undefined) throw new FormatError('"winner" is missing');
  const winner = typeof value === 'string' && Object.hasOwn(WINNER_OF, value) ? WINNER_OF[value] : undefined;
  if (winner === undefined) {
    throw new FormatError(`"winner" must be one of model_a, model_b, tie, tie (bothbad) (got ${shown(value)})`);
  }
  return winner;
}

/** Unix seconds (a number, or its text in a CSV cell) -> ISO 8601; other text is kept as written. */
export function timestampOf(record: JsonRecord, field: string): string | undefined {
  const value = readOptionalStringOrNumber(record, field);
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds)) return value;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime()))
    throw new FormatError(`"${field}" is not a time RM Lab can read (got ${shown(value)})`);
  return date.toISOString();
}

export function arenaToPair(record: JsonRecord): PairInput {
  const a = readMessages(record, 'conversation_a');
  const b = readMessages(record, 'conversation_b');
  if (a.length === 0 || b.length === 0) {
    throw new FormatError(
      `"${a.length === 0 ? 'conversation_a' : 'conversation_b'}" must not be an empty conversation`,
    );
  }
  const winner = readWinner(record);
  const modelA = readOptionalString(record, 'model_a');
  const modelB = readOptionalString(record, 'model_b');
  const annotatorId = readOptionalStringOrNumber(record, 'judge');
  const timestamp = timestampOf(record, 'tstamp');
  const extra = extraFields(record, KNOWN);
  const pair: PairInput = { ...splitConversations(a, b), winner };
  if (modelA !== undefined) pair.modelA = modelA;
  if (modelB !== undefined) pair.modelB = modelB;
  if (annotatorId !== undefined) pair.annotatorId = annotatorId;
  if (timestamp !== undefined) pair.timestamp = timestamp;
  if (extra !== undefined) pair.extra = extra;
  return pair;
}
