// Streaming line reader for JSONL files of any size: a File's stream() in the browser, a web
// stream in Node. Lines come out one at a time, so a large file is never held as one string.
//
// Lines are split on the byte 0x0A before decoding. In UTF-8 that byte never occurs inside a
// multi-byte character, so a character cut by a chunk boundary is always whole again once its
// line is joined, and each line is then decoded on its own. Decoding line by line (rather than
// one streaming decode of the whole file) is what lets a line with bad bytes be flagged exactly,
// instead of U+FFFD appearing in it unnoticed.

export interface Line {
  /** 1-based, counting every physical line of the file, the empty ones included. */
  line: number;
  text: string;
  /** The line's bytes are not valid UTF-8; `text` then has U+FFFD where they were. */
  invalidUtf8?: true;
  /** The line is longer than the cap: it was not read whole, and `text` is only its start. */
  tooLong?: true;
}

/**
 * The most bytes one line may take. What one record costs is bounded by it: a small gzip that
 * inflates to one 1 GB line is refused at this many bytes instead of filling memory. Far above
 * any real preference record (a 10 MB one reads fine).
 */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;
/** Why a line longer than the cap was not read. */
export const tooLongReason = `the line is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MB a line may hold: it was not read`;
/** How much of an over-long line is kept, for the user to recognise it. */
const TOO_LONG_KEPT = 1024;

const LF = 0x0a;
const CR = 0x0d;
// ignoreBOM keeps a U+FEFF in the text: only line 1 may start with a BOM, and we strip it ourselves.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

function concat(parts: Uint8Array[], last: Uint8Array): Uint8Array {
  if (parts.length === 0) return last;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, last.length));
  let offset = 0;
  for (const part of [...parts, last]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

export interface ReadLinesOptions {
  /** Yield blank lines too (CSV needs them: a quoted cell may hold an empty line). */
  blank?: boolean;
  /** Lines longer than this are given as `tooLong` with only their start (MAX_LINE_BYTES by default). */
  maxLineBytes?: number;
}

/** JSON's whitespace: a line of only these is blank. Other whitespace (NBSP, U+3000) is content JSON refuses. */
const JSON_BLANK = /^[ \t\r\n]*$/;

/** Decodes one line's bytes (without its LF); undefined for a blank line, unless blank lines are wanted. */
function decodeLine(bytes: Uint8Array, line: number, blank = false): Line | undefined {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CR) end--; // CRLF files (Windows, many CSV-to-JSONL tools)
  const start = line === 1 && hasBom(bytes) ? 3 : 0;
  const content = bytes.subarray(start, Math.max(start, end));
  let text: string;
  let invalid = false;
  try {
    text = strict.decode(content);
  } catch {
    text = lenient.decode(content);
    invalid = true;
  }
  // A line of spaces is as empty as an empty one: JSONL writers leave them, and they hold no record.
  if (!blank && JSON_BLANK.test(text)) return undefined;
  return invalid ? { line, text, invalidUtf8: true } : { line, text };
}

/**
 * The non-blank lines of a UTF-8 stream (every line, with `{ blank: true }`). `onBytes` gets the
 * running count of bytes read after each chunk's lines have been consumed, for a progress bar
 * against the file's size. Stopping the iteration early cancels the stream.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  onBytes?: (bytesRead: number) => void,
  options: ReadLinesOptions = {},
): AsyncGenerator<Line> {
  const blank = options.blank === true;
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const reader = stream.getReader();
  let finished = false;
  try {
    let bytesRead = 0;
    let line = 0;
    // The current line's bytes from earlier chunks; a line can span many chunks.
    let pending: Uint8Array[] = [];
    let pendingLength = 0;
    // Past the cap: only the line's start is kept, the rest is counted off until its end.
    let overLong: Uint8Array | undefined;
    const finishLine = (last: Uint8Array): Line | undefined => {
      line++;
      if (overLong === undefined && pendingLength + last.length <= maxLineBytes) {
        const bytes = concat(pending, last);
        pending = [];
        pendingLength = 0;
        return decodeLine(bytes, line, blank);
      }
      const start = overLong ?? concat(pending, last).subarray(0, TOO_LONG_KEPT);
      pending = [];
      pendingLength = 0;
      overLong = undefined;
      return { line, text: lenient.decode(start).replace(/\uFFFD+$/, ''), tooLong: true };
    };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytesRead += value.length;
      let start = 0;
      for (let lf = value.indexOf(LF); lf !== -1; lf = value.indexOf(LF, start)) {
        const decoded = finishLine(value.subarray(start, lf));
        start = lf + 1;
        if (decoded !== undefined) yield decoded;
      }
      if (start < value.length) {
        const rest = value.subarray(start);
        if (overLong === undefined && pendingLength + rest.length > maxLineBytes) {
          overLong = concat(pending, rest).slice(0, TOO_LONG_KEPT);
          pending = [];
          pendingLength = 0;
        } else if (overLong === undefined) {
          // A copy: a stream may reuse the chunk's buffer once we ask for the next one.
          pending.push(rest.slice());
          pendingLength += rest.length;
        }
      }
      onBytes?.(bytesRead);
    }
    finished = true;
    if (pendingLength > 0 || overLong !== undefined) {
      const decoded = finishLine(new Uint8Array(0));
      if (decoded !== undefined) yield decoded;
    }
  } finally {
    // Reached through return() when the consumer stops early: stop reading the file too.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A byte stream of `bytes` in chunks of `chunkSize`, as a file would arrive. */
export function streamOfBytes(bytes: Uint8Array, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/** readLines over a string already in memory (tests, Node scripts, pasted text). */
export function readLinesFromText(text: string, chunkSize?: number): AsyncGenerator<Line> {
  return readLines(streamOfBytes(new TextEncoder().encode(text), chunkSize));
}
