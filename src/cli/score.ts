// `rmlab score`: rows of {prompt, response} or {prompt, responses: [...]} in (JSONL, JSON, CSV or
// TSV, gzipped or not, read as the import reads them), the same rows
// out as JSON lines with `reward` or `rewards` added: the row shape the app's batch scoring reads
// (src/core/eval/score-rows.ts), scored by the same code (src/core/eval/score.ts). A row that
// cannot be scored is reported on stderr with its line and reason, and left out of the output.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { RejectedLine } from '../core/data/pair.ts';
import { parseScoreRecord, scoredRecord, type ScoreRow } from '../core/eval/score-rows.ts';
import { scoreTexts } from '../core/eval/score.ts';
import { useNodeBackend } from './backend.ts';
import { describeRejected, fileRecords, requireFile } from './data-file.ts';
import { loadModelFile } from './model-file-io.ts';
import { helpText, parseCommand, UsageError, type CommandOption } from './options.ts';

const OPTIONS: CommandOption[] = [
  { name: 'model', value: '<file>', help: 'A model file (.rmlab.safetensors).', required: true },
  {
    name: 'data',
    value: '<file>',
    help: 'Rows {prompt, response} or {prompt, responses: [...]}: JSONL, JSON, CSV or TSV (gzipped or not).',
    required: true,
  },
  { name: 'out', value: '<file>', help: 'Write the scored rows here instead of stdout.' },
  { name: 'backend', value: 'wasm|cpu', help: 'Where the math runs.', default: 'wasm' },
];

export const SCORE_USAGE = 'rmlab score --model <file> --data <file> [--out scored.jsonl]';

export function scoreHelp(): string {
  return helpText(
    SCORE_USAGE,
    'Scores responses with a trained model: each row comes back as a JSON line with "reward" (one ' +
      'response) or "rewards" (a list, in the order of "responses") added.',
    OPTIONS,
    false,
  );
}

/** Rows scored per read-back: bounds memory on a large file, and output starts early. */
const ROWS_PER_CHUNK = 256;

export async function score(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, false);
  if (parsed.help) {
    process.stdout.write(scoreHelp());
    return 0;
  }
  const backendChoice = parsed.values.backend;
  if (backendChoice !== 'wasm' && backendChoice !== 'cpu')
    throw new UsageError(`--backend must be wasm or cpu, got "${backendChoice}"`);
  const dataPath = parsed.values.data!;
  requireFile(dataPath); // named before the model is loaded
  await useNodeBackend(backendChoice);
  const { model, tokenizer, maxLength } = loadModelFile(parsed.values.model!);
  const out: Writable = parsed.values.out ? createWriteStream(parsed.values.out) : process.stdout;
  const rejected: RejectedLine[] = [];
  let scored = 0;
  let chunk: ScoreRow[] = [];

  const flush = async () => {
    const items = chunk.flatMap((row) => row.responses.map((response) => ({ prompt: row.prompt, response })));
    const rewards = await scoreTexts(model, tokenizer, items, { maxLength });
    let at = 0;
    for (const row of chunk) {
      const mine = Array.from(rewards.subarray(at, at + row.responses.length));
      at += row.responses.length;
      await write(out, JSON.stringify(scoredRecord(row, mine)) + '\n');
    }
    scored += chunk.length;
    chunk = [];
  };

  try {
    for await (const record of fileRecords(dataPath)) {
      if (record.error !== undefined) {
        rejected.push({ line: record.line, reason: record.error, excerpt: record.text });
        continue;
      }
      const result = parseScoreRecord(record.record, record.line);
      if (!result.ok) {
        rejected.push(result.rejected);
        continue;
      }
      chunk.push(result.row);
      if (chunk.length >= ROWS_PER_CHUNK) await flush();
    }
    if (chunk.length > 0) await flush();
  } finally {
    model.dispose();
    if (out !== process.stdout) await new Promise<void>((done) => out.end(done));
  }
  if (rejected.length > 0) {
    process.stderr.write(
      [`${dataPath}: ${rejected.length} rows not scored`, ...describeRejected(rejected)].join('\n') + '\n',
    );
  }
  process.stderr.write(`scored ${scored} rows\n`);
  if (scored === 0) throw new Error(`no row of ${dataPath} could be scored`);
  return 0;
}

/** Writes with back-pressure, so a large output does not pile up in memory. */
function write(stream: Writable, text: string): Promise<void> {
  return stream.write(text) ? Promise.resolve() : new Promise((done) => stream.once('drain', done));
}
