// Reading typed fields out of a parsed JSON record. Every format adapter needs the same checks,
// and the user should see the same wording for the same mistake whichever format they bring.

import type { Message, Text } from '../pair.ts';
import { FormatError } from './format-error.ts';

export type JsonRecord = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not an array, not null). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "an array", "a string", "null": the kind of a JSON value, for error messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

/** A short rendering of a value the user wrote, quoted as JSON so that "A" and A differ. */
export function shown(value: unknown): string {
  let text: string;
  if (typeof value === 'number')
    text = String(value); // JSON.stringify would show Infinity as null
  else if (typeof value === 'string' || typeof value === 'boolean' || value === null) text = JSON.stringify(value);
  else return kindOf(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function expectRecord(value: unknown): JsonRecord {
  if (!isRecord(value)) throw new FormatError(`expected a JSON object, got ${kindOf(value)}`);
  return value;
}

/** Why `value` is not a list of {role, content} messages, or undefined when it is one. */
function messageListProblem(value: unknown[]): string | undefined {
  for (const [i, m] of value.entries()) {
    if (!isRecord(m)) return `message ${i + 1} is ${kindOf(m)}, not an object`;
    if (typeof m.role !== 'string') return `message ${i + 1} has no string "role"`;
    if (typeof m.content !== 'string') return `message ${i + 1} has no string "content"`;
  }
  return undefined;
}

/** Whether a value is a plain string or a list of {role, content} messages. */
export function isText(value: unknown): value is Text {
  return typeof value === 'string' || (Array.isArray(value) && messageListProblem(value) === undefined);
}

/**
 * A required prompt or response. Messages are copied with every key they have: a chat export's
 * extra keys (name, tool_calls) are the user's data, and a spread copy cannot set a prototype.
 */
export function readText(record: JsonRecord, field: string): Text {
  const value = record[field];
  if (value === undefined) throw new FormatError(`"${field}" is missing`);
  if (typeof value === 'string') return value;
  return copiedMessages(value, `"${field}" must be a string or a list of {role, content} messages`);
}

/** A required plain string. */
export function readString(record: JsonRecord, field: string): string {
  const value = record[field];
  if (value === undefined) throw new FormatError(`"${field}" is missing`);
  if (typeof value !== 'string') throw new FormatError(`"${field}" must be a string (got ${kindOf(value)})`);
  return value;
}

// Optional fields treat null as absent: exports from pandas and SQL write null for "no value".

export function readOptionalString(record: JsonRecord, field: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FormatError(`"${field}" must be a string (got ${kindOf(value)})`);
  return value;
}

/** An identifier or timestamp: a string, or a number (ids and epoch times often are), kept as text. */
export function readOptionalStringOrNumber(record: JsonRecord, field: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new FormatError(`"${field}" must be a string or a number (got ${kindOf(value)})`);
}

export function readOptionalNumber(record: JsonRecord, field: string): number | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  // JSON has no Infinity, but 1e999 parses to it.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new FormatError(`"${field}" must be a finite number (got ${shown(value)})`);
  }
  return value;
}

/**
 * The fields a format does not know, kept verbatim so that nothing a user imported is dropped;
 * undefined when there are none. Object.fromEntries defines own properties, so a "__proto__" key
 * stays a plain field instead of replacing the object's prototype.
 */
export function extraFields(record: JsonRecord, known: ReadonlySet<string>): Record<string, unknown> | undefined {
  const entries = Object.entries(record).filter(([key]) => !known.has(key));
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** A required list of {role, content} messages (not a plain string), copied as readText copies them. */
export function readMessages(record: JsonRecord, field: string): Message[] {
  const value = record[field];
  if (value === undefined) throw new FormatError(`"${field}" is missing`);
  return copiedMessages(value, `"${field}" must be a list of {role, content} messages`);
}

/** A field's value as a list of messages, each copied; else a FormatError saying `expected` and what is wrong. */
function copiedMessages(value: unknown, expected: string): Message[] {
  if (!Array.isArray(value)) throw new FormatError(`${expected} (got ${kindOf(value)})`);
  const problem = messageListProblem(value);
  if (problem !== undefined) throw new FormatError(`${expected} (${problem})`);
  return (value as Message[]).map((m) => ({ ...m }));
}

/**
 * A 0/1 flag or class label, as JSON writes it (1) or as a CSV cell holds it ("1"): its text, so
 * that the caller compares one spelling. Booleans count too: pandas writes True/False.
 */
export function readLabel(record: JsonRecord, field: string): string {
  const value = record[field];
  if (value === undefined || value === null) throw new FormatError(`"${field}" is missing`);
  if (typeof value === 'string') return value.trim();
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  throw new FormatError(`"${field}" must be a string or a number (got ${kindOf(value)})`);
}

/** Whether a value is a list of {role, content} messages (an empty list is one). */
export function isMessageList(value: unknown): value is Message[] {
  return Array.isArray(value) && messageListProblem(value) === undefined;
}
