// Hostile dataset files (issue 13): what one record can cost is bounded, and one bad record cannot
// sink the rest. A line longer than the cap (a small gzip that inflates to one huge line) is
// rejected with its number and the reason, never read whole; a record nested deeper than the cap
// (which IndexedDB's structured clone cannot store) is rejected on its own line; whitespace JSON
// does not allow is a rejected line, not a vanished one; invisible characters in a reason are named.
import { describe, expect, it } from 'vitest';
import { hostileFile } from '../hostile-files.ts';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { parseRecords, type ParsedLine } from '../../src/core/data/parse.ts';
import { MAX_LINE_BYTES, MAX_NESTING, readRecords, type RecordLine } from '../../src/core/data/records.ts';
import { gzipBytes } from '../../src/core/data/source.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const good = (i: number) => JSON.stringify({ prompt: `p${i}`, response_a: `a${i}`, response_b: `b${i}`, winner: 'a' });

async function read(bytes: Uint8Array, chunk = 1 << 16): Promise<RecordLine[]> {
  const out: RecordLine[] = [];
  for await (const r of readRecords(streamOfBytes(bytes, chunk))) out.push(r);
  return out;
}

async function parse(bytes: Uint8Array): Promise<ParsedLine[]> {
  const out: ParsedLine[] = [];
  for await (const p of parseRecords(readRecords(streamOfBytes(bytes)))) out.push(p);
  return out;
}

const summary = (records: RecordLine[]) => records.map((r) => [r.line, r.error ?? 'record']);

describe('line length cap', () => {
  it('a gzip that inflates to one line past the cap: that line rejected with its number, the next one read', async () => {
    const huge = `{"prompt": "${'a'.repeat(MAX_LINE_BYTES + 1024)}", "response_a": "x", "response_b": "y", "winner": "a"}`;
    const gz = await gzipBytes(encode(`${good(1)}\n${huge}\n${good(3)}\n`));
    expect(gz.length).toBeLessThan(200_000);
    const records = await read(gz);
    expect(summary(records)).toEqual([
      [1, 'record'],
      [2, `the line is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MB a line may hold: it was not read`],
      [3, 'record'],
    ]);
    expect(records[1]!.text.length).toBeLessThanOrEqual(240);
    expect(records[1]!.text.startsWith('{"prompt": "aaa')).toBe(true);
  }, 60_000);

  it('a JSON array element past the cap: that element rejected, the elements after it read', async () => {
    const huge = `  {"prompt": "${'a'.repeat(MAX_LINE_BYTES + 1024)}", "response_a": "x", "response_b": "y", "winner": "a"}`;
    const file = `[\n  ${good(1)},\n${huge},\n  ${good(3)}\n]\n`;
    const records = await read(encode(file));
    expect(summary(records)).toEqual([
      [2, 'record'],
      [
        3,
        `not valid JSON at line 3: the element is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MB one record may take; line 3 was skipped`,
      ],
      [4, 'record'],
    ]);
  }, 60_000);
});

describe('nesting cap', () => {
  const deep = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
  const nested = (levels: number) =>
    `{"prompt": "p", "response_a": "a", "response_b": "b", "winner": "a", "extra": ${deep(levels)}}`;

  it('JSONL: a record nested deeper than the cap is rejected on its own line; the rest is read', async () => {
    const records = await read(encode([good(1), nested(5000), nested(MAX_NESTING - 2), good(4)].join('\n')));
    expect(summary(records)).toEqual([
      [1, 'record'],
      [2, `the record is nested more than ${MAX_NESTING} levels deep, more than RM Lab stores: it was not read`],
      [3, 'record'],
      [4, 'record'],
    ]);
  });

  it('a JSON array: the deep element is rejected and reading goes on', async () => {
    const file = `[\n  ${good(1)},\n  ${nested(5000)},\n  ${good(3)}\n]`;
    const records = await read(encode(file));
    expect(summary(records)).toEqual([
      [2, 'record'],
      [3, `not valid JSON at line 3: the element is nested more than ${MAX_NESTING} levels deep; line 3 was skipped`],
      [4, 'record'],
    ]);
  });
});

describe('whitespace and invisible characters', () => {
  it('a line of whitespace JSON does not allow (NBSP, form feed, U+3000) is rejected, not lost', async () => {
    const records = await read(encode([good(1), '\u00a0\u00a0', '\f', '\u3000', good(5)].join('\n')));
    expect(summary(records)).toEqual([
      [1, 'record'],
      [2, 'not valid JSON: the line holds only U+00A0 U+00A0, whitespace JSON does not allow'],
      [3, 'not valid JSON: the line holds only U+000C, whitespace JSON does not allow'],
      [4, 'not valid JSON: the line holds only U+3000, whitespace JSON does not allow'],
      [5, 'record'],
    ]);
  });

  it('a BOM inside a line is named in the reason, not shown as an invisible character', async () => {
    const [, second] = await read(encode(`${good(1)}\n\ufeff${good(2)}\n`));
    expect(second!.error).toMatch(/U\+FEFF/);
    expect(second!.error).not.toMatch(/\ufeff/);
  });
});

describe('the hostile fuzz file', () => {
  it('every line is one record or one reject, and the count of pairs is the same on every read', async () => {
    const { bytes, lines } = hostileFile(11);
    const parsed = await parse(bytes);
    expect(parsed.length).toBe(lines);
    const pairs = parsed.filter((p) => p.kind === 'pair').length;
    expect(pairs).toBeGreaterThan(lines / 2);
    expect((await parse(bytes)).filter((p) => p.kind === 'pair').length).toBe(pairs);
  });
});

describe('line length cap in CSV', () => {
  it('a row past the cap is rejected by line, the rows after it read', async () => {
    const file = `prompt,response_a,response_b,winner\np,a,b,a\n${'x'.repeat(MAX_LINE_BYTES + 10)},a,b,b\nq,a,b,a\n`;
    const records = await read(encode(file));
    expect(summary(records)).toEqual([
      [2, 'record'],
      [3, `the line is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MB a line may hold: it was not read`],
      [4, 'record'],
    ]);
  }, 60_000);
});
