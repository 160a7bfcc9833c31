// UltraFeedback binarized (HuggingFaceH4/ultrafeedback_binarized):
//   prompt, prompt_id, chosen, rejected, messages, score_chosen, score_rejected
// chosen and rejected are conversations ([user prompt, assistant answer]) whose last message is
// the response; chosen is response A and wins. The GPT-4 scores are kept in extra as they are: a
// score gap is not a human preference strength, so no margin is made from them.

import type { Message, PairInput, Text } from '../pair.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, extraFields, readMessages, readString } from './fields.ts';

export const ULTRAFEEDBACK_REQUIRED_FIELDS = [
  'prompt',
  'chosen',
  'rejected',
  'score_chosen',
  'score_rejected',
] as const;
export const ULTRAFEEDBACK_OPTIONAL_FIELDS = ['prompt_id', 'messages'] as const;

// prompt_id, messages and the scores are not read into a Pair field, so they stay in extra.
const KNOWN = new Set<string>(['prompt', 'chosen', 'rejected']);

function sameTurns(a: readonly Message[], b: readonly Message[]): boolean {
  return a.length === b.length && a.every((m, i) => m.role === b[i]!.role && m.content === b[i]!.content);
}

/** The conversation's last message, which must be the assistant's answer. */
function lastAnswer(turns: Message[], field: string): string {
  const last = turns.at(-1);
  if (last === undefined) throw new FormatError(`"${field}" must not be an empty list of messages`);
  if (last.role !== 'assistant') {
    throw new FormatError(
      `"${field}" must end with the assistant's message (its last message has role ${JSON.stringify(last.role)})`,
    );
  }
  return last.content;
}

export function ultrafeedbackToPair(record: JsonRecord): PairInput {
  const promptText = readString(record, 'prompt');
  const chosen = readMessages(record, 'chosen');
  const rejected = readMessages(record, 'rejected');
  const responseA = lastAnswer(chosen, 'chosen');
  const responseB = lastAnswer(rejected, 'rejected');
  const before = chosen.slice(0, -1);
  if (!sameTurns(before, rejected.slice(0, -1))) {
    throw new FormatError('"chosen" and "rejected" must have the same messages before their last one');
  }
  // The usual row is [user prompt, answer]: the prompt column says the same, as plain text. A
  // conversation with more before the answer (a system message, earlier turns) is kept as turns,
  // and the prompt column then goes to extra.
  const [first] = before;
  const single = before.length === 0 || (before.length === 1 && first?.role === 'user' && first.content === promptText);
  const prompt: Text = single ? promptText : before;
  const extra = extraFields(record, single ? KNOWN : new Set(['chosen', 'rejected']));
  const pair: PairInput = { prompt, responseA, responseB, winner: 'a' };
  if (extra !== undefined) pair.extra = extra;
  return pair;
}
