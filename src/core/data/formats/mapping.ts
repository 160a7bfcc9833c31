// A format the user describes: "column X is the prompt, Y and Z are the responses, W is the label
// and the value '1' means A". It becomes a format adapter at run time (mappingFormat), read the
// same way as the built-in ones, so the import, its reasons and the preview need nothing else.

import type { PairInput, Text, Winner } from '../pair.ts';
import { FormatError } from './format-error.ts';
import {
  type JsonRecord,
  extraFields,
  readLabel,
  readOptionalNumber,
  readOptionalString,
  readOptionalStringOrNumber,
  readText,
  shown,
} from './fields.ts';

/** Which field says who won, and how to read it. */
export type LabelMapping =
  /** A field whose values name the winner: each list holds the values (as text: 1 and "1" are both "1") that mean it. */
  | { field: string; a: readonly string[]; b: readonly string[]; tie?: readonly string[]; bothBad?: readonly string[] }
  /** responseA is the chosen response and responseB the rejected one, on every row. */
  | { kind: 'chosen-rejected' }
  /** A number per response (a rating): the higher wins, equal scores are a tie. No margin is made from them. */
  | { kind: 'scores'; a: string; b: string };

export interface FieldMapping {
  /** The prompt's field; several fields (an instruction and its input) are joined by a blank line. None: an empty prompt. */
  prompt?: string | readonly string[];
  responseA: string;
  responseB: string;
  label: LabelMapping;
  modelA?: string;
  modelB?: string;
  annotatorId?: string;
  taskType?: string;
  timestamp?: string;
  /** A preference strength, added to the Bradley-Terry margin. */
  margin?: string;
}

const OPTIONAL_TEXT = ['modelA', 'modelB', 'taskType'] as const;

function promptFields(mapping: FieldMapping): string[] {
  if (mapping.prompt === undefined) return [];
  return typeof mapping.prompt === 'string' ? [mapping.prompt] : [...mapping.prompt];
}

function labelFields(label: LabelMapping): string[] {
  if ('field' in label) return [label.field];
  if (label.kind === 'scores') return [label.a, label.b];
  return [];
}

/** Every field the mapping reads, in the order a user would name them. */
export function mappedFields(mapping: FieldMapping): string[] {
  const optional = [
    mapping.modelA,
    mapping.modelB,
    mapping.annotatorId,
    mapping.taskType,
    mapping.timestamp,
    mapping.margin,
  ];
  return [
    ...promptFields(mapping),
    mapping.responseA,
    mapping.responseB,
    ...labelFields(mapping.label),
    ...optional.filter((f): f is string => f !== undefined),
  ];
}

/** The fields a record must have for the mapping to read it. */
export function requiredFields(mapping: FieldMapping): string[] {
  return [...promptFields(mapping), mapping.responseA, mapping.responseB, ...labelFields(mapping.label)];
}

/**
 * What is wrong with a mapping, in plain words (empty when nothing is). With `fields` (the file's
 * field names, from the preview) it also names mapped fields the file does not have.
 */
export function mappingProblems(mapping: FieldMapping, fields?: readonly string[]): string[] {
  const problems: string[] = [];
  if (mapping.responseA === '' || mapping.responseB === '') problems.push('choose a field for each response');
  if (mapping.responseA === mapping.responseB) problems.push('the two responses must come from different fields');
  const roles = [...promptFields(mapping), mapping.responseA, mapping.responseB, ...labelFields(mapping.label)];
  for (const field of new Set(roles.filter((f, i) => roles.indexOf(f) !== i))) {
    if (mapping.responseA === mapping.responseB && field === mapping.responseA) continue; // said above
    problems.push(`"${field}" is mapped to more than one role`);
  }
  const { label } = mapping;
  if ('field' in label) {
    if (label.a.length === 0 || label.b.length === 0) problems.push('say which label values mean A and which mean B');
    const lists = [label.a, label.b, label.tie ?? [], label.bothBad ?? []];
    const all = lists.flat();
    for (const value of new Set(all.filter((v, i) => all.indexOf(v) !== i))) {
      problems.push(`the label value ${JSON.stringify(value)} is given more than one meaning`);
    }
  }
  if (fields !== undefined) {
    const present = new Set(fields);
    for (const field of new Set(mappedFields(mapping))) {
      if (!present.has(field)) problems.push(`the file has no field "${field}"`);
    }
  }
  return problems;
}

function readPrompt(record: JsonRecord, mapping: FieldMapping): Text {
  const fields = promptFields(mapping);
  if (fields.length === 0) return '';
  if (fields.length === 1) return readText(record, fields[0]!);
  const parts = fields.map((field) => {
    const value = readText(record, field);
    if (typeof value !== 'string') throw new FormatError(`"${field}" must be a string to be joined into the prompt`);
    return value;
  });
  return parts.filter((p) => p.trim() !== '').join('\n\n');
}

function readScore(record: JsonRecord, field: string): number {
  const value = record[field];
  const score = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof score !== 'number' || !Number.isFinite(score)) {
    throw new FormatError(`"${field}" must be a number (got ${value === undefined ? 'nothing' : shown(value)})`);
  }
  return score;
}

function readWinner(record: JsonRecord, label: LabelMapping): Winner {
  if (!('field' in label)) {
    if (label.kind === 'chosen-rejected') return 'a';
    const a = readScore(record, label.a);
    const b = readScore(record, label.b);
    return a > b ? 'a' : b > a ? 'b' : 'tie';
  }
  const value = readLabel(record, label.field);
  const meanings: [readonly string[] | undefined, Winner][] = [
    [label.a, 'a'],
    [label.b, 'b'],
    [label.tie, 'tie'],
    [label.bothBad, 'both_bad'],
  ];
  for (const [values, winner] of meanings) if (values?.includes(value)) return winner;
  const known = meanings.flatMap(([values]) => values ?? []).map((v) => JSON.stringify(v));
  throw new FormatError(`"${label.field}" must be one of ${known.join(', ')} (got ${shown(record[label.field])})`);
}

/** Reads one record with the user's mapping; throws FormatError naming the first field that is wrong. */
export function mappedToPair(record: JsonRecord, mapping: FieldMapping): PairInput {
  const pair: PairInput = {
    prompt: readPrompt(record, mapping),
    responseA: readText(record, mapping.responseA),
    responseB: readText(record, mapping.responseB),
    winner: readWinner(record, mapping.label),
  };
  for (const key of OPTIONAL_TEXT) {
    const field = mapping[key];
    if (field === undefined) continue;
    const value = readOptionalString(record, field);
    if (value !== undefined) pair[key] = value;
  }
  for (const key of ['annotatorId', 'timestamp'] as const) {
    const field = mapping[key];
    if (field === undefined) continue;
    const value = readOptionalStringOrNumber(record, field);
    if (value !== undefined) pair[key] = value;
  }
  if (mapping.margin !== undefined) {
    const margin = readOptionalNumber(record, mapping.margin);
    if (margin !== undefined) pair.margin = margin;
  }
  const extra = extraFields(record, new Set(mappedFields(mapping)));
  if (extra !== undefined) pair.extra = extra;
  return pair;
}

/** The record has every field the mapping needs. */
export function fitsMapping(record: JsonRecord, mapping: FieldMapping): boolean {
  return requiredFields(mapping).every((field) => Object.hasOwn(record, field));
}
