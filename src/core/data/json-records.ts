// A JSON file -> records, streaming: the elements of a top-level array (`[ {...}, {...} ]`, on one
// line or pretty-printed over many), or JSON values one after another (pretty-printed objects,
// each starting with "{" on a line of its own). A 200 MB file is never one string: the
// @streamparser/json tokenizer reads it chunk by chunk, and each element is given with the line
// it starts on and its index.
//
// Where the JSON is broken, the element in progress is reported with the parser's reason, and
// reading goes on at the next line that starts an element the way the file's elements start
// (the same indentation, then "{"), so that a hand-edited file with one bad element loses that
// element, not the rest of the file. A file on one line cannot be resumed: the rest is reported lost.

import { TokenParser, TokenParserError, TokenType, Tokenizer, TokenizerError } from '@streamparser/json';
import type { ParsedTokenInfo } from '@streamparser/json';
import { jsonExcerpt } from './excerpt.ts';
import type { RecordLine } from './records.ts';
import { MAX_LINE_BYTES } from './jsonl.ts';
import { MAX_NESTING } from './nesting.ts';
import { UTF8_BOM, startsWith } from './source.ts';

/** An element past a cap: reported as broken, and skipped like broken JSON, so the rest still reads. */
class ElementTooLarge extends Error {}

const LF = 0x0a;
const LEFT_BRACE = 0x7b;
const SPACE = 0x20;
const TAB = 0x09;
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

export interface JsonRecordsOptions {
  /** The file is one top-level array whose elements are the records; otherwise each top-level value is one. */
  array: boolean;
  /** Only the start of the file: an element cut off at the end is left out, not reported. */
  truncated?: boolean;
}

const VALUE_START = new Set<TokenType>([
  TokenType.LEFT_BRACE,
  TokenType.LEFT_BRACKET,
  TokenType.STRING,
  TokenType.NUMBER,
  TokenType.TRUE,
  TokenType.FALSE,
  TokenType.NULL,
]);

const SHOWN_TOKEN: Partial<Record<TokenType, string>> = {
  [TokenType.LEFT_BRACE]: '"{"',
  [TokenType.RIGHT_BRACE]: '"}"',
  [TokenType.LEFT_BRACKET]: '"["',
  [TokenType.RIGHT_BRACKET]: '"]"',
  [TokenType.COLON]: '":"',
  [TokenType.COMMA]: '","',
  [TokenType.STRING]: 'a string',
  [TokenType.NUMBER]: 'a number',
  [TokenType.TRUE]: 'true',
  [TokenType.FALSE]: 'false',
  [TokenType.NULL]: 'null',
};

const EXPECTED_IN_STATE: Record<string, string> = {
  VALUE: 'a value',
  KEY: 'a field name in double quotes',
  COLON: '":" after a field name',
  COMMA: '"," or a closing bracket',
};

/** The parser's reason in plain words, and the byte offset it points at (relative to that parser). */
function describeError(error: unknown, token: TokenType | undefined): { reason: string; position?: number } {
  if (error instanceof TokenizerError) {
    const m = /^Unexpected "([\s\S]*)" at chunk position "\d+" \(absolute position "(\d+)"\)/.exec(error.message);
    if (m !== null) {
      const char = m[1]!;
      const code = char.charCodeAt(0);
      const shown = code < 0x20 || code > 0x7e ? `byte 0x${code.toString(16).padStart(2, '0')}` : JSON.stringify(char);
      return { reason: `unexpected ${shown}`, position: Number(m[2]) };
    }
    return { reason: error.message };
  }
  if (error instanceof TokenParserError) {
    const m = /in state (\w+)/.exec(error.message);
    const found = token === undefined ? 'something else' : (SHOWN_TOKEN[token] ?? 'something else');
    const state = m?.[1] ?? '';
    if (state === 'ENDED') return { reason: `${found} after the end of the JSON` };
    const expected = EXPECTED_IN_STATE[state];
    return { reason: expected === undefined ? `unexpected ${found}` : `expected ${expected}, found ${found}` };
  }
  if (error instanceof TypeError && /utf-?8/i.test(error.message)) return { reason: 'not valid UTF-8' };
  return { reason: error instanceof Error ? error.message : String(error) };
}

