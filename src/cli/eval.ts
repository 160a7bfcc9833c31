// `rmlab eval`: a model file's accuracy, loss and mean margin on the decisive pairs of a data file,
// overall and per task type, as one JSON object on stdout. A pair counts as correct when
// reward(chosen) > reward(rejected), strictly (RewardBench's rule). With --split held-out (or
// train), only that side of the split the model was trained with (its file's training options).
import { keyedRecord } from '../core/data/keyed.ts';
import { chosenRejected, isDecisive, textOf, type Pair } from '../core/data/pair.ts';
import { planSplit } from '../core/data/split.ts';
import { pairwiseMetrics } from '../core/eval/metrics.ts';
import { DEFAULT_TRAIN_CONFIG, parseTrainConfig } from '../core/train/config.ts';
import { useNodeBackend } from './backend.ts';
import { describeRejected, readPairFile, requirePairs } from './data-file.ts';
import { loadModelFile } from './model-file-io.ts';
import { scoreSequences } from '../core/eval/score.ts';
import { helpText, parseCommand, UsageError, type CommandOption } from './options.ts';

const SPLITS = ['all', 'held-out', 'train'] as const;
type SplitChoice = (typeof SPLITS)[number];

const OPTIONS: CommandOption[] = [
  { name: 'model', value: '<file>', help: 'A model file (.rmlab.safetensors).', required: true },
  { name: 'data', value: '<file>', help: 'Preference pairs, in any format the app imports.', required: true },
  {
    name: 'split',
    value: SPLITS.join('|'),
    help:
      'Which pairs: all of them, or the held-out (or training) side of the split the model was trained ' +
      "with (its file's held-out fraction, split seed and stratification).",
    default: 'all',
  },
  { name: 'backend', value: 'wasm|cpu', help: 'Where the math runs.', default: 'wasm' },
];

export const EVAL_USAGE = 'rmlab eval --model <file> --data <file> [--split all|held-out|train]';

export function evalHelp(): string {
  return helpText(
    EVAL_USAGE,
    'Scores every decisive pair of a data file with a trained model and prints accuracy, loss and ' +
      'mean margin, overall and per task type, as JSON.',
    OPTIONS,
    false,
  );
}

interface Slice {
  pairs: number;
  accuracy: number;
  loss: number;
  meanMargin: number;
}

export async function evaluateFile(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, false);
  if (parsed.help) {
    process.stdout.write(evalHelp());
    return 0;
  }
  const split = parsed.values.split as SplitChoice;
  if (!SPLITS.includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got "${split}"`);
  const backendChoice = parsed.values.backend;
  if (backendChoice !== 'wasm' && backendChoice !== 'cpu')
    throw new UsageError(`--backend must be wasm or cpu, got "${backendChoice}"`);
  await useNodeBackend(backendChoice);

  const { file: modelFile, model, tokenizer, maxLength } = loadModelFile(parsed.values.model!);
  try {
    const data = await readPairFile(parsed.values.data!);
    requirePairs(data, parsed.values.data!);
    if (data.rejected.length > 0) {
      process.stderr.write(
        [`${parsed.values.data}: ${data.rejected.length} rejected`, ...describeRejected(data.rejected)].join('\n') +
          '\n',
      );
    }
    const pairs = pairsOnSide(data.pairs, split, modelFile.meta.trainConfig);
    const decisive = pairs.filter(isDecisive);
    if (decisive.length === 0)
      throw new Error(`no decisive pair (a winner of a or b) to evaluate on (--split ${split})`);

    // chosen sequences, then rejected ones: one list, scored in batches
    const sequences = [...decisive.map((p) => encode(p, 'chosen')), ...decisive.map((p) => encode(p, 'rejected'))];
    const rewards = Array.from(await scoreSequences(model, sequences, tokenizer.special.pad, { maxLength }));
    const chosen = rewards.slice(0, decisive.length);
    const rejected = rewards.slice(decisive.length);
    const margins = decisive.map((p) => p.margin ?? 0);

    const byTaskType = sliceByTaskType(
      decisive.map((p) => p.taskType),
      chosen,
      rejected,
      margins,
    );
    const result = {
      model: parsed.values.model,
      data: data.name,
      split,
      records: data.lines,
      rejected: data.rejected.length,
      pairs: pairs.length,
      // ties and both-bad pairs have no chosen response: counted, not scored
      notDecisive: pairs.length - decisive.length,
      scored: decisive.length,
      ...pairwiseMetrics(chosen, rejected, margins),
      byTaskType,
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  } finally {
    model.dispose();
  }

  function encode(pair: Pair, side: 'chosen' | 'rejected'): Int32Array {
    const response = chosenRejected(pair)[side];
    return tokenizer.encodePair(textOf(pair.prompt), textOf(response), maxLength).ids;
  }
}

/** The pairs of the chosen side of the model's own split (or all of them). */
function pairsOnSide(pairs: Pair[], split: SplitChoice, trainConfig: Record<string, unknown> | undefined): Pair[] {
  if (split === 'all') return pairs;
  if (!trainConfig) throw new Error('the model file has no training options, so its held-out split is unknown');
  const config = parseTrainConfig({ ...DEFAULT_TRAIN_CONFIG, ...trainConfig });
  const plan = planSplit(pairs, {
    seed: config.splitSeed,
    heldOutFraction: config.heldOutFraction,
    stratify: config.stratify,
  });
  const side = split === 'held-out' ? 'heldout' : 'train';
  return pairs.filter((p) => plan.sideOf(p) === side);
}

/**
 * Metrics per task type ("(none)" for pairs without one), sorted by name. The object has no
 * prototype: a task type "__proto__" or "constructor" is a key like any other (keyed.ts).
 */
export function sliceByTaskType(
  taskTypes: readonly (string | undefined)[],
  chosen: readonly number[],
  rejected: readonly number[],
  margins: readonly number[],
): Record<string, Slice> {
  const groups = new Map<string, number[]>();
  taskTypes.forEach((taskType, i) => {
    const key = taskType ?? '(none)';
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return keyedRecord(
    [...groups]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([taskType, idx]) => {
        const pick = (xs: readonly number[]) => idx.map((i) => xs[i]!);
        return [
          taskType,
          { pairs: idx.length, ...pairwiseMetrics(pick(chosen), pick(rejected), pick(margins)) },
        ] as const;
      }),
  );
}
