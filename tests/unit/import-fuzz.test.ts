// Fuzzing the whole parse path (bytes -> readRecords -> parseRecords): valid files of every format
// and container, then broken ones (malformed JSON, wrong types, missing fields, BOM, CRLF, invalid
// UTF-8, a 10 MB line, blank lines, markup, seeded random byte mutations, gzip, CSV). Nothing may
// throw, every record becomes exactly one pair or rejected line, and in JSONL every non-blank
// physical line is exactly one record.
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { type ParsedLine, parseRecords } from '../../src/core/data/parse.ts';
import { type ContainerId, type RecordLine, readRecords } from '../../src/core/data/records.ts';
import { gzipBytes } from '../../src/core/data/source.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';
import { hostileFile } from '../hostile-files.ts';

/** A seeded generator (the trainer's), so that a failure can be replayed. */
const rng = mulberry32;

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const int = (r: Random, n: number) => Math.floor(r() * n);

const PAYLOADS = [
  'plain text',
  '<script>alert(document.cookie)</script>',
  '"><img src=x onerror=alert(1)>',
  '&lt;b&gt; &amp;',
  'naïve café 日本語 🎉',
  'line one\nline two\r\n\nline four',
  'tab\there, comma, "quoted"',
  '\u2028\u2029 separators',
  '',
  ' ',
  '{"not":"a record"}',
  '\n\nHuman: hi\n\nAssistant: hello',
  '__proto__',
];

function text(r: Random): string {
  return Array.from({ length: 1 + int(r, 3) }, () => pick(r, PAYLOADS)).join(' ');
}

const messages = (r: Random, n: number) =>
  Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: text(r) }));

/** A record of a random format, valid or slightly off (wrong types, missing fields). */
function record(r: Random): Record<string, unknown> {
  const kind = int(r, 8);
  let rec: Record<string, unknown>;
  if (kind === 0)
    rec = {
      prompt: text(r),
      response_a: text(r),
      response_b: text(r),
      winner: pick(r, ['a', 'b', 'tie', 'both_bad', 'response_a', 'A']),
    };
  else if (kind === 1)
    rec = { prompt: text(r), chosen: text(r), rejected: text(r), margin: pick(r, [1, -0.5, '2', null]) };
  else if (kind === 2) {
    const prefix = `\n\nHuman: ${text(r)}`;
    rec = { chosen: `${prefix}\n\nAssistant: ${text(r)}`, rejected: `${prefix}\n\nAssistant: ${text(r)}` };
  } else if (kind === 3) {
    const q = messages(r, 1);
    rec = {
      prompt: q[0]!.content,
      chosen: [...q, ...messages(r, 2).slice(1)],
      rejected: [...q, { role: 'assistant', content: text(r) }],
      score_chosen: 8,
      score_rejected: 2,
    };
  } else if (kind === 4)
    rec = {
      history: text(r),
      human_ref_A: text(r),
      human_ref_B: text(r),
      labels: pick(r, [0, 1, '1', 2]),
      domain: 'askx_train',
      score_A: int(r, 99),
    };
  else if (kind === 5) {
    const q = { role: 'user', content: text(r) };
    rec = {
      model_a: 'm1',
      model_b: 'm2',
      winner: pick(r, ['model_a', 'model_b', 'tie', 'tie (bothbad)', 'x']),
      conversation_a: [q, { role: 'assistant', content: text(r) }],
      conversation_b: [q, { role: 'assistant', content: text(r) }],
      tstamp: pick(r, [1682351591.1322, '1682351591', 'yesterday', 1e300]),
    };
  } else if (kind === 6) {
    const one = [int(r, 2), 0, 0];
    rec = {
      prompt: JSON.stringify([text(r)]),
      response_a: JSON.stringify([text(r)]),
      response_b: pick(r, [JSON.stringify([null]), '[1]', 'oops']),
      winner_model_a: one[0],
      winner_model_b: one[1],
      winner_tie: one[0] === 0 ? 1 : 0,
    };
  } else
    rec = {
      instruction: text(r),
      input: text(r),
      response1: pick(r, [text(r), true, null]),
      response2: text(r),
      annotator1: pick(r, [0, 1, 2, '1', '3']),
    };
  // Wrong types and missing fields, now and then.
  const keys = Object.keys(rec);
  if (r() < 0.15 && keys.length > 0) delete rec[pick(r, keys)];
  if (r() < 0.15 && keys.length > 0) rec[pick(r, keys)] = pick(r, [42, null, [], {}, true, [1, 2]]);
  if (r() < 0.1) rec.extra_field = text(r);
  return rec;
}