interface Element {
  /** Absolute byte offset of the element's first byte. */
  start: number;
  line: number;
  index: number;
}

interface PendingError {
  line: number;
  index?: number;
  errorLine: number;
  reason: string;
  text: string;
}

/**
 * Line numbers from byte offsets: the absolute offsets of the line breaks not yet passed. Queries
 * come in increasing order of offset, so passed breaks are folded into a count.
 */
class LineIndex {
  private breaks: number[] = [];
  private head = 0;
  private linesBefore = 0;
  /** The offset of the last line break before the last offset asked about (-1: none). */
  lastBreakBefore = -1;

  addChunk(chunk: Uint8Array, chunkStart: number): void {
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) this.breaks.push(chunkStart + lf);
  }

  lineOf(offset: number): number {
    while (this.head < this.breaks.length && this.breaks[this.head]! < offset) {
      this.lastBreakBefore = this.breaks[this.head]!;
      this.head++;
      this.linesBefore++;
    }
    if (this.head > 4096) {
      this.breaks = this.breaks.slice(this.head);
      this.head = 0;
    }
    return this.linesBefore + 1;
  }
}

/**
 * The reader's two states: `reading` feeds the parser; `skipping` (after broken JSON or an element
 * past a cap) scans for the next line that starts the way the file's elements start, where a new
 * parser resumes. `feed` takes the file chunk by chunk and returns the records each completes.
 */
class JsonRecordReader {
  private state: 'reading' | 'skipping' = 'reading';
  private readonly lines = new LineIndex();
  private readonly queue: RecordLine[] = [];
  private readonly elementDepth: number;
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0;
  /**
   * How the file's elements start: the whitespace before "{" on an element's first line, learnt
   * from the first element that starts a line. Undefined until then: no resuming before it is known.
   */
  private indent: Uint8Array | undefined;
  // The parser in use, made afresh after each resumption.
  private tokenizer!: Tokenizer;
  private depth = 0;
  /** Absolute offset = parser offset + shift. */
  private shift = 0;
  private nextIndex = 0;
  private current: Element | undefined;
  private lastToken: TokenType | undefined;
  private lastOffset = 0;
  /** The broken element, reported once reading resumes (with the lines skipped) or the file ends. */
  private pending: PendingError | undefined;
  /** While skipping: how much of the resume pattern (indent, then "{") the line has matched; -1: cannot. */
  private match = -1;
  /** Where skipping starts: the failure's position in the chunk (the rest of its line is skipped). */
  private skipFrom = 0;

  constructor(private readonly options: JsonRecordsOptions) {
    this.elementDepth = options.array ? 1 : 0;
    this.startParser(0, false);
  }

  /** One chunk of the file (after the BOM); the records it completes. */
  feed(bytes: Uint8Array): RecordLine[] {
    // While skipping, nothing before this chunk is asked about again: fold its line breaks away.
    if (this.state === 'skipping') this.lines.lineOf(this.chunkStart);
    this.chunk = bytes;
    this.lines.addChunk(bytes, this.chunkStart);
    this.feedChunk();
    this.chunkStart += bytes.length;
    return this.queue.splice(0);
  }

  /** The end of the file: what was left broken or open. */
  finish(): RecordLine[] {
    if (this.state === 'skipping') {
      if (this.pending !== undefined) {
        this.queue.push(
          errorRecord(
            this.pending,
            `not valid JSON at line ${this.pending.errorLine}: ${this.pending.reason}; nothing after it could be read`,
          ),
        );
      }
    } else if (!this.options.truncated) this.endParser();
    return this.queue.splice(0);
  }

  private endParser(): void {
    let ended = true;
    try {
      this.tokenizer.end(); // gives a number the file ends with
    } catch {
      ended = false;
    }
    const open = this.current;
    if (open !== undefined) {
      // The file ends inside an element (a download cut short): what the element held is lost.
      this.queue.push({
        line: open.line,
        index: open.index,
        error: 'not valid JSON: the file ends before this element does',
        text: this.lineText(open.start),
      });
    } else if (!ended) {
      this.queue.push({
        line: this.lines.lineOf(this.lastOffset),
        error: 'not valid JSON: the file ends in the middle of a value',
        text: '',
      });
    }
  }

