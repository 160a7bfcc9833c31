// TRL (Hugging Face) preference data: `prompt`? + `chosen` + `rejected`, each a string ("standard")
// or a list of {role, content} messages ("conversational"), with an optional float `margin`.
// TRL has no ties: chosen becomes response A and wins.

import type { Message, PairInput, Text } from '../pair.ts';
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

/** A TRL preference record as written to a file; the pair's extra fields sit beside these. */
export interface TrlRecord {
  prompt?: Text;
  chosen: Text;
  rejected: Text;
  margin?: number;
  [extra: string]: unknown;
}

/** A turn list for a conversational record: text becomes one turn of the given role. */
function asMessages(text: Text, role: string): Message[] {
  return typeof text === 'string' ? [{ role, content: text }] : text.map((m) => ({ ...m }));
}

/**
 * Writes a decisive pair as a TRL record: the winner's response is chosen. Ties and both-bad
 * pairs have no chosen response and give undefined (the export counts them as skipped). When the
 * prompt and both responses are text the record is "standard" (an empty prompt is left out, as
 * TRL's implicit prompt); otherwise it is "conversational" throughout, as TRL requires: text
 * becomes one user turn (prompt) or one assistant turn (response). The pair's extra fields are
 * kept beside it, one named like a TRL field as "extra_<name>"; RM Lab's own metadata (models,
 * annotator, votes) has no TRL column and is not written.
 */
export function pairToTrl(pair: PairInput): TrlRecord | undefined {
  if (pair.winner !== 'a' && pair.winner !== 'b') return undefined;
  const [chosen, rejected] = pair.winner === 'a' ? [pair.responseA, pair.responseB] : [pair.responseB, pair.responseA];
  const extra = Object.entries(pair.extra ?? {}).map(([key, value]) => [KNOWN.has(key) ? `extra_${key}` : key, value]);
  const standard = typeof pair.prompt === 'string' && typeof chosen === 'string' && typeof rejected === 'string';
  const own: [string, unknown][] = [];
  if (pair.prompt !== '') own.push(['prompt', standard ? pair.prompt : asMessages(pair.prompt, 'user')]);
  own.push(['chosen', standard ? chosen : asMessages(chosen, 'assistant')]);
  own.push(['rejected', standard ? rejected : asMessages(rejected, 'assistant')]);
  if (pair.margin !== undefined) own.push(['margin', pair.margin]);
  return Object.fromEntries([...extra, ...own]) as TrlRecord;
}
