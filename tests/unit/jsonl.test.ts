import { describe, expect, it } from 'vitest';
import { type Line, readLines, readLinesFromText, streamOfBytes } from '../../src/core/data/jsonl.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function streamOfChunks(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

function bytes(...parts: (string | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

async function collect(lines: AsyncIterable<Line>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('readLines', () => {
  it('numbers every physical line and skips blank ones', async () => {
    const lines = await collect(readLinesFromText('{"a":1}\n\n{"b":2}\n   \n\t\n{"c":3}\n'));
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 3, text: '{"b":2}' },
      { line: 6, text: '{"c":3}' },
    ]);
  });

  it('reads a last line without a newline, and nothing from an empty stream', async () => {
    expect(await collect(readLinesFromText('x\ny'))).toEqual([
      { line: 1, text: 'x' },
      { line: 2, text: 'y' },
    ]);
    expect(await collect(readLinesFromText(''))).toEqual([]);
    expect(await collect(readLinesFromText('\n\n'))).toEqual([]);
  });

  it('handles CRLF line endings and keeps a lone CR inside a line', async () => {
    const lines = await collect(readLinesFromText('one\r\ntwo\r\n\r\nth\rree\r\n'));
    expect(lines).toEqual([
      { line: 1, text: 'one' },
      { line: 2, text: 'two' },
      { line: 4, text: 'th\rree' },
    ]);
  });

  it('strips a UTF-8 BOM on line 1 only', async () => {
    const lines = await collect(
      readLines(streamOfChunks([bytes([0xef, 0xbb, 0xbf], 'first\n', [0xef, 0xbb, 0xbf], 'second')])),
    );
    expect(lines).toEqual([
      { line: 1, text: 'first' },
      { line: 2, text: '\uFEFFsecond' },
    ]);
  });

  it('strips a BOM that a chunk boundary cuts in two', async () => {
    const lines = await collect(
      readLines(streamOfChunks([Uint8Array.from([0xef]), bytes([0xbb, 0xbf], '{}\r'), encode('\n')])),
    );
    expect(lines).toEqual([{ line: 1, text: '{}' }]);
  });

  it('decodes multi-byte characters cut by every possible chunk boundary', async () => {
    // 2-, 3- and 4-byte characters, a CRLF and an empty line.
    const text = 'é€😀\r\n\n{"p":"naïve 日本語 🎉"}\nlast ✓';
    const expected = [
      { line: 1, text: 'é€😀' },
      { line: 3, text: '{"p":"naïve 日本語 🎉"}' },
      { line: 4, text: 'last ✓' },
    ];
    const all = encode(text);
    for (let chunkSize = 1; chunkSize <= 8; chunkSize++) {
      expect(await collect(readLines(streamOfBytes(all, chunkSize)))).toEqual(expected);
    }
    for (let cut = 1; cut < all.length; cut++) {
      const lines = await collect(readLines(streamOfChunks([all.slice(0, cut), all.slice(cut)])));
      expect(lines, `cut at byte ${cut}`).toEqual(expected);
    }
  });

  it('flags lines that are not valid UTF-8 and reads the lines around them', async () => {
    const stream = streamOfChunks([
      bytes(
        'good\n',
        'bad ',
        [0xff],
        ' byte\n',
        'cut ',
        [0xe2, 0x82],
        '\n', // a 3-byte character missing its last byte
        'overlong ',
        [0xc0, 0xaf],
        '\n',
        'lone surrogate ',
        [0xed, 0xa0, 0x80],
        '\n',
        'fine ✓\n',
      ),
    ]);
    const lines = await collect(readLines(stream));
    expect(lines).toEqual([
      { line: 1, text: 'good' },
      { line: 2, text: 'bad \uFFFD byte', invalidUtf8: true },
      { line: 3, text: 'cut \uFFFD', invalidUtf8: true },
      { line: 4, text: 'overlong \uFFFD\uFFFD', invalidUtf8: true },
      { line: 5, text: 'lone surrogate \uFFFD\uFFFD\uFFFD', invalidUtf8: true },
      { line: 6, text: 'fine ✓' },
    ]);
  });

  it('does not flag a U+FFFD that the file itself contains', async () => {
    expect(await collect(readLinesFromText('real \uFFFD here'))).toEqual([{ line: 1, text: 'real \uFFFD here' }]);
  });

  it('reads a line that spans many chunks', async () => {
    const long = `{"p":"${'x'.repeat(100_000)}"}`;
    const lines = await collect(readLinesFromText(`${long}\n{}\n`, 1000));
    expect(lines.map((l) => [l.line, l.text.length])).toEqual([
      [1, long.length],
      [2, 2],
    ]);
    expect(lines[0]?.text).toBe(long);
  });

  it('reports the running count of bytes read', async () => {
    const all = encode('aaaa\nbbbb\ncc'); // 12 bytes
    const seen: number[] = [];
    await collect(readLines(streamOfBytes(all, 5), (n) => seen.push(n)));
    expect(seen).toEqual([5, 10, 12]);
  });

  it('cancels the stream when the reader stops early', async () => {
    let cancelled = false;
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(encode(`line ${pulls}\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const line of readLines(stream)) {
      if (line.line === 3) break;
    }
    expect(cancelled).toBe(true);
    expect(stream.locked).toBe(false);
  });

  it('passes a stream error on to the reader', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encode('ok\n'));
        controller.error(new Error('disk gone'));
      },
    });
    await expect(collect(readLines(stream))).rejects.toThrow('disk gone');
  });
});