  private startParser(absoluteStart: number, synthetic: boolean): void {
    const { array } = this.options;
    const tokenParser = new TokenParser({
      paths: [array ? '$.*' : '$'],
      keepStack: false,
      ...(array ? {} : { separator: '' }),
    });
    this.tokenizer = new Tokenizer({ stringBufferSize: 64 * 1024, ...(array ? {} : { separator: '' }) });
    this.depth = 0;
    this.current = undefined;
    this.shift = absoluteStart - (synthetic ? 1 : 0);
    this.tokenizer.onToken = (info: ParsedTokenInfo) => {
      this.onToken(info);
      tokenParser.write(info);
      this.afterToken(info.token);
    };
    tokenParser.onValue = ({ value }) => {
      const element = this.current;
      this.current = undefined;
      if (element === undefined) return;
      this.queue.push({ line: element.line, index: element.index, record: value, text: jsonExcerpt(value) });
    };
    // Resuming inside an array: a "[" the new parser reads first, so that it reads elements again.
    if (synthetic) this.tokenizer.write('[');
  }

  /** A token before the value parser sees it: where an element starts, and how elements are indented. */
  private onToken(info: ParsedTokenInfo): void {
    const offset = info.offset + this.shift;
    this.lastToken = info.token;
    this.lastOffset = offset;
    if (this.depth === this.elementDepth && VALUE_START.has(info.token)) {
      this.current = { start: offset, line: this.lines.lineOf(offset), index: this.nextIndex++ };
      if (this.indent === undefined && info.token === TokenType.LEFT_BRACE)
        this.indent = this.prefixOf(offset)?.slice();
    }
  }

