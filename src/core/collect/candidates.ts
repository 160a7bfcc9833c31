// Candidates in: the files a labelling project starts from, turned into items (two responses to
// compare), every line accounted for as in a dataset import.
//
// Accepted, one JSON object a line (they may be mixed):
// - the regression layouts RM Lab already reads (score-rows.ts):
//     {"prompt", "task_type"?, "responses": {"<version>": "...", ...}}
//     {"prompt", "task_type"?, "model": "<version>", "response": "..."}   (one row per response)
//   A prompt answered by k distinct responses gives every pair of them (k(k-1)/2 items), A being
//   the version first in code-unit order, so the same two versions are always in the same order.
// - pair rows without a winner: {"prompt", "response_a", "response_b", "model_a_version"?,
//   "model_b_version"?, "task_type"?} (a "winner" is ignored: the project relabels it).
// A prompt left with fewer than two distinct responses is rejected, naming its lines.
import { jsonExcerpt } from '../data/excerpt.ts';
import type { Line } from '../data/jsonl.ts';
import { textOf, type Pair, type PairInput, type RejectedLine, type Text } from '../data/pair.ts';
import { parseRegressionRow } from '../eval/score-rows.ts';
import { cyrb53 } from '../data/hash.ts';
import type { LabelItem } from './item.ts';

export interface Candidates {
  items: LabelItem[];
  rejected: RejectedLine[];
  /** Non-empty lines read: each one is in an item or a rejected line. */
  lines: number;
  /** Items that repeated an earlier one (same prompt, task type and responses): kept once. */
  duplicates: number;
}

/** The item id: a hash of what is compared, so two files holding the same comparison agree on it. */
export function itemId(prompt: Text, responseA: Text, responseB: Text, taskType?: string): string {
  const key = JSON.stringify([textOf(prompt), taskType ?? null, textOf(responseA), textOf(responseB)]);
  return cyrb53(key).toString(36).padStart(11, '0');
}

export function makeItem(fields: Omit<LabelItem, 'id'>): LabelItem {
  const item: LabelItem = { id: itemId(fields.prompt, fields.responseA, fields.responseB, fields.taskType), ...fields };
  for (const key of Object.keys(item) as (keyof LabelItem)[]) if (item[key] === undefined) delete item[key];
  return item;
}

/** The item that asks about a stored or labelled pair: its prompt, responses, models and task type. */
export function itemOfPair(
  pair: Pick<PairInput, 'prompt' | 'responseA' | 'responseB' | 'modelA' | 'modelB' | 'taskType'>,
): LabelItem {
  const { prompt, responseA, responseB, modelA, modelB, taskType } = pair;
  return makeItem({ prompt, responseA, responseB, modelA, modelB, taskType });
}

class CandidateError extends Error {}

function optionalString(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new CandidateError(`"${field}" must be a string`);
  return value;
}

function requiredText(record: Record<string, unknown>, field: string): Text {
  const value = record[field];
  if (typeof value === 'string') return value;
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m) => typeof m?.role === 'string' && typeof m?.content === 'string')
  ) {
    return value as Text;
  }
  if (value === undefined || value === null) throw new CandidateError(`"${field}" is missing`);
  throw new CandidateError(`"${field}" must be a string or a list of {role, content} messages`);
}

/** A pair row without a winner (RM Lab's record, its "winner" ignored), or undefined if it is not one. */
function pairRow(record: Record<string, unknown>, line: number): LabelItem | undefined {
  if (!('response_a' in record) && !('response_b' in record)) return undefined;
  const prompt = requiredText(record, 'prompt');
  const responseA = requiredText(record, 'response_a');
  const responseB = requiredText(record, 'response_b');
  if (textOf(responseA) === textOf(responseB)) {
    throw new CandidateError('"response_a" and "response_b" are the same text: nothing to compare');
  }
  return makeItem({
    prompt,
    responseA,
    responseB,
    modelA: optionalString(record, 'model_a_version'),
    modelB: optionalString(record, 'model_b_version'),
    taskType: optionalString(record, 'task_type'),
    line,
  });
}

interface PromptGroup {
  prompt: string;
  taskType?: string;
  lines: number[];
  /** Distinct responses, each with the versions that gave it (first version names it). */
  responses: Map<string, string[]>;
}