function jsonl(r: Random, n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify(record(r)));
    if (r() < 0.2) lines.push(pick(r, ['', '   ', '\t']));
    if (r() < 0.1)
      lines.push(
        pick(r, [
          '{"prompt": "p", "response_a": ',
          '[1, 2]',
          'null',
          'not json',
          '<html><script>x</script></html>',
          '"string"',
        ]),
      );
  }
  return lines.join(pick(r, ['\n', '\r\n']));
}

function jsonArray(r: Random, n: number): string {
  const items = Array.from({ length: n }, () => record(r));
  return r() < 0.5 ? JSON.stringify(items, null, pick(r, [2, 4, '\t'])) : JSON.stringify(items);
}

function csvCell(value: unknown): string {
  const t = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

function csv(r: Random, n: number): string {
  const rows = Array.from({ length: n }, () => record(r));
  const header = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(header.map((h) => csvCell(row[h] ?? '')).join(','));
  return lines.join(pick(r, ['\n', '\r\n']));
}

/** Random damage: flipped bytes, inserted and deleted runs, stray quotes and brackets, a cut end. */
function mutate(r: Random, input: Uint8Array): Uint8Array {
  let bytes = Array.from(input);
  const edits = 1 + int(r, 6);
  for (let e = 0; e < edits && bytes.length > 0; e++) {
    const at = int(r, bytes.length);
    const op = int(r, 6);
    if (op === 0) bytes[at] = int(r, 256);
    else if (op === 1) bytes.splice(at, 0, ...Array.from({ length: 1 + int(r, 8) }, () => int(r, 256)));
    else if (op === 2) bytes.splice(at, 1 + int(r, 20));
    else if (op === 3) bytes.splice(at, 0, pick(r, [0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x0a, 0x0d, 0x5c, 0x3a]));
    else if (op === 4) bytes.splice(at, 0, ...bytes.slice(at, at + int(r, 40)));
    else bytes = bytes.slice(0, at);
  }
  return Uint8Array.from(bytes);
}

interface Run {
  records: RecordLine[];
  parsed: ParsedLine[];
}

/** Runs the whole path; a throw fails the test with the case that caused it. */
async function run(bytes: Uint8Array, container?: ContainerId, chunk = 977): Promise<Run> {
  const records: RecordLine[] = [];
  async function* tee() {
    for await (const rec of readRecords(streamOfBytes(bytes, chunk), container ? { container } : {})) {
      records.push(rec);
      yield rec;
    }
  }
  const parsed: ParsedLine[] = [];
  for await (const p of parseRecords(tee())) parsed.push(p);
  return { records, parsed };
}

const lineOf = (p: ParsedLine) => (p.kind === 'pair' ? p.line : p.rejected.line);

/** Every record became exactly one pair or rejected line, in order, at its line. */
function expectAccounted({ records, parsed }: Run): void {
  expect(parsed.length).toBe(records.length);
  const pairs = parsed.filter((p) => p.kind === 'pair').length;
  const rejected = parsed.filter((p) => p.kind === 'rejected').length;
  expect(pairs + rejected).toBe(records.length);
  expect(parsed.map(lineOf)).toEqual(records.map((r) => r.line));
  for (const p of parsed) {
    if (p.kind === 'rejected') {
      expect(typeof p.rejected.reason).toBe('string');
      expect(p.rejected.reason.length).toBeGreaterThan(0);
      expect(Array.from(p.rejected.excerpt).length).toBeLessThanOrEqual(120);
    }
  }
}

/** The 1-based numbers of a file's non-blank lines, found independently of the reader. */
function nonBlankLines(bytes: Uint8Array): number[] {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const out: number[] = [];
  let start = 0;
  let line = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    line++;
    let part = bytes.subarray(start, i);
    if (part.at(-1) === 0x0d) part = part.subarray(0, -1);
    if (line === 1 && part[0] === 0xef && part[1] === 0xbb && part[2] === 0xbf) part = part.subarray(3);
    // A last line with nothing in it (the file ends with a line break) is no line.
    // Blank means JSON's whitespace only: a line of NBSP or U+3000 is a (rejected) record, not blank.
    if (!/^[ \t\r]*$/.test(decoder.decode(part))) out.push(line);
    start = i + 1;
  }
  return out;
}

