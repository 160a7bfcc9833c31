// The file rows that scoring and regression read, defined once (the page's Batch and Regression
// views and the CLI's `rmlab score` share them), parsed with line numbers and plain-words reasons
// like the dataset import: a bad line is rejected with its number, the others still count.
//
// Batch scoring, one JSON object a line:
//   {"prompt": "...", "response": "..."}            -> the same object plus "reward": r
//   {"prompt": "...", "responses": ["...", ...]}    -> the same object plus "rewards": [r, ...]
// Regression of model versions, either shape (they may be mixed in one file):
//   {"prompt": "...", "task_type"?: "...", "responses": {"<version>": "...", ...}}
//   {"prompt": "...", "task_type"?: "...", "model": "<version>", "response": "..."}   (one row per response)
// A prompt or response may be a string or a list of {role, content} messages (flattened as in training).
import Papa from 'papaparse';
import { keyedRecord } from '../data/keyed.ts';
import { jsonExcerpt } from '../data/excerpt.ts';
import type { Line } from '../data/jsonl.ts';
import { textOf, type Message, type RejectedLine } from '../data/pair.ts';

export interface ScoreRow {
  line: number;
  prompt: string;
  responses: string[];
  /** Written back as "rewards" (a list) when the row had "responses", else as "reward". */
  many: boolean;
  /** The row as read: every field is written back, with the rewards added. */
  record: Record<string, unknown>;
}

export interface RegressionRow {
  line: number;
  prompt: string;
  taskType?: string;
  /** Response text by model version. */
  responses: Record<string, string>;
}

export type RowResult<T> = { ok: true; row: T } | { ok: false; rejected: RejectedLine };

class RowError extends Error {}

function reject(line: Line, reason: string, value?: unknown): { ok: false; rejected: RejectedLine } {
  return { ok: false, rejected: { line: line.line, reason, excerpt: jsonExcerpt(value ?? line.text) } };
}

function readObject(line: Line): Record<string, unknown> {
  if (line.invalidUtf8) throw new RowError('not valid UTF-8 text');
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch {
    throw new RowError('not valid JSON');
  }
  return asObject(value);
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RowError('not a JSON object');
  }
  return value as Record<string, unknown>;
}

function isMessages(value: unknown): value is Message[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (m) =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as Message).role === 'string' &&
        typeof (m as Message).content === 'string',
    )
  );
}

/** A text field: a string, or a conversation flattened the way training reads it. */
function text(record: Record<string, unknown>, field: string, where = `"${field}"`): string {
  const value = record[field];
  if (value === undefined || value === null) throw new RowError(`${where} is missing`);
  return textValue(value, where);
}

