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

export async function* readJsonRecords(
  stream: ReadableStream<Uint8Array>,
  options: JsonRecordsOptions,
): AsyncGenerator<RecordLine> {
  const elementDepth = options.array ? 1 : 0;
  const queue: RecordLine[] = [];

  // Line numbers: the absolute offsets of the line breaks not yet passed. Queries come in
  // increasing order of offset, so passed breaks are folded into a count.
  let breaks: number[] = [];
  let breakHead = 0;
  let linesBefore = 0;
  let lastBreakBefore = -1;
  const lineOf = (offset: number): number => {
    while (breakHead < breaks.length && breaks[breakHead]! < offset) {
      lastBreakBefore = breaks[breakHead]!;
      breakHead++;
      linesBefore++;
    }
    if (breakHead > 4096) {
      breaks = breaks.slice(breakHead);
      breakHead = 0;
    }
    return linesBefore + 1;
  };

  let chunk: Uint8Array = new Uint8Array(0);
  let chunkStart = 0;

  // How the file's elements start: the whitespace before "{" on an element's first line, learnt
  // from the first element that starts a line. Undefined until then: no resuming before it is known.
  let indent: Uint8Array | undefined;
  /** The whitespace between the start of the line and `offset`, when that line starts in this chunk. */
  const prefixOf = (offset: number): Uint8Array | undefined => {
    const lineStart = lastBreakBefore + 1;
    if (lineStart < chunkStart || offset > chunkStart + chunk.length) return undefined;
    const prefix = chunk.subarray(lineStart - chunkStart, offset - chunkStart);
    return prefix.every((b) => b === SPACE || b === TAB) ? prefix : undefined;
  };
  /** Whether an element's "{" at `offset` starts its line the way the file's elements do. */
  const startsLikeAnElement = (offset: number): boolean => {
    const prefix = prefixOf(offset);
    return (
      indent !== undefined &&
      prefix !== undefined &&
      prefix.length === indent.length &&
      chunk[offset - chunkStart] === LEFT_BRACE
    );
  };

  // The parser in use, made afresh after each resumption.
  let tokenizer!: Tokenizer;
  let depth = 0;
  let shift = 0; // absolute offset = parser offset + shift
  let nextIndex = 0;
  let current: Element | undefined;
  let lastToken: TokenType | undefined;
  let lastOffset = 0;
  let failed = false;
  let pending: PendingError | undefined;
  // While skipping broken JSON: how much of the resume pattern (indent, then "{") the current
  // line has matched so far; -1 while the line cannot match.
  let match = -1;
  /** Where skipping starts: the failure's position in the chunk (the rest of its line is skipped). */
  let skipFrom = 0;

  const startParser = (absoluteStart: number, synthetic: boolean): void => {
    const tokenParser = new TokenParser({
      paths: [options.array ? '$.*' : '$'],
      keepStack: false,
      ...(options.array ? {} : { separator: '' }),
    });
    tokenizer = new Tokenizer({ stringBufferSize: 64 * 1024, ...(options.array ? {} : { separator: '' }) });
    depth = 0;
    current = undefined;
    shift = absoluteStart - (synthetic ? 1 : 0);
    tokenizer.onToken = (info: ParsedTokenInfo) => {
      const offset = info.offset + shift;
      lastToken = info.token;
      lastOffset = offset;
      if (depth === elementDepth && VALUE_START.has(info.token)) {
        current = { start: offset, line: lineOf(offset), index: nextIndex++ };
        if (indent === undefined && info.token === TokenType.LEFT_BRACE) indent = prefixOf(offset)?.slice();
      }
      tokenParser.write(info);
      if (info.token === TokenType.LEFT_BRACE || info.token === TokenType.LEFT_BRACKET) {
        if (++depth - elementDepth > MAX_NESTING) {
          throw new ElementTooLarge(`the element is nested more than ${MAX_NESTING} levels deep`);
        }
      } else if (info.token === TokenType.RIGHT_BRACE || info.token === TokenType.RIGHT_BRACKET) depth--;
    };
    tokenParser.onValue = ({ value }) => {
      const element = current;
      current = undefined;
      if (element === undefined) return;
      queue.push({ line: element.line, index: element.index, record: value, text: jsonExcerpt(value) });
    };
    // Resuming inside an array: a "[" the new parser reads first, so that it reads elements again.
    if (synthetic) tokenizer.write('[');
  };

  /** The text of the line around an absolute offset, from the current chunk, for the user. */
  const lineText = (offset: number): string => {
    const from = Math.max(chunkStart, Math.min(offset, chunkStart + chunk.length));
    let start = from - chunkStart;
    while (start > 0 && chunk[start - 1] !== LF) start--;
    let end = chunk.indexOf(LF, start);
    if (end === -1) end = chunk.length;
    return lenient.decode(chunk.subarray(start, Math.min(end, start + 480))).trim();
  };

  const resume = (absoluteStart: number): void => {
    if (pending !== undefined) {
      const resumeLine = lineOf(absoluteStart);
      const last = resumeLine - 1;
      const skipped =
        last > pending.errorLine
          ? `; lines ${pending.errorLine} to ${last} were skipped`
          : last === pending.errorLine
            ? `; line ${last} was skipped`
            : '';
      queue.push(errorRecord(pending, `not valid JSON at line ${pending.errorLine}: ${pending.reason}${skipped}`));
      pending = undefined;
    }
    failed = false;
    startParser(absoluteStart, options.array);
  };

  /**
   * Records why the parser failed and where to go on: a chunk position to resume the parser at,
   * or undefined to skip to a line that starts an element.
   */
  const fail = (error: unknown): number | undefined => {
    const { reason, position } = describeError(error, lastToken);
    const broken = current;
    const errorOffset = Math.max(
      position !== undefined ? position + shift : Math.max(lastOffset, chunkStart),
      broken?.start ?? 0,
    );
    const errorLine = lineOf(errorOffset);
    pending = { line: broken?.line ?? errorLine, errorLine, reason, text: lineText(errorOffset) };
    if (broken !== undefined) pending.index = broken.index;
    failed = true;
    current = undefined;
    match = -1;
    // Nothing was read of the broken element: the next one found gets the next index.
    if (broken !== undefined) nextIndex = broken.index + 1;
    // A "{" where the parser wanted something else, at the start of a line the way elements
    // start: the element before it is broken (or a "," is missing), and this one starts here.
    if (error instanceof TokenParserError && lastToken === TokenType.LEFT_BRACE && startsLikeAnElement(errorOffset)) {
      if (broken !== undefined && broken.start === errorOffset) {
        // Only the "," before this element was missing: it is read again, keeping its index.
        pending.line = errorLine;
        delete pending.index;
        nextIndex = broken.index;
      }
      resume(errorOffset);
      return errorOffset - chunkStart;
    }
    skipFrom = Math.max(0, Math.min(chunk.length, errorOffset - chunkStart));
    return undefined;
  };

  /** Skips to the next line that starts like an element, from chunk position `from`; its position, or -1. */
  const scan = (from: number): number => {
    const pattern = indent;
    if (pattern === undefined) return -1; // no way to resume: the rest is reported at the end
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF) match = 0;
      else if (match < 0) continue;
      else if (match < pattern.length) match = pattern[match] === b ? match + 1 : -1;
      else if (b === LEFT_BRACE) return i;
      else match = -1;
    }
    return -1;
  };

  /** Writes the current chunk to the parser, skipping broken parts and resuming after them. */
  const feedChunk = (): void => {
    let from = 0;
    for (;;) {
      if (!failed) {
        try {
          // An element that would grow past the cap with this chunk is given up before it does.
          if (current !== undefined && chunkStart + chunk.length - current.start > MAX_LINE_BYTES) {
            throw new ElementTooLarge(
              `the element is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MB one record may take`,
            );
          }
          tokenizer.write(from === 0 ? chunk : chunk.subarray(from));
          return;
        } catch (error) {
          const at = fail(error);
          if (at !== undefined) {
            from = at;
            continue;
          }
          from = skipFrom;
        }
      }
      const found = scan(from);
      if (found < 0) return;
      resume(chunkStart + found);
      from = found;
    }
  };

  startParser(0, false);
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
      if (bytes.length === 0) continue;
      // While skipping, nothing before this chunk is asked about again: fold its line breaks away.
      if (failed) lineOf(chunkStart);
      chunk = bytes;
      for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) breaks.push(chunkStart + lf);
      feedChunk();
      chunkStart += chunk.length;
      yield* queue.splice(0);
    }
    finished = true;
    if (failed) {
      if (pending !== undefined) {
        queue.push(
          errorRecord(
            pending,
            `not valid JSON at line ${pending.errorLine}: ${pending.reason}; nothing after it could be read`,
          ),
        );
      }
    } else if (!options.truncated) {
      let ended = true;
      try {
        tokenizer.end(); // gives a number the file ends with
      } catch {
        ended = false;
      }
      const open = current;
      if (open !== undefined) {
        // The file ends inside an element (a download cut short): what the element held is lost.
        queue.push({
          line: open.line,
          index: open.index,
          error: 'not valid JSON: the file ends before this element does',
          text: lineText(open.start),
        });
      } else if (!ended) {
        queue.push({
          line: lineOf(lastOffset),
          error: 'not valid JSON: the file ends in the middle of a value',
          text: '',
        });
      }
    }
    yield* queue.splice(0);
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