const encode = (t: string) => new TextEncoder().encode(t);

describe('import fuzz', () => {
  it('reads valid files of every container: every record, in order, none lost', async () => {
    const r = rng(1);
    for (let i = 0; i < 20; i++) {
      const n = 1 + int(r, 30);
      const lines = jsonl(r, n);
      const a = await run(encode(lines));
      expectAccounted(a);
      expect(a.records.map((x) => x.line)).toEqual(nonBlankLines(encode(lines)));

      const array = jsonArray(r, n);
      const b = await run(encode(array));
      expectAccounted(b);
      expect(b.records.map((x) => x.index)).toEqual(Array.from({ length: n }, (_, k) => k));
      expect(b.records.every((x) => x.error === undefined)).toBe(true);

      const table = csv(r, n);
      const c = await run(encode(table));
      expectAccounted(c);
      expect(c.records).toHaveLength(n);
      expect(c.records.every((x) => x.error === undefined && x.cells === true)).toBe(true);

      // Gzipped, each reads exactly as the plain file does.
      for (const [plain, result] of [
        [lines, a],
        [array, b],
        [table, c],
      ] as const) {
        const zipped = await run(await gzipBytes(encode(plain)), undefined, 333);
        expect(zipped.parsed).toEqual(result.parsed);
      }
    }
  });

  it('survives seeded random damage to JSONL: each non-blank line is one record', async () => {
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const bytes = mutate(r, encode(jsonl(r, 1 + int(r, 12))));
      const result = await run(bytes, 'jsonl', 1 + int(r, 200));
      expectAccounted(result);
      expect(
        result.records.map((x) => x.line),
        `seed ${seed}`,
      ).toEqual(nonBlankLines(bytes));
    }
  });

  it('survives seeded random damage to JSON arrays, CSV, TSV and gzip, with the container detected', async () => {
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(1000 + seed);
      const n = 1 + int(r, 10);
      const plain = pick(r, [() => jsonArray(r, n), () => csv(r, n), () => csv(r, n).replace(/,/g, '\t')])();
      let bytes = mutate(r, encode(plain));
      if (r() < 0.3) bytes = mutate(r, await gzipBytes(bytes));
      // eslint-disable-next-line no-dupe-else-if -- r() draws a new number each call: a second 30% chance
      else if (r() < 0.3) bytes = await gzipBytes(bytes);
      const result = await run(bytes, undefined, 1 + int(r, 300));
      expectAccounted(result);
      // Lines never go backwards, and none is past the end of the file.
      const lines = result.records.map((x) => x.line);
      expect(lines, `seed ${1000 + seed}`).toEqual([...lines].sort((x, y) => x - y));
    }
  });

  it('reads a file of BOM, CRLF, blank lines, invalid UTF-8, markup and bad JSON line by line', async () => {
    const good = JSON.stringify({
      prompt: '<script>alert(1)</script>',
      response_a: '<b>x</b>',
      response_b: 'y',
      winner: 'a',
    });
    const bytes = Uint8Array.from([
      0xef,
      0xbb,
      0xbf,
      ...encode(`${good}\r\n\r\n   \r\n`),
      ...encode('{"prompt": "caf'),
      0xe9,
      ...encode('", "response_a": "x", "response_b": "y", "winner": "a"}\r\n'),
      ...encode('<html><body><script>evil()</script></body></html>\r\n'),
      ...encode('{"prompt": 1, "response_a": "x", "response_b": "y", "winner": "a"}\r\n'),
      ...encode('{"prompt": "p", "response_a": "x"}\n'),
      ...encode(`${good}`),
    ]);
    const result = await run(bytes);
    expectAccounted(result);
    expect(
      result.parsed.map((p) =>
        p.kind === 'pair' ? [p.line, 'pair', p.duplicateOf ?? null] : [p.rejected.line, p.rejected.reason.slice(0, 40)],
      ),
    ).toEqual([
      [1, 'pair', null],
      [4, 'not valid UTF-8'],
      [5, "not valid JSON: Unexpected token '<', \"<"],
      [6, '"prompt" must be a string or a list of {'],
      [7, '"response_b" is missing'],
      [8, 'pair', 1],
    ]);
    const first = result.parsed[0];
    expect(first?.kind === 'pair' && first.pair.prompt).toBe('<script>alert(1)</script>');
  });

  it('reads a 10 MB line in JSONL, a JSON array and CSV', async () => {
    const big = `${'<p>'.repeat(1000)}${'x'.repeat(10 * 1024 * 1024)}`;
    const rec = { prompt: big, response_a: 'a', response_b: 'b', winner: 'b' };
    const small = { prompt: 'p', response_a: 'a', response_b: 'b', winner: 'a' };
    const files = [
      `${JSON.stringify(small)}\n${JSON.stringify(rec)}\n${JSON.stringify(small)}\n`,
      JSON.stringify([small, rec, small]),
      `prompt,response_a,response_b,winner\np,a,b,a\n${big},a,b,b\np,a,b,a\n`,
    ];
    for (const file of files) {
      const result = await run(encode(file), undefined, 1 << 16);
      expectAccounted(result);
      const pairs = result.parsed.flatMap((p) => (p.kind === 'pair' ? [p] : []));
      expect(pairs.map((p) => p.pair.winner)).toEqual(['a', 'b', 'a']);
      expect((pairs[1]?.pair.prompt as string).length).toBe(big.length);
      expect(pairs[2]?.duplicateOf).toBe(pairs[0]?.line);
      // The record's excerpt stays short however long the record.
      expect(result.records[1]!.text.length).toBeLessThanOrEqual(240);
    }
  }, 60_000);

  it('hostile probes (issue 13): deep nesting, prototype names, escapes, odd whitespace, BOMs, in every chunking', async () => {
    for (const seed of [3, 4, 5]) {
      const { bytes, lines } = hostileFile(seed, 400);
      const result = await run(bytes, undefined, 1 + ((seed * 7919) % 4096));
      expectAccounted(result);
      // Every physical line is one record: nothing vanishes, and nothing deep reaches the store.
      expect(result.records.map((x) => x.line)).toEqual(Array.from({ length: lines }, (_, i) => i + 1));
      for (const p of result.parsed) {
        if (p.kind === 'pair') expect(JSON.stringify(p.pair).split('[').length).toBeLessThan(110);
      }
    }
  });

  it('turns an empty file, a file of blank lines and a gzipped empty file into no records', async () => {
    for (const bytes of [new Uint8Array(0), encode('\n\r\n   \n'), await gzipBytes(new Uint8Array(0))]) {
      expect((await run(bytes)).records).toEqual([]);
    }
  });
});
