// RM Lab's own record, one JSON object a line:
//   prompt, response_a, response_b, winner (response_a | response_b | tie | both_bad),
//   model_a_version, model_b_version, annotator_id, task_type, timestamp, margin, votes,
//   weight (a per-pair sample weight, > 0) and provenance (where a derived pair came from: a list of
//   {rule, events}), both written for pairs made from implicit feedback.
// It is the one format that can say everything a Pair holds, so exports and the bundled demo
// dataset are written in it, and reading it back must give the same pair.

import type { PairInput, PairProvenance, Text, Votes, Winner } from '../pair.ts';
import { FormatError } from './format-error.ts';
import {
  type JsonRecord,
  extraFields,
  isRecord,
  kindOf,
  readOptionalNumber,
  readOptionalString,
  readOptionalStringOrNumber,
  readText,
  shown,
} from './fields.ts';

export type RmlabWinner = 'response_a' | 'response_b' | 'tie' | 'both_bad';

/** The record as written to a file. Unknown fields of the source pair sit beside these. */
export interface RmlabRecord {
  prompt: Text;
  response_a: Text;
  response_b: Text;
  winner: RmlabWinner;
  model_a_version?: string;
  model_b_version?: string;
  annotator_id?: string;
  task_type?: string;
  timestamp?: string;
  margin?: number;
  votes?: Votes;
  weight?: number;
  provenance?: PairProvenance[];
  [extra: string]: unknown;
}

export const RMLAB_REQUIRED_FIELDS = ['prompt', 'response_a', 'response_b', 'winner'] as const;
export const RMLAB_OPTIONAL_FIELDS = [
  'model_a_version',
  'model_b_version',
  'annotator_id',
  'task_type',
  'timestamp',
  'margin',
  'votes',
  'weight',
  'provenance',
] as const;

const KNOWN = new Set<string>([...RMLAB_REQUIRED_FIELDS, ...RMLAB_OPTIONAL_FIELDS]);

// 'a' and 'b' are accepted too: they are what people write by hand.
const WINNER_OF: Record<string, Winner> = {
  response_a: 'a',
  response_b: 'b',
  tie: 'tie',
  both_bad: 'both_bad',
  a: 'a',
  b: 'b',
};

const RECORD_WINNER: Record<Winner, RmlabWinner> = {
  a: 'response_a',
  b: 'response_b',
  tie: 'tie',
  both_bad: 'both_bad',
};

const VOTE_KEYS = ['a', 'b', 'tie', 'both_bad'] as const;

function readWinner(record: JsonRecord): Winner {
  const value = record.winner;
  if (value === undefined) throw new FormatError('"winner" is missing');
  const winner = typeof value === 'string' && Object.hasOwn(WINNER_OF, value) ? WINNER_OF[value] : undefined;
  if (winner === undefined) {
    throw new FormatError(`"winner" must be one of response_a, response_b, tie, both_bad (got ${shown(value)})`);
  }
  return winner;
}

/** Several annotators' vote counts; a key left out counted no votes. */
function readVotes(record: JsonRecord): Votes | undefined {
  const value = record.votes;
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new FormatError(`"votes" must be an object like {"a": 2, "b": 1} (got ${kindOf(value)})`);
  const votes: Votes = { a: 0, b: 0, tie: 0, both_bad: 0 };
  for (const [key, count] of Object.entries(value)) {
    if (!(VOTE_KEYS as readonly string[]).includes(key)) {
      throw new FormatError(`"votes" may only have the keys a, b, tie, both_bad (got ${shown(key)})`);
    }
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new FormatError(`"votes.${key}" must be a whole number of votes, 0 or more (got ${shown(count)})`);
    }
    votes[key as keyof Votes] = count;
  }
  return votes;
}

function readWeight(record: JsonRecord): number | undefined {
  const weight = readOptionalNumber(record, 'weight');
  if (weight !== undefined && !(weight > 0)) throw new FormatError(`"weight" must be above 0 (got ${shown(weight)})`);
  return weight;
}

