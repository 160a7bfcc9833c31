// `rmlab train`: a data file in, a trained reward model out, on the same code as the app's worker
// (prepareTrainingData, then trainRewardModel). stdout carries one JSON object a line (the data's
// counts, each reported step, each evaluation, a final summary); stderr carries what a person reads.
// The run folder gets model.rmlab.safetensors (the file the app imports: the weights of the lowest
// held-out loss), model.final.rmlab.safetensors (the last weights, where they differ), metrics.jsonl
// (the same lines as stdout) and config.json (every option, defaults included).
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { frozenF16Refusal, parseTrainConfig, TrainConfigError, type TrainConfig } from '../core/train/config.ts';
import { prepareTrainingData, trainingSplitTexts, type TrainingData } from '../core/train/data.ts';
import { trainRewardModel } from '../core/train/trainer.ts';
import { describePlan, formatBytes, limitsFor, memoryPlan } from '../core/train/memory-plan.ts';
import { planningCheck, planRequestFor, PlanTooLarge } from '../core/train/download-plan.ts';
import { useNodeBackend, type NodeBackend } from './backend.ts';
import { encoderField, openModel } from './encoder.ts';
import { describeRejected, readPairFile, requirePairs, type DataFile } from './data-file.ts';
import { helpText, parseCommand, type CommandOption } from './options.ts';
import { FEEDBACK_OPTIONS, feedbackChoices } from './feedback-options.ts';
import { Progress } from './progress.ts';
import { MAP_HELP, parseFieldMap } from './field-map.ts';
import { TrainReport, type MetricLine } from './train-report.ts';

const OPTIONS: CommandOption[] = [
  {
    name: 'data',
    value: '<file>',
    help: 'Preference pairs: JSONL, JSON, CSV or TSV (gzipped or not), in any format the app imports; or a feedback log, made into weighted pairs by the rules (see rmlab feedback).',
    required: true,
  },
  { name: 'out', value: '<folder>', help: 'Run folder to write (created if missing).', required: true },
  { name: 'name', value: '<text>', help: "The model's name in its file (default: the run folder's name)." },
  { name: 'map', value: '<mapping>', help: MAP_HELP },
  {
    name: 'force-download',
    value: '',
    switch: true,
    help: 'Download a Hub or URL model even when its memory plan (from its config.json) says the run will not fit; without it such a run stops before the weights download.',
  },
  ...FEEDBACK_OPTIONS,
];

export const TRAIN_USAGE =
  'rmlab train --data <file> --out <folder> [--model builtin|<hub id>|<folder>|<url>] [training options]';

export function trainHelp(): string {
  return helpText(
    TRAIN_USAGE,
    'Trains a reward model on a file of preference pairs and writes <folder>/model.rmlab.safetensors, ' +
      'metrics.jsonl and config.json. Metrics stream on stdout as JSON lines. Ctrl-C stops after the ' +
      'current step and still writes the model.',
    OPTIONS,
    true,
  );
}

/** What the data file held, for the person at the terminal: records, pairs, rejects, and a log's rules. */
function noteData(progress: Progress, file: DataFile, dataPath: string): void {
  progress.note(
    `${dataPath}: ${file.lines} records -> ${file.pairs.length} pairs (${file.format}), ${file.rejected.length} rejected` +
      (file.duplicates.length > 0 ? `; ${file.duplicates.length} pairs repeat an earlier line (kept)` : ''),
  );
  if (file.rejected.length > 0) progress.note(describeRejected(file.rejected).join('\n'));
  if (!file.feedback) return;
  const { report } = file.feedback;
  progress.note(
    `feedback: ${report.events} events -> ${report.pairs} weighted pairs (` +
      report.rules.map((r) => `${r.rule} ${r.on ? `${r.pairs} x ${r.weight}` : 'off'}`).join(', ') +
      `); ${report.unpaired.length} events made none`,
  );
}

/** The run details' coverage sentence, as the app says it. */
function describeCoverage({ tokens, covered }: { tokens: number; covered: number }): string {
  const share = ((100 * covered) / Math.max(1, tokens)).toFixed(1);
  return `word vectors: ${share}% of the training split's ${tokens} tokens (${covered}) start from a bundled GloVe vector`;
}

/** A feedback log's counts for the data line (its unpaired events are in rmlab feedback's report). */
function feedbackCounts(file: DataFile): { feedback?: object } {
  if (!file.feedback) return {};
  const { events, pairs, rules } = file.feedback.report;
  return { feedback: { events, pairs, rules } };
}

/** Stops here, before anything is written, rather than deep in the trainer, when no pair can be trained on. */
function requireTrainable(data: TrainingData, file: DataFile, dataPath: string, config: TrainConfig): void {
  if (data.train.length > 0) return;
  throw new Error(
    `${dataPath}: none of its ${file.pairs.length} pairs can be trained on: ` +
      `${data.counts.heldOut} are held out, ${data.counts.ties} are ties${config.ties === 'drop' ? ' (left out: --ties davidson trains on them)' : ''}, ` +
      `${data.counts.bothBad} are both-bad`,
  );
}

/** Writes config.json and opens metrics.jsonl: each metric line goes to stdout and to the file. */
function openRunFolder(
  outDir: string,
  config: TrainConfig,
): { emit: (line: MetricLine) => void; close: () => Promise<void> } {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const metrics = createWriteStream(join(outDir, 'metrics.jsonl'));
  const emit = (line: MetricLine) => {
    const text = JSON.stringify(line) + '\n';
    process.stdout.write(text);
    metrics.write(text);
  };
  return { emit, close: () => new Promise<void>((done) => metrics.end(done)) };
}

