// Containers: JSONL, JSON arrays and concatenated objects, CSV, TSV, and gzip around any of them.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import {
  type ContainerInfo,
  type ReadRecordsOptions,
  type RecordLine,
  containerFromName,
  detectContainer,
  readRecords,
} from '../../src/core/data/records.ts';
import { gzipBytes } from '../../src/core/data/source.ts';

const encode = (text: string) => new TextEncoder().encode(text);

async function records(input: string | Uint8Array, options: ReadRecordsOptions = {}, chunk = 64 * 1024) {
  const bytes = typeof input === 'string' ? encode(input) : input;
  const out: RecordLine[] = [];
  for await (const r of readRecords(streamOfBytes(bytes, chunk), options)) out.push(r);
  return out;
}

/** [line, index, record or error]: what a test asserts on. */
const brief = (rs: RecordLine[]) => rs.map((r) => [r.line, r.index ?? null, r.error ?? r.record]);

// PandaLM's raw file lives in the workspace's shared/ folder, beside the repository (CI has it);
// a clone on its own skips the tests that need it.
const PANDALM_PATH = new URL('../../../shared/data/pandalm-testset-v1.json', import.meta.url);
const HAVE_PANDALM = existsSync(PANDALM_PATH);
const PANDALM = HAVE_PANDALM ? new Uint8Array(readFileSync(PANDALM_PATH)) : new Uint8Array();

describe('detectContainer', () => {
  it('tells the containers apart by their first bytes', () => {
    expect(detectContainer(encode('{"a":1}\n{"a":2}\n'))).toBe('jsonl');
    expect(detectContainer(encode('\uFEFF  \n[\n  {"a": 1}\n]'))).toBe('json');
    expect(detectContainer(encode('{\n  "a": 1\n}\n'))).toBe('json');
    expect(detectContainer(encode('prompt,chosen,rejected\n'))).toBe('csv');
    expect(detectContainer(encode('prompt\tchosen\trejected\n'))).toBe('tsv');
    // A comma inside a quoted header name does not make a TSV file a CSV file.
    expect(detectContainer(encode('"a, b"\tc\n'))).toBe('tsv');
    expect(detectContainer(encode('single_column\n'))).toBe('csv');
    expect(detectContainer(encode(''))).toBe('jsonl');
    expect(detectContainer(encode(' \n\n'))).toBe('jsonl');
  });

  it('reads a container from a file name', () => {
    expect(['a.jsonl', 'b.JSON', 'c.csv.gz', 'd.tsv', 'e.ndjson', 'f.txt'].map(containerFromName)).toEqual([
      'jsonl',
      'json',
      'csv',
      'tsv',
      'jsonl',
      undefined,
    ]);
  });
});

describe('JSONL', () => {
  it('gives one record or error per non-blank line, with its line', async () => {
    const rs = await records('{"a":1}\n\n[1]\n{"a":\n\uFEFFx\r\n');
    expect(rs.map((r) => [r.line, r.error === undefined ? r.record : 'error', r.text])).toEqual([
      [1, { a: 1 }, '{"a":1}'],
      [3, [1], '[1]'],
      [4, 'error', '{"a":'],
      [5, 'error', '\uFEFFx'],
    ]);
    expect(rs[2]?.error).toMatch(/^not valid JSON: /);
  });

  it('reports the container it read', async () => {
    const seen: ContainerInfo[] = [];
    await records('{"a":1}\n', { onContainer: (c) => seen.push(c) });
    await records(await gzipBytes(encode('a,b\n1,2\n')), { onContainer: (c) => seen.push(c) });
    expect(seen).toEqual([
      { container: 'jsonl', gzip: false },
      { container: 'csv', gzip: true },
    ]);
  });

  it('reads as the container it is told, whatever the bytes look like', async () => {
    expect(brief(await records('{"a":1}\n', { container: 'csv' }))).toEqual([]);
    expect(brief(await records('a,b\n1,2\n', { container: 'jsonl' })).map(([line, , e]) => [line, typeof e])).toEqual([
      [1, 'string'],
      [2, 'string'],
    ]);
  });
});

