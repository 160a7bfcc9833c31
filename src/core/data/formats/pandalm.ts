// PandaLM's human-annotated test set (WeOpenML/PandaLM, data/testset-v1.json): one row per
// comparison of two models' responses to an instruction, judged by three annotators.
//   idx, motivation_app, cmp_key ("modelA_modelB"), instruction, input, response1, response2,
//   annotator1..annotator3: 1 = response1 better, 2 = response2 better, 0 = tie.
// The published file writes idx and the annotators as JSON numbers although its description says
// strings, so both are accepted.

import type { PairInput, Votes, Winner } from '../pair.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, extraFields, kindOf, readOptionalString, readString, shown } from './fields.ts';

export const PANDALM_REQUIRED_FIELDS = ['instruction', 'response1', 'response2', 'annotator1'] as const;
export const PANDALM_OPTIONAL_FIELDS = ['input', 'cmp_key', 'motivation_app', 'annotator2', 'annotator3'] as const;

/** Annotator columns: annotator1, annotator2, ... however many a file has. */
const ANNOTATOR = /^annotator[0-9]+$/;

// idx is not read into a Pair field (a Pair's id is the store's), so it stays in extra.
const KNOWN = new Set<string>(['instruction', 'input', 'response1', 'response2', 'cmp_key', 'motivation_app']);

const VOTE_OF: Record<string, keyof Votes> = { '0': 'tie', '1': 'a', '2': 'b' };

/**
 * A response. In the published file six responses are the JSON value true (a model answered
 * "True" and something upstream parsed it); they are kept as text rather than losing the row.
 */
function readResponse(record: JsonRecord, field: string): string {
  const value = record[field];
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  return readString(record, field);
}

function readVotes(record: JsonRecord): Votes {
  const votes: Votes = { a: 0, b: 0, tie: 0, both_bad: 0 };
  let annotators = 0;
  for (const [field, value] of Object.entries(record)) {
    if (!ANNOTATOR.test(field)) continue;
    const key = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
    const vote = Object.hasOwn(VOTE_OF, key) ? VOTE_OF[key] : undefined;
    if (vote === undefined)
      throw new FormatError(`"${field}" must be "0" (tie), "1" (response1) or "2" (response2) (got ${shown(value)})`);
    votes[vote]++;
    annotators++;
  }
  if (annotators === 0) throw new FormatError('"annotator1" is missing');
  return votes;
}

/** The label the annotators agree on by strict majority; without one the pair counts as a tie. */
function majority(votes: Votes): Winner {
  const total = votes.a + votes.b + votes.tie + votes.both_bad;
  if (votes.a * 2 > total) return 'a';
  if (votes.b * 2 > total) return 'b';
  return 'tie';
}

/** "bloom-7b_llama-7b" -> ["bloom-7b", "llama-7b"]: names may contain "-" and ".", never "_". */
function readModels(record: JsonRecord): [string, string] | undefined {
  const key = readOptionalString(record, 'cmp_key');
  if (key === undefined) return undefined;
  const parts = key.split('_');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new FormatError(`"cmp_key" must be two model names joined by one "_" (got ${shown(key)})`);
  }
  return [parts[0]!, parts[1]!];
}

export function pandalmToPair(record: JsonRecord): PairInput {
  const instruction = readString(record, 'instruction');
  const input = readOptionalString(record, 'input');
  const responseA = readResponse(record, 'response1');
  const responseB = readResponse(record, 'response2');
  const votes = readVotes(record);
  const models = readModels(record);
  const taskType = readOptionalString(record, 'motivation_app');
  const extra = Object.fromEntries(
    Object.entries(extraFields(record, KNOWN) ?? {}).filter(([field]) => !ANNOTATOR.test(field)),
  );
  if (record.idx !== undefined && typeof record.idx !== 'string' && typeof record.idx !== 'number') {
    throw new FormatError(`"idx" must be a string or a number (got ${kindOf(record.idx)})`);
  }

  const pair: PairInput = {
    // The input is the material the instruction works on (a sentence to rewrite, a review to rate).
    prompt: input ? `${instruction}\n\n${input}` : instruction,
    responseA,
    responseB,
    winner: majority(votes),
    votes,
  };
  if (models !== undefined) [pair.modelA, pair.modelB] = models;
  if (taskType !== undefined) pair.taskType = taskType;
  if (Object.keys(extra).length > 0) pair.extra = extra;
  return pair;
}