/** The first metric line: what the data file held and what the run will use of it. */
function dataLine(file: DataFile, data: TrainingData, backend: NodeBackend): MetricLine {
  return {
    type: 'data',
    file: file.name,
    format: file.format,
    records: file.lines,
    pairs: file.pairs.length,
    rejected: file.rejected.map((r) => ({ line: r.line, reason: r.reason })),
    duplicates: file.duplicates,
    ...feedbackCounts(file),
    counts: data.counts,
    backend: backend.name,
    threads: backend.threads,
  };
}

/** Ctrl-C: the first stops after the current step (the model is still written); a second quits. */
function listenForStop(progress: Progress): { stopRequested: () => boolean; release: () => void } {
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    progress.note('stopping after this step (Ctrl-C again to quit without writing the model)');
  };
  process.on('SIGINT', onSigint);
  return { stopRequested: () => stopRequested, release: () => process.off('SIGINT', onSigint) };
}

/**
 * A pretrained model's plan, printed from its config.json before its weights download (as the page
 * shows it); one that will not fit stops there unless forced. The built-in encoder's is printed once
 * it is made (nothing downloads), so `printed` says whether this one was.
 */
function printedPlan(config: TrainConfig, backendName: string, force: boolean, progress: Progress) {
  let printed = false;
  const onConfig = planningCheck(config.encoder, planRequestFor({ ...config, backend: backendName }, force), (plan) => {
    const size = plan.downloadBytes !== undefined ? `, a ${formatBytes(plan.downloadBytes)} download` : '';
    progress.note(`${config.encoder}: ${(plan.parameters / 1e6).toFixed(2)} M weights${size}`);
    for (const line of describePlan(plan.plan)) progress.note(line);
    printed = true;
  });
  return { onConfig, printed: () => printed };
}

export async function train(argv: string[]): Promise<number> {
  let folderPath: string | undefined;
  const parsed = parseCommand(argv, OPTIONS, true, {
    encoder: (text) => {
      const field = encoderField(text);
      folderPath = field.folderPath;
      return field.encoder;
    },
  });
  if (parsed.help) {
    process.stdout.write(trainHelp());
    return 0;
  }
  const dataPath = parsed.values.data!;
  const outDir = resolve(parsed.values.out!);
  const config: TrainConfig = parseTrainConfig(parsed.train);
  const feedback = feedbackChoices(parsed.values);
  const mapping = parsed.values.map !== undefined ? parseFieldMap(parsed.values.map) : undefined;
  const progress = new Progress();
  const backend = await useNodeBackend(config.backend);
  progress.note(`backend: ${backend.name}${backend.threads ? ` (${backend.threads} thread)` : ''}`);
  // 'auto' passed the option's check; the backend it picked is known now, before anything is read.
  const f16 = frozenF16Refusal(config, backend.name);
  if (f16) throw new TrainConfigError('frozenWeights', f16, true);
  // The encoder first: a model that cannot be used is refused before the data is read (unless the
  // run builds its own vocabulary, which needs the training split's text).
  let read: Promise<DataFile> | undefined;
  const readData = () =>
    (read ??= readPairFile(dataPath, { mapping, feedback }).then((f) => {
      requirePairs(f, dataPath);
      return f;
    }));
  // A folder on this disk downloads nothing: its plan is printed, never a reason to stop.
  const force = parsed.values['force-download'] === 'true' || folderPath !== undefined;
  const plan = printedPlan(config, backend.name, force, progress);
  const { model, tokenizer, tokenizerFiles, vectorCoverage } = await openModel(
    config,
    folderPath,
    (p) => progress.bytes(p.file, p.fileLoaded, p.fileTotal),
    async () => trainingSplitTexts((await readData()).pairs, config),
    plan.onConfig,
  ).catch((error: unknown) => {
    if (!(error instanceof PlanTooLarge)) throw error;
    throw new Error(`${error.message}: change the settings above, or add --force-download to download it anyway`);
  });
  progress.endBar();
  // What the run will hold, against the backend's limit.
  if (!plan.printed()) {
    for (const line of describePlan(memoryPlan(model.spec, config, config, limitsFor(backend.name)))) {
      progress.note(line);
    }
  }

  const file = await readData();
  noteData(progress, file, dataPath);

  const data = prepareTrainingData(file.pairs, tokenizer, config);
  if (vectorCoverage) {
    const coverage = (data.counts.vectorCoverage = await vectorCoverage());
    progress.note(describeCoverage(coverage));
  }
  requireTrainable(data, file, dataPath, config);
  const folder = openRunFolder(outDir, config);
  folder.emit(dataLine(file, data, backend));
  const stop = listenForStop(progress);
  const report = new TrainReport(config, folder.emit, progress);
  try {
    const result = await trainRewardModel(model, data, config, tokenizer.special.pad, {
      shouldStop: stop.stopRequested,
      onEvent: report.onEvent,
    });
    progress.endBar();
    const name = parsed.values.name ?? basename(outDir);
    const files = { outDir, name, datasetName: file.name, spec: model.spec, tokenizer: tokenizerFiles };
    report.finish(result, await model.getWeights(), files, data.counts);
    return 0;
  } finally {
    stop.release();
    model.dispose();
    await folder.close();
  }
}