describe('JSON', () => {
  it('gives each element of a pretty-printed array with the line it starts on and its index', async () => {
    const text = '[\n  {\n    "a": 1\n  },\n  {"b": [1,\n 2]},\n\n  "text",\n  7\n]\n';
    expect(brief(await records(text))).toEqual([
      [2, 0, { a: 1 }],
      [5, 1, { b: [1, 2] }],
      [8, 2, 'text'],
      [9, 3, 7],
    ]);
  });

  it('reads an array on one line, and whatever the chunk size', async () => {
    const text = '[{"a":"é€😀"},{"b":2},{"c":[{"d":null}]}]';
    const expected = [
      [1, 0, { a: 'é€😀' }],
      [1, 1, { b: 2 }],
      [1, 2, { c: [{ d: null }] }],
    ];
    for (const chunk of [1, 2, 3, 7, 1000]) expect(brief(await records(text, {}, chunk))).toEqual(expected);
  });

  it('reads pretty-printed objects one after another', async () => {
    expect(brief(await records('{\n  "a": 1\n}\n{\n  "b": 2\n}\n'))).toEqual([
      [1, 0, { a: 1 }],
      [4, 1, { b: 2 }],
    ]);
  });

  it.skipIf(!HAVE_PANDALM)(
    'reads the real PandaLM file: 999 elements, 12 lines apart, in any chunking and gzipped',
    async () => {
      const rs = await records(PANDALM);
      expect(rs).toHaveLength(999);
      expect(rs.every((r, i) => r.index === i && r.line === 2 + 12 * i && r.error === undefined)).toBe(true);
      expect(rs[0]?.record).toEqual({
        idx: 0,
        motivation_app: 'Grammarly',
        cmp_key: 'bloom-7b_llama-7b',
        instruction:
          'The sentence you are given might be too wordy, complicated, or unclear. Rewrite the sentence and make your writing clearer by keeping it concise. Whenever possible, break complex sentences into multiple sentences and eliminate unnecessary words.',
        input:
          'If you have any questions about my rate or if you find it necessary to increase or decrease the scope for this project, please let me know.',
        response1: 'If you have any questions about my rate, please let me know.',
        response2: 'If you have any questions, please let me know.',
        annotator1: 2,
        annotator2: 2,
        annotator3: 2,
      });
      // The excerpt is the record's JSON, stopped at 240 characters.
      expect(rs[0]?.text).toBe(JSON.stringify(rs[0]?.record).slice(0, 240));
      expect(rs[0]?.text).toHaveLength(240);
      const expected = brief(rs);
      expect(brief(await records(PANDALM, {}, 4093))).toEqual(expected);
      const gz = await gzipBytes(PANDALM);
      let bytesRead = 0;
      const seen: number[] = [];
      const zipped = await records(gz, { onBytes: (n) => seen.push((bytesRead = n)) }, 8192);
      expect(brief(zipped)).toEqual(expected);
      // Progress counts the compressed bytes, up to the file's size.
      expect(bytesRead).toBe(gz.length);
      expect(seen.length).toBe(Math.ceil(gz.length / 8192));
    },
  );

  it('reports a broken element with its index and line, and goes on at the next element', async () => {
    const text = ['[', '  {"a": 1},', '  {"b": tru},', '  {"c": 3},', '  {"d": 4}', '  {"e": 5}', ']'].join('\n');
    expect(brief(await records(text))).toEqual([
      [2, 0, { a: 1 }],
      [3, 1, 'not valid JSON at line 3: unexpected "}"; line 3 was skipped'],
      [4, 2, { c: 3 }],
      [5, 3, { d: 4 }],
      // A missing comma loses nothing: the next element is read again, with its own index.
      [6, null, 'not valid JSON at line 6: expected "," or a closing bracket, found "{"'],
      [6, 4, { e: 5 }],
    ]);
  });

  it('skips a broken element that spans lines to the next line that starts an element', async () => {
    const text = [
      '[',
      '    {',
      '      "a": "x" "y",',
      '      "b": 2',
      '    },',
      '    {',
      '      "c": 3',
      '    }',
      ']',
    ].join('\n');
    expect(brief(await records(text))).toEqual([
      [2, 0, 'not valid JSON at line 3: expected "," or a closing bracket, found a string; lines 3 to 5 were skipped'],
      [6, 1, { c: 3 }],
    ]);
  });

  it('names bytes that are not text, and invalid UTF-8 in a string', async () => {
    const bad = new Uint8Array([...encode('[\n  {"a": "caf'), 0xe9, ...encode(' au lait"},\n  {"b": 1}\n]')]);
    expect(brief(await records(bad))).toEqual([
      [2, 0, 'not valid JSON at line 2: not valid UTF-8; line 2 was skipped'],
      [3, 1, { b: 1 }],
    ]);
    // A bad byte at the end of a string swallows its closing quote: the line break is what the parser trips on.
    const cut = new Uint8Array([...encode('[\n  {"a": "caf'), 0xe9, ...encode('"},\n  {"b": 1}\n]')]);
    expect(brief(await records(cut))).toEqual([
      [2, 0, 'not valid JSON at line 2: unexpected byte 0x0a; line 2 was skipped'],
      [3, 1, { b: 1 }],
    ]);
    const control = new Uint8Array([...encode('[\n  {"a": 1},\n  '), 0x01, ...encode('\n  {"b": 2}\n]')]);
    expect(brief(await records(control))).toEqual([
      [2, 0, { a: 1 }],
      [3, null, 'not valid JSON at line 3: unexpected byte 0x01; line 3 was skipped'],
      [4, 1, { b: 2 }],
    ]);
  });

  it('says the rest is lost when a one-line array breaks, and when the file ends inside an element', async () => {
    expect(brief(await records('[{"a":1},{"b":x},{"c":3}]'))).toEqual([
      [1, 0, { a: 1 }],
      [1, 1, 'not valid JSON at line 1: unexpected "x"; nothing after it could be read'],
    ]);
    expect(brief(await records('[\n  {"a": 1},\n  {"b": [1, 2'))).toEqual([
      [2, 0, { a: 1 }],
      [3, 1, 'not valid JSON: the file ends before this element does'],
    ]);
    // All elements whole, only the closing bracket missing: nothing is lost, nothing reported.
    expect(brief(await records('[\n  {"a": 1}\n'))).toEqual([[2, 0, { a: 1 }]]);
    expect(brief(await records('[]'))).toEqual([]);
  });

  it('keeps a "__proto__" key as data', async () => {
    const [r] = await records('[{"__proto__": {"polluted": 1}, "a": 1}]');
    expect(Object.getPrototypeOf(r?.record)).toBe(Object.prototype);
    expect(Object.hasOwn(r?.record as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('CSV and TSV', () => {
  it('gives each data row as text cells named by the header, with the physical line it starts on', async () => {
    const text = 'prompt,chosen,rejected\r\n"Say ""hi""","Hi!\r\n\r\nBye","No"\r\n\r\nq2,a,"b, c"\r\n';
    expect(await records(text)).toEqual([
      {
        line: 2,
        record: { prompt: 'Say "hi"', chosen: 'Hi!\n\nBye', rejected: 'No' },
        text: '"Say ""hi""","Hi!\n\nBye","No"',
        cells: true,
      },
      { line: 6, record: { prompt: 'q2', chosen: 'a', rejected: 'b, c' }, text: 'q2,a,"b, c"', cells: true },
    ]);
  });

  it('reads TSV, names empty and repeated header cells, and rejects rows of the wrong width', async () => {
    const text = '\uFEFFa\t\ta\n1\t2\t3\n4\t5\n';
    expect(brief(await records(text))).toEqual([
      [2, null, { a: '1', column_2: '2', a_2: '3' }],
      [3, null, 'this row has 2 cells, but the header has 3 columns'],
    ]);
  });

  it('reports a quote that never closes and reads the rows after it', async () => {
    const text = 'a,b\n"open,1\n2,3\n4,5\n';
    expect(brief(await records(text))).toEqual([
      [2, null, 'not valid CSV: a quoted cell that starts on this line is never closed'],
      [3, null, { a: '2', b: '3' }],
      [4, null, { a: '4', b: '5' }],
    ]);
  });

  it('rejects a row with broken quoting and one with invalid UTF-8', async () => {
    const bytes = new Uint8Array([...encode('a,b\n"x"y,1\ncaf'), 0xe9, ...encode(',2\nok,3\n')]);
    expect(brief(await records(bytes))).toEqual([
      [2, null, 'not valid CSV: Trailing quote on quoted field is malformed'],
      [3, null, 'not valid UTF-8'],
      [4, null, { a: 'ok', b: '3' }],
    ]);
  });

  it('keeps quotes that are not at the start of a cell as text, as Papa Parse does', async () => {
    expect(brief(await records('a,b\n5" screen,ok\n'))).toEqual([[2, null, { a: '5" screen', b: 'ok' }]]);
  });
});

describe('gzip', () => {
  it('reads gzipped JSONL, CSV and JSON the same as plain ones', async () => {
    for (const text of ['{"a":1}\n{"a":2}\n', 'a,b\n1,2\n', '[\n  {"a": 1}\n]\n']) {
      const gz = await gzipBytes(encode(text));
      expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
      expect(await records(gz, {}, 5)).toEqual(await records(text));
    }
  });

  it('keeps what was read and reports the rest when the gzip data is cut short', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i % 50) }));
    const gz = await gzipBytes(encode(`${lines.join('\n')}\n`));
    const rs = await records(gz.slice(0, Math.floor(gz.length / 2)), {}, 1024);
    const last = rs.at(-1)!;
    expect(last.error).toMatch(
      /^the file's gzip data is damaged or cut short.*: nothing after this point could be read$/,
    );
    const read = rs.slice(0, -1);
    expect(read.length).toBeGreaterThan(100);
    expect(read.length).toBeLessThan(2000);
    // Every line before the cut is read in full; the cut line is reported, not half-read.
    expect(read.every((r, i) => r.line === i + 1 && (r.record as { i: number }).i === i)).toBe(true);
    expect(last.line).toBe(read.length + 1);
  });

  it('passes an error reading the file itself on to the caller', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encode('{"a":1}\n'));
        controller.error(new Error('disk gone'));
      },
    });
    const out: RecordLine[] = [];
    await expect(
      (async () => {
        for await (const r of readRecords(stream)) out.push(r);
      })(),
    ).rejects.toThrow('disk gone');
  });

  it('cancels the file when the reader stops early', async () => {
    let cancelled = false;
    let n = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encode(`{"n":${n++}}\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const r of readRecords(stream)) if (r.line === 3) break;
    expect(cancelled).toBe(true);
  });
});
