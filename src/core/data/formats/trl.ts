// TRL (Hugging Face) preference data: `prompt`? + `chosen` + `rejected`, each a string ("standard")
// or a list of {role, content} messages ("conversational"), with an optional float `margin`.
// TRL has no ties: chosen becomes response A and wins.

import type { Message, PairInput } from '../pair.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, extraFields, readOptionalNumber, readText } from './fields.ts';

export const TRL_REQUIRED_FIELDS = ['chosen', 'rejected'] as const;
export const TRL_OPTIONAL_FIELDS = ['prompt', 'margin'] as const;

const KNOWN = new Set<string>([...TRL_REQUIRED_FIELDS, ...TRL_OPTIONAL_FIELDS]);

function sameMessage(x: Message, y: Message): boolean {
  return x.role === y.role && x.content === y.content;
}

/**
 * How many leading turns two conversations share: with an implicit prompt, that shared prefix is
 * the prompt. It stops one turn short of the shorter conversation so that each response keeps at
 * least its last turn, even when one transcript merely extends the other.
 */
function sharedPrefixLength(a: Message[], b: Message[]): number {
  const limit = Math.min(a.length, b.length) - 1;
  let n = 0;
  while (n < limit && sameMessage(a[n]!, b[n]!)) n++;
  return n;
}

export function trlToPair(record: JsonRecord): PairInput {
  const hasPrompt = record.prompt !== undefined && record.prompt !== null;
  const prompt = hasPrompt ? readText(record, 'prompt') : undefined;
  const chosen = readText(record, 'chosen');
  const rejected = readText(record, 'rejected');
  if ((typeof chosen === 'string') !== (typeof rejected === 'string')) {
    throw new FormatError('"chosen" and "rejected" must both be strings or both be lists of messages');
  }
  const margin = readOptionalNumber(record, 'margin');
  const extra = extraFields(record, KNOWN);

  let pair: PairInput;
  if (prompt !== undefined) {
    pair = { prompt, responseA: chosen, responseB: rejected, winner: 'a' };
  } else if (typeof chosen === 'string' || typeof rejected === 'string') {
    // Plain transcripts (HH-RLHF style) have no reliable turn markers: keep them whole.
    pair = { prompt: '', responseA: chosen, responseB: rejected, winner: 'a' };
  } else {
    const n = sharedPrefixLength(chosen, rejected);
    pair = { prompt: chosen.slice(0, n), responseA: chosen.slice(n), responseB: rejected.slice(n), winner: 'a' };
  }
  if (margin !== undefined) pair.margin = margin;
  if (extra !== undefined) pair.extra = extra;
  return pair;
}
