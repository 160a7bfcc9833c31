// Anthropic HH-RLHF (Anthropic/hh-rlhf): `chosen` and `rejected`, each a whole transcript
//   "\n\nHuman: ...\n\nAssistant: ...\n\nHuman: ...\n\nAssistant: ..."
// that share every turn but the last. The shared turns become the prompt (as messages, roles
// user/assistant) and each final assistant turn a response; chosen is response A and wins.
//
// Its fields are TRL's (chosen + rejected strings): the format is told apart by the turn markers
// in the values, see isHhTranscript.

import type { Message, PairInput } from '../pair.ts';
import { splitConversations } from './conversation.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, extraFields, readString } from './fields.ts';

export const HH_REQUIRED_FIELDS = ['chosen', 'rejected'] as const;
export const HH_OPTIONAL_FIELDS = [] as const;

const KNOWN = new Set<string>(HH_REQUIRED_FIELDS);

/** A turn marker: a blank line, then the speaker. The space after the colon is the marker's. */
const MARKER = /\n\n(Human|Assistant):[ ]?/g;
/** Transcripts that lost their leading blank line start with the speaker. */
const LEADING_SPEAKER = /^\s*(?=(?:Human|Assistant):)/;

const ROLE: Record<string, string> = { Human: 'user', Assistant: 'assistant' };

/** Whether a value is an HH transcript: it has a Human turn and, after a blank line, an Assistant turn. */
export function isHhTranscript(value: unknown): boolean {
  return typeof value === 'string' && /(?:^\s*|\n\n)Human:/.test(value) && value.includes('\n\nAssistant:');
}

/** The record looks like HH-RLHF: chosen and rejected are transcripts, and there is no prompt column. */
export function looksLikeHh(record: JsonRecord): boolean {
  return (
    (record.prompt === undefined || record.prompt === null) &&
    isHhTranscript(record.chosen) &&
    isHhTranscript(record.rejected)
  );
}

/** "\n\nHuman: Hi\n\nAssistant: Hello" -> [{user, "Hi"}, {assistant, "Hello"}]. */
export function readTranscript(record: JsonRecord, field: string): Message[] {
  const raw = readString(record, field);
  const text = LEADING_SPEAKER.test(raw) ? `\n\n${raw.replace(LEADING_SPEAKER, '')}` : raw;
  const markers = [...text.matchAll(MARKER)];
  const first = markers[0];
  if (first === undefined) {
    throw new FormatError(`"${field}" must be a transcript of "Human:" and "Assistant:" turns (it has none)`);
  }
  if (text.slice(0, first.index).trim() !== '') {
    throw new FormatError(
      `"${field}" must be a transcript of "Human:" and "Assistant:" turns (it has text before the first turn)`,
    );
  }
  return markers.map((marker, i) => {
    const start = marker.index + marker[0].length;
    const end = markers[i + 1]?.index ?? text.length;
    return { role: ROLE[marker[1]!]!, content: text.slice(start, end) };
  });
}

export function hhToPair(record: JsonRecord): PairInput {
  const chosen = readTranscript(record, 'chosen');
  const rejected = readTranscript(record, 'rejected');
  const extra = extraFields(record, KNOWN);
  const pair: PairInput = { ...splitConversations(chosen, rejected), winner: 'a' };
  if (extra !== undefined) pair.extra = extra;
  return pair;
}
