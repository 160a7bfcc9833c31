// `rmlab score`: rows of {prompt, response} or {prompt, responses: [...]} in (JSONL, JSON, CSV or
// TSV, gzipped or not, read as the import reads them), the same rows
// out as JSON lines with `reward` or `rewards` added: the row shape the app's batch scoring reads
// (src/core/eval/score-rows.ts), scored by the same code (src/core/eval/score.ts). A row that
// cannot be scored is reported on stderr with its line and reason, and left out of the output.
//
// A file of preference pairs (any format the import reads, or any layout through --map) is scored
// too: both responses of every pair, out as one JSON line a pair with reward_a, reward_b and
// p_a_better = sigmoid(reward_a - reward_b); stderr says how often the model agrees with the label.
import type { FieldMapping } from '../core/data/formats/mapping.ts';
import { createWriteStream, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { RejectedLine } from '../core/data/pair.ts';
import { parseScoreRecord, scoredRecord, type ScoreRow } from '../core/eval/score-rows.ts';
import { scoreTexts } from '../core/eval/score.ts';
import { BACKEND_OPTION, useNodeBackend } from './backend.ts';
import { describeRejected, fileRecords, readPairFile, requireFile, requirePairs } from './data-file.ts';
import { loadModelFile, readModelFile } from './model-file-io.ts';
import { openReadyRewardModel } from './encoder.ts';
import { openQuickHeadFile, type CliScorer } from './quick-head-file.ts';
import { isQuickHeadSpec } from '../core/quick-head/spec.ts';
import { helpText, parseCommand, UsageError, type CommandOption } from './options.ts';
import { MAP_HELP, parseFieldMap } from './field-map.ts';
import { textOf, type Pair } from '../core/data/pair.ts';
import { describeAccuracy, heldOutAccuracy } from '../core/eval/baselines/index.ts';

const OPTIONS: CommandOption[] = [
  {
    name: 'model',
    value: '<file|folder|hub id>',
    help:
      'A model file (.rmlab.safetensors; a quick head loads its embedding model from $HF_ENDPOINT or the Hub, ' +
      'cached in $RMLAB_HUB_CACHE or ~/.cache/rmlab/hub), or a reward model as a Hugging Face folder or Hub id ' +
      '(a *ForSequenceClassification checkpoint with one label, e.g. a folder RM Lab exported).',
    required: true,
  },
  {
    name: 'data',
    value: '<file>',
    help:
      'Rows {prompt, response} or {prompt, responses: [...]}, or preference pairs in any format the app imports ' +
      '(both responses are scored): JSONL, JSON, CSV or TSV (gzipped or not).',
    required: true,
  },
  { name: 'map', value: '<mapping>', help: `${MAP_HELP} The file is then read as pairs.` },
  { name: 'out', value: '<file>', help: 'Write the scored rows here instead of stdout.' },
  BACKEND_OPTION,
];

export const SCORE_USAGE = 'rmlab score --model <file|folder|hub id> --data <file> [--out scored.jsonl]';

/**
 * A model file when --model is a file (a quick head on its embedding model, or an RM Lab model);
 * otherwise a reward model's Hugging Face folder (disk, Hub, URL).
 */
async function loadScoringModel(path: string): Promise<CliScorer> {
  if (isFile(path)) {
    const read = readModelFile(path);
    const spec = read.file.spec;
    if (isQuickHeadSpec(spec)) return openQuickHeadFile(path, { ...read.file, spec });
    const { model, tokenizer, maxLength } = loadModelFile(path, read);
    return { score: (items) => scoreTexts(model, tokenizer, items, { maxLength }), dispose: () => model.dispose() };
  }
  const { model, tokenizer, maxLength } = await openReadyRewardModel(path);
  return { score: (items) => scoreTexts(model, tokenizer, items, { maxLength }), dispose: () => model.dispose() };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

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
  const mapping = parsed.values.map !== undefined ? parseFieldMap(parsed.values.map) : undefined;
  if (mapping || (await readsAsPairs(dataPath))) {
    const scorer = await loadScoringModel(parsed.values.model!);
    try {
      return await scorePairs(dataPath, mapping, scorer, parsed.values.out);
    } finally {
      scorer.dispose();
    }
  }
  const scorer = await loadScoringModel(parsed.values.model!);
  const out: Writable = parsed.values.out ? createWriteStream(parsed.values.out) : process.stdout;
  const rejected: RejectedLine[] = [];
  let scored = 0;
  let chunk: ScoreRow[] = [];

  const flush = async () => {
    const items = chunk.flatMap((row) => row.responses.map((response) => ({ prompt: row.prompt, response })));
    const rewards = Array.from(await scorer.score(items));
    let at = 0;
    for (const row of chunk) {
      const mine = rewards.slice(at, at + row.responses.length);
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
    scorer.dispose();
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

/** Whether the file's first record is a preference pair rather than a row to score (no "response(s)"). */
async function readsAsPairs(path: string): Promise<boolean> {
  for await (const record of fileRecords(path)) {
    if (record.error !== undefined) continue;
    const r = record.record as Record<string, unknown>;
    return !('response' in r) && !('responses' in r);
  }
  return false;
}

async function scorePairs(
  dataPath: string,
  mapping: FieldMapping | undefined,
  scorer: CliScorer,
  outPath: string | undefined,
): Promise<number> {
  const file = await readPairFile(dataPath, { mapping });
  requirePairs(file, dataPath);
  if (file.rejected.length > 0) {
    process.stderr.write(
      [`${dataPath}: ${file.rejected.length} records not read as pairs`, ...describeRejected(file.rejected)].join(
        '\n',
      ) + '\n',
    );
  }
  const out: Writable = outPath ? createWriteStream(outPath) : process.stdout;
  let agree = 0;
  let decisive = 0;
  try {
    for (let start = 0; start < file.pairs.length; start += ROWS_PER_CHUNK) {
      const chunk = file.pairs.slice(start, start + ROWS_PER_CHUNK);
      const items = chunk.flatMap((p) => [
        { prompt: textOf(p.prompt), response: textOf(p.responseA) },
        { prompt: textOf(p.prompt), response: textOf(p.responseB) },
      ]);
      const rewards = await scorer.score(items);
      for (const [i, pair] of chunk.entries()) {
        const a = rewards[2 * i]!;
        const b = rewards[2 * i + 1]!;
        if (pair.winner === 'a' || pair.winner === 'b') {
          decisive++;
          if (pair.winner === 'a' ? a > b : b > a) agree++;
        }
        await write(out, JSON.stringify(scoredPair(pair, a, b)) + '\n');
      }
    }
  } finally {
    if (out !== process.stdout) await new Promise<void>((done) => out.end(done));
  }
  const agreement =
    decisive > 0
      ? `; it prefers the labelled winner in ${describeAccuracy(heldOutAccuracy(agree / decisive, decisive))} of the decisive pairs`
      : '';
  process.stderr.write(`scored both responses of ${file.pairs.length} pairs${agreement}\n`);
  return 0;
}

function scoredPair(pair: Pair, a: number, b: number): Record<string, unknown> {
  const line = Number(pair.id.slice(pair.id.lastIndexOf(':') + 1));
  return {
    line,
    prompt: pair.prompt,
    response_a: pair.responseA,
    response_b: pair.responseB,
    winner: pair.winner,
    reward_a: a,
    reward_b: b,
    p_a_better: 1 / (1 + Math.exp(b - a)),
  };
}

/** Writes with back-pressure, so a large output does not pile up in memory. */
function write(stream: Writable, text: string): Promise<void> {
  return stream.write(text) ? Promise.resolve() : new Promise((done) => stream.once('drain', done));
}
