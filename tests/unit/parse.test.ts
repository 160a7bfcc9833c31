import { describe, expect, it } from 'vitest';
import { readLines, readLinesFromText } from '../../src/core/data/jsonl.ts';
import { type ParsedLine, parsePairs } from '../../src/core/data/parse.ts';

async function parseText(text: string, format?: 'rmlab' | 'trl' | 'pandalm'): Promise<ParsedLine[]> {
  const out: ParsedLine[] = [];
  for await (const parsed of parsePairs(readLinesFromText(text), format ? { format } : {})) out.push(parsed);
  return out;
}

/** [line, reason] of each rejected line, or [line, winner] of each pair: a compact view to assert on. */
function summary(parsed: ParsedLine[]): [number, string][] {
  return parsed.map((p) =>
    p.kind === 'pair' ? [p.line, `pair ${p.pair.winner}`] : [p.rejected.line, p.rejected.reason],
  );
}

function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parsed');
}

const ok = (winner: string) => JSON.stringify({ prompt: 'p', response_a: 'x', response_b: 'y', winner });

describe('parsePairs', () => {
  it('yields one result for every non-blank line, with its line number', async () => {
    const text = [
      ok('response_a'),
      '',
      '{"prompt": "p", "response_a": "x"',
      '[1, 2]',
      '"just a string"',
      'null',
      ok('tie'),
      JSON.stringify({ question: 'q', answer: 'a' }),
      JSON.stringify({ prompt: 'p', response_a: 'x', response_b: 'y', winner: 'A' }),
      JSON.stringify({ prompt: 'p', response_a: 'x', winner: 'a' }),
      JSON.stringify({ chosen: 'x', rejected: 'y' }),
      '   ',
      ok('b'),
    ].join('\r\n');
    expect(summary(await parseText(text))).toEqual([
      [1, 'pair a'],
      [3, `not valid JSON: ${jsonParseMessage('{"prompt": "p", "response_a": "x"')}`],
      [4, 'expected a JSON object, got an array'],
      [5, 'expected a JSON object, got a string'],
      [6, 'expected a JSON object, got null'],
      [7, 'pair tie'],
      [8, '"prompt" is missing'],
      [9, '"winner" must be one of response_a, response_b, tie, both_bad (got "A")'],
      [10, '"response_b" is missing'],
      [11, 'this line is in TRL format, but the file is in RM Lab format (prompt, response_a, response_b, winner)'],
      [13, 'pair b'],
    ]);
  });

  it('detects the format from the first record it recognises', async () => {
    const text = [
      '{"hello": "world"}',
      JSON.stringify({ chosen: 'good', rejected: 'bad', margin: 2 }),
      JSON.stringify({ prompt: 'p', response_a: 'x', response_b: 'y', winner: 'a' }),
      JSON.stringify({ chosen: 'c' }),
    ].join('\n');
    const parsed = await parseText(text);
    expect(summary(parsed)).toEqual([
      [
        1,
        'unknown record: expected the fields of Arena human preference 55k (prompt, response_a, response_b, winner_model_a, winner_model_b, winner_tie), ' +
          'RM Lab (prompt, response_a, response_b, winner), Anthropic HH-RLHF (chosen, rejected), ' +
          'UltraFeedback (prompt, chosen, rejected, score_chosen, score_rejected), TRL (chosen, rejected), ' +
          'Stanford SHP (history, human_ref_A, human_ref_B, labels), Chatbot Arena (conversation_a, conversation_b, winner) ' +
          'or PandaLM (instruction, response1, response2, annotator1)',
      ],
      [2, 'pair a'],
      [3, 'this line is in RM Lab format, but the file is in TRL format (chosen, rejected)'],
      [4, '"rejected" is missing'],
    ]);
    expect(parsed[1]).toStrictEqual({
      kind: 'pair',
      line: 2,
      format: 'trl',
      pair: { prompt: '', responseA: 'good', responseB: 'bad', winner: 'a', margin: 2 },
    });
  });

  it('keeps to the format it is given', async () => {
    const text = [
      JSON.stringify({ chosen: 'x', rejected: 'y' }),
      JSON.stringify({ chosen: 'x', rejected: 'y', response_a: 1, response_b: 2 }),
    ].join('\n');
    // Detection would call line 2 an RM Lab record; the given format reads it as TRL.
    const parsed = await parseText(text, 'trl');
    expect(summary(parsed)).toEqual([
      [1, 'pair a'],
      [2, 'pair a'],
    ]);
    expect(parsed[1]?.kind === 'pair' && parsed[1].pair.extra).toEqual({ response_a: 1, response_b: 2 });
    expect(summary(await parseText(text, 'rmlab'))).toEqual([
      [1, 'this line is in TRL format, but the file is in RM Lab format (prompt, response_a, response_b, winner)'],
      [2, '"prompt" is missing'],
    ]);
  });

  it('rejects a line that is not valid UTF-8', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(`${ok('a')}\n{"prompt":"caf`),
      0xe9,
      ...new TextEncoder().encode('"}\n'),
    ]);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    });
    const parsed: ParsedLine[] = [];
    for await (const p of parsePairs(readLines(stream))) parsed.push(p);
    expect(parsed[1]).toStrictEqual({
      kind: 'rejected',
      rejected: { line: 2, reason: 'not valid UTF-8', excerpt: '{"prompt":"caf\uFFFD"}' },
    });
  });

  it('reads a BOM-prefixed first line', async () => {
    expect(summary(await parseText(`\uFEFF${ok('a')}\n`))).toEqual([[1, 'pair a']]);
  });

  it('shows the first 120 characters of a rejected line, markup untouched', async () => {
    const line = `<script>alert(1)</script> ${'🎉'.repeat(200)}`;
    const [parsed] = await parseText(line);
    expect(parsed?.kind).toBe('rejected');
    const excerpt = parsed?.kind === 'rejected' ? parsed.rejected.excerpt : '';
    expect(excerpt).toBe(`<script>alert(1)</script> ${'🎉'.repeat(94)}`);
    expect(Array.from(excerpt)).toHaveLength(120);
  });

  it('keeps <script> payloads in records verbatim', async () => {
    const payload = '<script>document.cookie</script>';
    const [parsed] = await parseText(
      JSON.stringify({ prompt: payload, response_a: payload, response_b: '"><img onerror=x>', winner: 'a' }),
    );
    expect(parsed).toStrictEqual({
      kind: 'pair',
      line: 1,
      format: 'rmlab',
      pair: { prompt: payload, responseA: payload, responseB: '"><img onerror=x>', winner: 'a' },
    });
  });

  it('accepts plain arrays of lines', async () => {
    const parsed: ParsedLine[] = [];
    for await (const p of parsePairs([{ line: 7, text: '{"chosen":"a","rejected":"b"}' }])) parsed.push(p);
    expect(summary(parsed)).toEqual([[7, 'pair a']]);
  });
});
