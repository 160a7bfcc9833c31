// LMSYS Arena human preference 55k (lmsys/lmsys-arena-human-preference-55k, the Kaggle
// competition's train.csv):
//   id, model_a, model_b, prompt, response_a, response_b, winner_model_a, winner_model_b, winner_tie
// prompt, response_a and response_b each hold a JSON-encoded list of strings, one per turn
// ("[\"Hi\",\"And now?\"]"); a response turn the model never gave is null. The three winner
// columns are 0/1 with exactly one 1. The turns become two conversations, split like Chatbot
// Arena's: the shared turns are the prompt.
//
// response_a / response_b are also RM Lab's field names: the table tries this format first and
// tells it apart by winner_model_a.

import type { Message, PairInput, Winner } from '../pair.ts';
import { splitConversations } from './conversation.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, extraFields, kindOf, readLabel, readOptionalString, shown } from './fields.ts';

export const ARENA55K_REQUIRED_FIELDS = [
  'prompt',
  'response_a',
  'response_b',
  'winner_model_a',
  'winner_model_b',
  'winner_tie',
] as const;
export const ARENA55K_OPTIONAL_FIELDS = ['id', 'model_a', 'model_b'] as const;

const KNOWN = new Set<string>([...ARENA55K_REQUIRED_FIELDS, 'model_a', 'model_b']);

const WINNERS = [
  ['winner_model_a', 'a'],
  ['winner_model_b', 'b'],
  ['winner_tie', 'tie'],
] as const satisfies readonly (readonly [string, Winner])[];

/** A JSON-encoded list of turns; null turns (no answer) become empty text. */
function readTurns(record: JsonRecord, field: string): string[] {
  const value = record[field];
  if (value === undefined) throw new FormatError(`"${field}" is missing`);
  const expected = `"${field}" must be a JSON list of strings, one per turn`;
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      throw new FormatError(`${expected} (got ${shown(value)})`);
    }
  }
  if (!Array.isArray(list)) throw new FormatError(`${expected} (got ${kindOf(list)})`);
  if (list.length === 0) throw new FormatError(`${expected} (got an empty list)`);
  return list.map((turn, i) => {
    if (turn === null) return '';
    if (typeof turn !== 'string') throw new FormatError(`${expected} (turn ${i + 1} is ${kindOf(turn)})`);
    return turn;
  });
}

function readWinner(record: JsonRecord): Winner {
  const set = WINNERS.filter(([field]) => {
    const label = readLabel(record, field);
    if (label !== '0' && label !== '1')
      throw new FormatError(`"${field}" must be 0 or 1 (got ${shown(record[field])})`);
    return label === '1';
  });
  const [only] = set;
  if (set.length !== 1 || only === undefined) {
    throw new FormatError(`exactly one of winner_model_a, winner_model_b, winner_tie must be 1 (${set.length} are)`);
  }
  return only[1];
}

function conversation(prompts: string[], responses: string[]): Message[] {
  return prompts.flatMap((content, i) => [
    { role: 'user', content },
    { role: 'assistant', content: responses[i]! },
  ]);
}

export function arena55kToPair(record: JsonRecord): PairInput {
  const prompts = readTurns(record, 'prompt');
  const a = readTurns(record, 'response_a');
  const b = readTurns(record, 'response_b');
  for (const [field, turns] of [
    ['response_a', a],
    ['response_b', b],
  ] as const) {
    if (turns.length !== prompts.length) {
      throw new FormatError(`"${field}" has ${turns.length} turns but "prompt" has ${prompts.length}`);
    }
  }
  const winner = readWinner(record);
  const modelA = readOptionalString(record, 'model_a');
  const modelB = readOptionalString(record, 'model_b');
  const extra = extraFields(record, KNOWN);
  const pair: PairInput = { ...splitConversations(conversation(prompts, a), conversation(prompts, b)), winner };
  if (modelA !== undefined) pair.modelA = modelA;
  if (modelB !== undefined) pair.modelB = modelB;
  if (extra !== undefined) pair.extra = extra;
  return pair;
}