/** Reads a candidates file's lines; the caller streams them (readLines) or passes an array. */
export async function readCandidates(lines: AsyncIterable<Line> | Iterable<Line>): Promise<Candidates> {
  const items: LabelItem[] = [];
  const rejected: RejectedLine[] = [];
  const groups = new Map<string, PromptGroup>();
  let count = 0;
  for await (const line of lines) {
    count++;
    let record: unknown;
    try {
      if (line.invalidUtf8) throw new CandidateError('not valid UTF-8 text');
      try {
        record = JSON.parse(line.text);
      } catch {
        throw new CandidateError('not valid JSON');
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new CandidateError('not a JSON object');
      }
      const item = pairRow(record as Record<string, unknown>, line.line);
      if (item) {
        items.push(item);
        continue;
      }
    } catch (error) {
      if (!(error instanceof CandidateError)) throw error;
      rejected.push({ line: line.line, reason: error.message, excerpt: jsonExcerpt(line.text) });
      continue;
    }
    const parsed = parseRegressionRow(line);
    if (!parsed.ok) {
      rejected.push({
        ...parsed.rejected,
        reason: `${parsed.rejected.reason} (a candidates line is a pair row with "response_a" and "response_b", or a regression row)`,
      });
      continue;
    }
    const row = parsed.row;
    const key = JSON.stringify([row.prompt, row.taskType ?? null]);
    let group = groups.get(key);
    if (!group) {
      group = {
        prompt: row.prompt,
        lines: [],
        responses: new Map(),
        ...(row.taskType ? { taskType: row.taskType } : {}),
      };
      groups.set(key, group);
    }
    group.lines.push(row.line);
    for (const [version, response] of Object.entries(row.responses)) {
      const versions = group.responses.get(response);
      if (versions) versions.push(version);
      else group.responses.set(response, [version]);
    }
  }
  for (const group of groups.values()) {
    const result = itemsOfPrompt(group);
    if ('rejected' in result) rejected.push(result.rejected);
    else items.push(...result.items);
  }
  rejected.sort((x, y) => x.line - y.line);
  const unique = dedupeItems(items);
  return { items: unique, rejected, lines: count, duplicates: items.length - unique.length };
}

/** Every pair of a prompt's distinct responses, A the version first in code-unit order; or why there is none. */
function itemsOfPrompt(group: PromptGroup): { items: LabelItem[] } | { rejected: RejectedLine } {
  const responses = [...group.responses].map(([text, versions]) => ({ text, version: versions.sort()[0]! }));
  if (responses.length < 2) {
    const where = group.lines.length === 1 ? 'this prompt' : `this prompt (lines ${group.lines.join(', ')})`;
    const reason = `${where} has ${responses.length === 0 ? 'no response' : 'only one distinct response'}: a comparison needs two`;
    return { rejected: { line: group.lines[0]!, reason, excerpt: jsonExcerpt(group.prompt) } };
  }
  responses.sort((x, y) => (x.version < y.version ? -1 : x.version > y.version ? 1 : 0));
  const items: LabelItem[] = [];
  for (let i = 0; i < responses.length; i++) {
    for (let j = i + 1; j < responses.length; j++) {
      items.push(
        makeItem({
          prompt: group.prompt,
          responseA: responses[i]!.text,
          responseB: responses[j]!.text,
          modelA: responses[i]!.version,
          modelB: responses[j]!.version,
          taskType: group.taskType,
          line: group.lines[0],
        }),
      );
    }
  }
  return { items };
}

/** Items from a stored dataset, to relabel it or to have it labelled a second time. */
export function itemsFromPairs(pairs: Iterable<Pair>): LabelItem[] {
  const items: LabelItem[] = [];
  for (const pair of pairs) {
    if (textOf(pair.responseA) === textOf(pair.responseB)) continue;
    items.push(itemOfPair(pair));
  }
  return dedupeItems(items);
}

/** One item per id: the same comparison given twice is labelled once per annotator. */
function dedupeItems(items: LabelItem[]): LabelItem[] {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(item.id) ? false : (seen.add(item.id), true)));
}