  /** Depth after a token, with the nesting cap: deeper than MAX_NESTING is refused as it opens. */
  private afterToken(token: TokenType): void {
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
      if (++this.depth - this.elementDepth > MAX_NESTING) {
        throw new ElementTooLarge(`the element is nested more than ${MAX_NESTING} levels deep`);
      }
    } else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) this.depth--;
  }

  /** The whitespace between the start of the line and `offset`, when that line starts in this chunk. */
  private prefixOf(offset: number): Uint8Array | undefined {
    const lineStart = this.lines.lastBreakBefore + 1;
    if (lineStart < this.chunkStart || offset > this.chunkStart + this.chunk.length) return undefined;
    const prefix = this.chunk.subarray(lineStart - this.chunkStart, offset - this.chunkStart);
    return prefix.every((b) => b === SPACE || b === TAB) ? prefix : undefined;
  }

  /** Whether an element's "{" at `offset` starts its line the way the file's elements do. */
  private startsLikeAnElement(offset: number): boolean {
    const prefix = this.prefixOf(offset);
    return (
      this.indent !== undefined &&
      prefix !== undefined &&
      prefix.length === this.indent.length &&
      this.chunk[offset - this.chunkStart] === LEFT_BRACE
    );
  }

  /** The text of the line around an absolute offset, from the current chunk, for the user. */
  private lineText(offset: number): string {
    const { chunk, chunkStart } = this;
    const from = Math.max(chunkStart, Math.min(offset, chunkStart + chunk.length));
    let start = from - chunkStart;
    while (start > 0 && chunk[start - 1] !== LF) start--;
    let end = chunk.indexOf(LF, start);
    if (end === -1) end = chunk.length;
    return lenient.decode(chunk.subarray(start, Math.min(end, start + 480))).trim();
  }

  /** Back to reading at an absolute offset, reporting the broken element and the lines skipped. */
  private resume(absoluteStart: number): void {
    const pending = this.pending;
    if (pending !== undefined) {
      const last = this.lines.lineOf(absoluteStart) - 1;
      const skipped =
        last > pending.errorLine
          ? `; lines ${pending.errorLine} to ${last} were skipped`
          : last === pending.errorLine
            ? `; line ${last} was skipped`
            : '';
      this.queue.push(errorRecord(pending, `not valid JSON at line ${pending.errorLine}: ${pending.reason}${skipped}`));
      this.pending = undefined;
    }
    this.state = 'reading';
    this.startParser(absoluteStart, this.options.array);
  }

  /**
   * Records why the parser failed and where to go on: a chunk position to resume the parser at,
   * or undefined to skip to a line that starts an element (from `skipFrom`).
   */
  private fail(error: unknown): number | undefined {
    const { reason, position } = describeError(error, this.lastToken);
    const broken = this.current;
    const errorOffset = Math.max(
      position !== undefined ? position + this.shift : Math.max(this.lastOffset, this.chunkStart),
      broken?.start ?? 0,
    );
    const errorLine = this.lines.lineOf(errorOffset);
    this.pending = { line: broken?.line ?? errorLine, errorLine, reason, text: this.lineText(errorOffset) };
    if (broken !== undefined) this.pending.index = broken.index;
    this.state = 'skipping';
    this.current = undefined;
    this.match = -1;
    // Nothing was read of the broken element: the next one found gets the next index.
    if (broken !== undefined) this.nextIndex = broken.index + 1;
    // A "{" where the parser wanted something else, at the start of a line the way elements
    // start: the element before it is broken (or a "," is missing), and this one starts here.
    if (
      error instanceof TokenParserError &&
      this.lastToken === TokenType.LEFT_BRACE &&
      this.startsLikeAnElement(errorOffset)
    ) {
      if (broken !== undefined && broken.start === errorOffset) {
        // Only the "," before this element was missing: it is read again, keeping its index.
        this.pending.line = errorLine;
        delete this.pending.index;
        this.nextIndex = broken.index;
      }
      this.resume(errorOffset);
      return errorOffset - this.chunkStart;
    }
    this.skipFrom = Math.max(0, Math.min(this.chunk.length, errorOffset - this.chunkStart));
    return undefined;
  }

  /** Skipping: the chunk position of the next line that starts like an element, from `from`, or -1. */
  private scan(from: number): number {
    const pattern = this.indent;
    if (pattern === undefined) return -1; // no way to resume: the rest is reported at the end
    const chunk = this.chunk;
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF) this.match = 0;
      else if (this.match < 0) continue;
      else if (this.match < pattern.length) this.match = pattern[this.match] === b ? this.match + 1 : -1;
      else if (b === LEFT_BRACE) return i;
      else this.match = -1;
    }
    return -1;
  }

  /** Reading: the chunk from `from` to the parser; undefined when all of it was read, else where to go on. */
  private read(from: number): number | undefined {
    try {
      // An element that would grow past the cap with this chunk is given up before it does.
      const open = this.current;
      if (open !== undefined && this.chunkStart + this.chunk.length - open.start > MAX_LINE_BYTES) {
        throw new ElementTooLarge(
          `the element is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MB one record may take`,
        );
      }
      this.tokenizer.write(from === 0 ? this.chunk : this.chunk.subarray(from));
      return undefined;
    } catch (error) {
      return this.fail(error) ?? this.skipFrom;
    }
  }

  /** The current chunk through both states until it is used up. */
  private feedChunk(): void {
    let from = 0;
    for (;;) {
      if (this.state === 'reading') {
        const next = this.read(from);
        if (next === undefined) return;
        from = next;
        if (this.state === 'reading') continue; // resumed at once, at a "{" that starts its line
      }
      const found = this.scan(from);
      if (found < 0) return;
      this.resume(this.chunkStart + found);
      from = found;
    }
  }
}

export async function* readJsonRecords(
  stream: ReadableStream<Uint8Array>,
  options: JsonRecordsOptions,
): AsyncGenerator<RecordLine> {
  const records = new JsonRecordReader(options);
  const reader = stream.getReader();
  let finished = false;
  try {
    let first = true;
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      let bytes = next.value;
      if (first) {
        first = false;
        if (startsWith(bytes, UTF8_BOM)) bytes = bytes.subarray(UTF8_BOM.length);
      }
      if (bytes.length > 0) yield* records.feed(bytes);
    }
    finished = true;
    yield* records.finish();
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function errorRecord(pending: PendingError, error: string): RecordLine {
  const record: RecordLine = { line: pending.line, error, text: pending.text };
  if (pending.index !== undefined) record.index = pending.index;
  return record;
}
