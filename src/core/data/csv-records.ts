// CSV and TSV -> records, streaming: the header row names the fields, each later row is one record
// (an object of text cells), with the physical line it starts on. A quoted cell may span lines
// (a response with paragraphs), so rows are assembled from lines first: a row ends at a line
// break outside quotes. Each row is then split into cells by Papa Parse.
//
// Cells are text. Which of them hold numbers or JSON (a message list, a list of turns) is the
// format's business: records carry `cells: true` and parseRecords reads them by the format's table.

import Papa from 'papaparse';
import { clip } from './excerpt.ts';
import { type Line, readLines, tooLongReason } from './jsonl.ts';
import type { RecordLine } from './records.ts';

export interface CsvRecordsOptions {
  delimiter: ',' | '\t';
  /** Only the start of the file: a row whose quotes are still open at the end is left out, not reported. */
  truncated?: boolean;
}

/** A row longer than this many physical lines or characters is taken to be a quote never closed. */
const MAX_ROW_LINES = 100_000;
const MAX_ROW_CHARS = 64 * 1024 * 1024;

const QUOTE = '"';

/**
 * Follows the quoting of one line of a row: whether the row is still inside a quoted cell at the
 * end of the line. As in Papa Parse (and RFC 4180), a quote opens a quoted cell only at the start
 * of a cell, and "" inside one is a quote character.
 */
function stillQuoted(text: string, delimiter: string, quoted: boolean): boolean {
  let cellStart = !quoted;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === QUOTE) {
        if (text[i + 1] === QUOTE) i++;
        else quoted = false;
      }
      continue;
    }
    if (c === delimiter) cellStart = true;
    else {
      if (c === QUOTE && cellStart) quoted = true;
      cellStart = false;
    }
  }
  return quoted;
}

/** Header names made unique and non-empty: a record cannot have two fields of one name. */
function fieldNames(header: string[]): string[] {
  const seen = new Set<string>();
  return header.map((raw, i) => {
    let name = raw.trim() === '' ? `column_${i + 1}` : raw;
    for (let n = 2; seen.has(name); n++) name = `${raw}_${n}`;
    seen.add(name);
    return name;
  });
}

function splitRow(text: string, delimiter: string): { cells: string[]; error?: string } {
  const result = Papa.parse<string[]>(text, {
    delimiter,
    quoteChar: QUOTE,
    header: false,
    newline: '\n',
    skipEmptyLines: false,
  });
  const cells = result.data[0] ?? [''];
  const problem = result.errors.find((e) => e.type === 'Quotes');
  if (problem !== undefined)
    return { cells, error: `not valid ${delimiter === '\t' ? 'TSV' : 'CSV'}: ${problem.message}` };
  // A row with a line break inside quotes is one row; Papa gives more only when quoting is broken.
  if (result.data.length > 1) {
    return { cells, error: `not valid ${delimiter === '\t' ? 'TSV' : 'CSV'}: the row's quotes do not pair up` };
  }
  return { cells };
}

export async function* readCsvRecords(
  stream: ReadableStream<Uint8Array>,
  options: CsvRecordsOptions,
): AsyncGenerator<RecordLine> {
  const { delimiter } = options;
  const kind = delimiter === '\t' ? 'TSV' : 'CSV';
  let fields: string[] | undefined;

  /** One assembled row -> a record (or the header, which yields nothing). */
  const rowRecord = (lines: Line[]): RecordLine | undefined => {
    const first = lines[0]!;
    const text = lines.map((l) => l.text).join('\n');
    if (text.trim() === '') return undefined; // a blank line between rows holds no record
    const { cells, error } = splitRow(text, delimiter);
    if (fields === undefined) {
      fields = fieldNames(cells);
      return undefined;
    }
    if (lines.some((l) => l.tooLong)) return { line: first.line, error: tooLongReason, text: clip(text) };
    if (lines.some((l) => l.invalidUtf8)) return { line: first.line, error: 'not valid UTF-8', text: clip(text) };
    if (error !== undefined) return { line: first.line, error, text: clip(text) };
    if (cells.length !== fields.length) {
      return {
        line: first.line,
        error: `this row has ${cells.length} ${cells.length === 1 ? 'cell' : 'cells'}, but the header has ${fields.length} columns`,
        text: clip(text),
      };
    }
    // fromEntries defines own properties: a "__proto__" column stays a plain field.
    const record = Object.fromEntries(fields.map((name, i) => [name, cells[i]!]));
    return { line: first.line, record, text: clip(text), cells: true };
  };

  let row: Line[] = [];
  let rowChars = 0;
  let quoted = false;

  /** Feeds one physical line; gives the records it completes (more than one after a row is re-read). */
  function* take(line: Line): Generator<RecordLine> {
    row.push(line);
    rowChars += line.text.length + 1;
    quoted = stillQuoted(line.text, delimiter, quoted);
    if (!quoted) {
      const record = rowRecord(row);
      row = [];
      rowChars = 0;
      if (record !== undefined) yield record;
      return;
    }
    if (row.length >= MAX_ROW_LINES || rowChars >= MAX_ROW_CHARS) yield* unclosed();
  }

  /**
   * A quote that never closes: the row's first line is reported, and the lines after it are read
   * again as rows of their own, so that one stray quote does not swallow the rest of the file.
   */
  function* unclosed(): Generator<RecordLine> {
    const [first, ...rest] = row;
    row = [];
    rowChars = 0;
    quoted = false;
    if (first === undefined) return;
    if (fields === undefined) fields = fieldNames(splitRow(first.text, delimiter).cells);
    else {
      yield {
        line: first.line,
        error: `not valid ${kind}: a quoted cell that starts on this line is never closed`,
        text: clip(first.text),
      };
    }
    for (const line of rest) yield* take(line);
  }

  for await (const line of readLines(stream, undefined, { blank: true })) {
    yield* take(line);
  }
  // The file ends inside quotes: in a sample that is where it was cut; in a file, a stray quote.
  while (row.length > 0) {
    if (options.truncated) return;
    yield* unclosed();
  }
}
