import { describe, expect, it } from 'vitest';
import { readLinesFromText } from '../../src/core/data/jsonl.ts';
import {
  parseRegressionRow,
  parseRows,
  parseScoreRow,
  scoredRecord,
  type RowResult,
} from '../../src/core/eval/score-rows.ts';

async function all<T>(text: string, parse: Parameters<typeof parseRows<T>>[1]): Promise<RowResult<T>[]> {
  const out: RowResult<T>[] = [];
  for await (const r of parseRows(readLinesFromText(text), parse)) out.push(r);
  return out;
}

describe('batch-scoring rows', () => {
  it('reads one response or a list, keeps every field, and writes the rewards back in order', async () => {
    const text = [
      JSON.stringify({ id: 7, prompt: 'p', response: 'r' }),
      '',
      JSON.stringify({
        prompt: [{ role: 'user', content: 'hi' }],
        responses: ['a', [{ role: 'assistant', content: 'b' }]],
      }),
    ].join('\n');
    const rows = await all(text, parseScoreRow);
    expect(rows.map((r) => r.ok)).toEqual([true, true]);
    const [one, many] = rows.map((r) => (r.ok ? r.row : undefined));
    expect(one).toMatchObject({ line: 1, prompt: 'p', responses: ['r'], many: false });
    expect(many).toMatchObject({ line: 3, prompt: 'user: hi', responses: ['a', 'assistant: b'], many: true });
    expect(scoredRecord(one!, [0.5])).toEqual({ id: 7, prompt: 'p', response: 'r', reward: 0.5 });
    expect(scoredRecord(many!, [1, -1]).rewards).toEqual([1, -1]);
    expect(() => scoredRecord(many!, [1])).toThrow(/line 3: 1 rewards for 2 responses/);
  });

  it('rejects bad lines with their number and the reason in plain words', async () => {
    const text = [
      '{"prompt": "cut',
      '[1, 2]',
      JSON.stringify({ response: 'r' }),
      JSON.stringify({ prompt: 'p' }),
      JSON.stringify({ prompt: 'p', responses: 'r' }),
      JSON.stringify({ prompt: 'p', responses: [] }),
      JSON.stringify({ prompt: 'p', responses: ['a', 3] }),
      JSON.stringify({ prompt: 'p', response: 'a', responses: ['b'] }),
    ].join('\n');
    const rows = await all(text, parseScoreRow);
    expect(rows.map((r) => (r.ok ? 'ok' : `${r.rejected.line}: ${r.rejected.reason}`))).toEqual([
      '1: not valid JSON',
      '2: not a JSON object',
      '3: "prompt" is missing',
      '4: "response" (or "responses") is missing',
      '5: "responses" must be a list of responses, not a string',
      '6: "responses" is an empty list',
      '7: "responses"[1] must be a string or a list of {role, content} messages, not a number',
      '8: has both "response" and "responses": give one',
    ]);
  });
});

describe('regression rows', () => {
  it('reads responses by version, or one (prompt, model, response) a line', async () => {
    const text = [
      JSON.stringify({ prompt: 'p', task_type: 'math', responses: { v1: 'a', v2: 'b' } }),
      JSON.stringify({ prompt: 'q', model: 'v1', response: 'c' }),
    ].join('\n');
    const rows = await all(text, parseRegressionRow);
    expect(rows).toEqual([
      { ok: true, row: { line: 1, prompt: 'p', taskType: 'math', responses: { v1: 'a', v2: 'b' } } },
      { ok: true, row: { line: 2, prompt: 'q', responses: { v1: 'c' } } },
    ]);
  });

  it('rejects a line that gives no version, a list for responses, or a non-string task type', async () => {
    const text = [
      JSON.stringify({ prompt: 'p', response: 'a' }),
      JSON.stringify({ prompt: 'p', responses: ['a', 'b'] }),
      JSON.stringify({ prompt: 'p', task_type: 3, model: 'v', response: 'a' }),
      JSON.stringify({ prompt: 'p', responses: {} }),
    ].join('\n');
    const rows = await all(text, parseRegressionRow);
    expect(rows.map((r) => (r.ok ? 'ok' : `${r.rejected.line}: ${r.rejected.reason}`))).toEqual([
      '1: needs "responses" (responses by model version) or "model" with "response"',
      '2: "responses" must be an object of responses by model version, e.g. {"v1": "...", "v2": "..."}, not a list',
      '3: "task_type" must be a string, not a number',
      '4: "responses" has no model version',
    ]);
  });
});

describe('records already read (JSON array elements, CSV rows)', () => {
  it('parses them with the same rules, naming the line given', async () => {
    const { parseScoreRecord } = await import('../../src/core/eval/score-rows.ts');
    expect(parseScoreRecord({ prompt: 'p', response: 'r' }, 4)).toMatchObject({
      ok: true,
      row: { line: 4, responses: ['r'] },
    });
    const bad = parseScoreRecord({ prompt: 'p', responses: 'x' }, 9);
    expect(bad).toMatchObject({
      ok: false,
      rejected: { line: 9, reason: '"responses" must be a list of responses, not a string' },
    });
    expect(parseScoreRecord('text', 2)).toMatchObject({
      ok: false,
      rejected: { line: 2, reason: 'not a JSON object' },
    });
  });
});