function textValue(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (isMessages(value)) return textOf(value);
  throw new RowError(`${where} must be a string or a list of {role, content} messages, not ${kindOf(value)}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** One line of a batch-scoring JSONL file. */
export function parseScoreRow(line: Line): RowResult<ScoreRow> {
  try {
    return scoreRowOf(readObject(line), line.line);
  } catch (error) {
    if (error instanceof RowError) return reject(line, error.message);
    throw error;
  }
}

/**
 * A record already read from a file (a JSON array's element, a CSV row) as a batch-scoring row;
 * `line` is its number in the file, for the messages.
 */
export function parseScoreRecord(value: unknown, line: number): RowResult<ScoreRow> {
  try {
    return scoreRowOf(asObject(value), line);
  } catch (error) {
    if (error instanceof RowError) return reject({ line, text: '' }, error.message, value);
    throw error;
  }
}

function scoreRowOf(record: Record<string, unknown>, line: number): RowResult<ScoreRow> {
  const prompt = text(record, 'prompt');
  if ('response' in record && 'responses' in record) {
    throw new RowError('has both "response" and "responses": give one');
  }
  if ('responses' in record) {
    const list = record.responses;
    if (!Array.isArray(list)) throw new RowError(`"responses" must be a list of responses, not ${kindOf(list)}`);
    if (list.length === 0) throw new RowError('"responses" is an empty list');
    const responses = list.map((r, i) => textValue(r, `"responses"[${i}]`));
    return { ok: true, row: { line, prompt, responses, many: true, record } };
  }
  if (!('response' in record)) throw new RowError('"response" (or "responses") is missing');
  return { ok: true, row: { line, prompt, responses: [text(record, 'response')], many: false, record } };
}

/**
 * The output line of a scored row: the row as read, plus "reward" or "rewards" (in response order), and
 * "judge_reward" / "judge_rewards" where a reference judge scored it too.
 */
export function scoredRecord(
  row: ScoreRow,
  rewards: readonly number[],
  judgeRewards?: readonly number[],
): Record<string, unknown> {
  for (const [what, list] of [
    ['rewards', rewards],
    ['judge rewards', judgeRewards ?? row.responses],
  ] as const) {
    if (list.length !== row.responses.length) {
      throw new Error(`line ${row.line}: ${list.length} ${what} for ${row.responses.length} responses`);
    }
  }
  const judged = judgeRewards
    ? row.many
      ? { judge_rewards: [...judgeRewards] }
      : { judge_reward: judgeRewards[0] }
    : {};
  return row.many
    ? { ...row.record, rewards: [...rewards], ...judged }
    : { ...row.record, reward: rewards[0], ...judged };
}

function optionalString(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new RowError(`"${field}" must be a string, not ${kindOf(value)}`);
  return value;
}

/** One line of a regression file: a prompt with responses by version, or one (prompt, model, response). */
export function parseRegressionRow(line: Line): RowResult<RegressionRow> {
  try {
    const record = readObject(line);
    const prompt = text(record, 'prompt');
    const taskType = optionalString(record, 'task_type');
    const base = { line: line.line, prompt, ...(taskType !== undefined ? { taskType } : {}) };
    if ('responses' in record) {
      const by = record.responses;
      if (typeof by !== 'object' || by === null || Array.isArray(by)) {
        throw new RowError(
          `"responses" must be an object of responses by model version, e.g. {"v1": "...", "v2": "..."}, not ${kindOf(by)}`,
        );
      }
      const responses = keyedRecord<string>();
      for (const [version, value] of Object.entries(by)) {
        if (version.trim() === '') throw new RowError('"responses" has an empty model version as a key');
        responses[version] = textValue(value, `"responses"."${version}"`);
      }
      if (Object.keys(responses).length === 0) throw new RowError('"responses" has no model version');
      return { ok: true, row: { ...base, responses } };
    }
    const model = optionalString(record, 'model');
    if (model === undefined) {
      throw new RowError('needs "responses" (responses by model version) or "model" with "response"');
    }
    return { ok: true, row: { ...base, responses: keyedRecord([[model, text(record, 'response')]]) } };
  } catch (error) {
    if (error instanceof RowError) return reject(line, error.message);
    throw error;
  }
}

/** Parses every line of a file with `parse`: rows and rejected lines in file order. */
export async function* parseRows<T>(
  lines: AsyncIterable<Line>,
  parse: (line: Line) => RowResult<T>,
): AsyncGenerator<RowResult<T>> {
  for await (const line of lines) yield parse(line);
}

/** The columns of the batch download's CSV: one line per response (a row's responses on lines of their own). */
export const SCORED_CSV_COLUMNS = ['line', 'prompt', 'response_index', 'response', 'reward', 'judge_reward'] as const;

/**
 * A scored row as CSV lines (no header): its prompt and each response with its reward, and the reference
 * judge's reward where a judge scored it (an empty cell where none did). Cells that a spreadsheet would
 * read as a formula (=, +, -, @ first) are quoted with a leading apostrophe (Papa Parse's escapeFormulae):
 * the texts are the user's file, not to be run.
 */
export function scoredCsvLines(row: ScoreRow, rewards: readonly number[], judgeRewards?: readonly number[]): string {
  const cells = row.responses.map((response, i) => [
    row.line,
    row.prompt,
    i,
    response,
    rewards[i],
    judgeRewards ? judgeRewards[i] : '',
  ]);
  return Papa.unparse(cells, { header: false, escapeFormulae: true, newline: '\n' }) + '\n';
}

/** The CSV's header line. */
export function scoredCsvHeader(): string {
  return SCORED_CSV_COLUMNS.join(',') + '\n';
}