function readProvenance(record: JsonRecord): PairProvenance[] | undefined {
  const value = record.provenance;
  if (value === undefined || value === null) return undefined;
  const expected = '"provenance" must be a list of {"rule": "...", "events": ["event id", ...]}';
  if (!Array.isArray(value)) throw new FormatError(`${expected} (got ${kindOf(value)})`);
  return value.map((item, i) => {
    if (!isRecord(item) || typeof item.rule !== 'string' || !Array.isArray(item.events)) {
      throw new FormatError(`${expected} (item ${i + 1} is not)`);
    }
    if (!item.events.every((e) => typeof e === 'string'))
      throw new FormatError(`${expected} (item ${i + 1} has an id that is not a string)`);
    return { rule: item.rule, events: [...(item.events as string[])] };
  });
}

/** Reads one RM Lab record; throws FormatError naming the first field that is wrong. */
export function rmlabToPair(record: JsonRecord): PairInput {
  const pair: PairInput = {
    prompt: readText(record, 'prompt'),
    responseA: readText(record, 'response_a'),
    responseB: readText(record, 'response_b'),
    winner: readWinner(record),
  };
  const votes = readVotes(record);
  const margin = readOptionalNumber(record, 'margin');
  const modelA = readOptionalString(record, 'model_a_version');
  const modelB = readOptionalString(record, 'model_b_version');
  const annotatorId = readOptionalStringOrNumber(record, 'annotator_id');
  const taskType = readOptionalString(record, 'task_type');
  const timestamp = readOptionalStringOrNumber(record, 'timestamp');
  const weight = readWeight(record);
  const provenance = readProvenance(record);
  const extra = extraFields(record, KNOWN);
  // Absent fields are left out rather than set to undefined: stored pairs stay small and compare equal.
  if (votes !== undefined) pair.votes = votes;
  if (margin !== undefined) pair.margin = margin;
  if (modelA !== undefined) pair.modelA = modelA;
  if (modelB !== undefined) pair.modelB = modelB;
  if (annotatorId !== undefined) pair.annotatorId = annotatorId;
  if (taskType !== undefined) pair.taskType = taskType;
  if (timestamp !== undefined) pair.timestamp = timestamp;
  if (weight !== undefined) pair.weight = weight;
  if (provenance !== undefined) pair.provenance = provenance;
  if (extra !== undefined) pair.extra = extra;
  return pair;
}

/**
 * Writes a pair as an RM Lab record; rmlabToPair reads it back to the same pair. An extra field
 * named like one of RM Lab's own (possible only for a pair read from another format) would be read
 * back as that field, so it is written as "extra_<name>" instead.
 */
export function pairToRmlab(pair: PairInput): RmlabRecord {
  const extra = Object.entries(pair.extra ?? {}).map(([key, value]) => [KNOWN.has(key) ? `extra_${key}` : key, value]);
  const record: RmlabRecord = {
    ...Object.fromEntries(extra),
    prompt: pair.prompt,
    response_a: pair.responseA,
    response_b: pair.responseB,
    winner: RECORD_WINNER[pair.winner],
  };
  if (pair.modelA !== undefined) record.model_a_version = pair.modelA;
  if (pair.modelB !== undefined) record.model_b_version = pair.modelB;
  if (pair.annotatorId !== undefined) record.annotator_id = pair.annotatorId;
  if (pair.taskType !== undefined) record.task_type = pair.taskType;
  if (pair.timestamp !== undefined) record.timestamp = pair.timestamp;
  if (pair.margin !== undefined) record.margin = pair.margin;
  if (pair.votes !== undefined) record.votes = { ...pair.votes };
  if (pair.weight !== undefined) record.weight = pair.weight;
  if (pair.provenance !== undefined)
    record.provenance = pair.provenance.map((p) => ({ rule: p.rule, events: [...p.events] }));
  return record;
}
