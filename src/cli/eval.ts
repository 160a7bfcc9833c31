// `rmlab eval`: a model file's accuracy, loss and mean margin on the decisive pairs of a data file,
// overall and per task type, as one JSON object on stdout. A pair counts as correct when
// reward(chosen) > reward(rejected), strictly (RewardBench's rule). By default only the held-out side
// of the split the model was trained with (its file's training options), since accuracy on pairs a
// model was trained on measures memory, not generalisation; --split all or train score those too, with
// a warning. stderr says first which pairs are scored and ends with one summary line: accuracy, its
// Wilson 95% interval, n, and the baselines (chance, longer/shorter wins, bag of words trained on the
// split's training side) on the same pairs.
import { keyedRecord } from '../core/data/keyed.ts';
import { chosenRejected, isDecisive, textOf, type Pair } from '../core/data/pair.ts';
import { planSplit } from '../core/data/split.ts';
import { pairwiseMetrics } from '../core/eval/metrics.ts';
import { DEFAULT_TRAIN_CONFIG, parseTrainConfig, type TrainConfig } from '../core/train/config.ts';
import { BACKEND_OPTION, useNodeBackend } from './backend.ts';
import { describeRejected, readPairFile, requirePairs } from './data-file.ts';
import { loadModelFile, type LoadedModel } from './model-file-io.ts';
import { scoreSequences } from '../core/eval/score.ts';
import type { EncodedPair } from '../core/model/tokenizer.ts';
import { helpText, parseCommand, UsageError, type CommandOption } from './options.ts';
import { MAP_HELP, parseFieldMap } from './field-map.ts';
import { summaryLine } from './summary.ts';
import { computeBaselines, heldOutAccuracy, type TextPair } from '../core/eval/baselines/index.ts';

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
      "with (its file's held-out fraction, split seed and stratification). Held-out is the default: " +
      'accuracy on training pairs measures memory, not how well the model generalises.',
    default: 'held-out',
  },
  { name: 'map', value: '<mapping>', help: MAP_HELP },
  BACKEND_OPTION,
];

export const EVAL_USAGE = 'rmlab eval --model <file> --data <file> [--split held-out|all|train] [--map <mapping>]';

export function evalHelp(): string {
  return helpText(
    EVAL_USAGE,
    'Scores the decisive pairs of a data file (by default its held-out side, as the model was trained) with a ' +
      'trained model and prints accuracy, loss and mean margin, overall and per task type, as JSON; stderr ends ' +
      'with a summary line (accuracy, 95% interval, n, baselines).',
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

  const mapping = parsed.values.map !== undefined ? parseFieldMap(parsed.values.map) : undefined;
  const { file: modelFile, model, tokenizer, maxLength } = loadModelFile(parsed.values.model!);
  try {
    const data = await readPairFile(parsed.values.data!, { mapping });
    requirePairs(data, parsed.values.data!);
    const { pairs, sides, trainingScored } = pairsToScore(data.pairs, data.name, split, modelFile.meta.trainConfig);
    const decisive = pairs.filter(isDecisive);
    if (data.rejected.length > 0) {
      process.stderr.write(
        [`${parsed.values.data}: ${data.rejected.length} rejected`, ...describeRejected(data.rejected)].join('\n') +
          '\n',
      );
    }
    if (decisive.length === 0)
      throw new Error(
        `no decisive pair (a winner of a or b) to evaluate on in the ${split} split of ${data.name} ` +
          `(${pairs.length} pairs there, ties and both-bad pairs have no chosen response)`,
      );

    const { chosen, rejected } = await rewardsOf(model, tokenizer, maxLength, decisive);
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
    // The baselines on the very pairs scored; the bag of words learns from the split's training side.
    const baselines = computeBaselines((sides?.train ?? []).filter(isDecisive).map(asText), decisive.map(asText));
    const correct = chosen.filter((r, i) => r > rejected[i]!).length;
    const held = heldOutAccuracy(correct / decisive.length, decisive.length);
    process.stdout.write(
      JSON.stringify(
        {
          ...result,
          interval: [held.interval.lower, held.interval.upper],
          baselines,
          trainingPairsScored: trainingScored,
        },
        null,
        2,
      ) + '\n',
    );
    process.stderr.write(summaryLine(`${split} pairs`, held, baselines) + '\n');
    return 0;
  } finally {
    model.dispose();
  }
}

/**
 * The pairs `split` names, after saying on stderr which they are (and warning when any are on the
 * training side of the model's split). Without training options in the model file there is no split:
 * only --split all, and every pair may have been trained on.
 */
function pairsToScore(
  all: Pair[],
  dataName: string,
  split: SplitChoice,
  trainConfig: Record<string, unknown> | undefined,
): { pairs: Pair[]; sides?: ReturnType<typeof splitSides>; trainingScored: number } {
  if (!trainConfig && split !== 'all')
    throw new Error(
      'the model file has no training options, so its held-out split is unknown: --split all scores every pair',
    );
  const sides = trainConfig ? splitSides(all, trainConfig) : undefined;
  const pairs = !sides || split === 'all' ? all : split === 'held-out' ? sides.heldOut : sides.train;
  const c = sides?.config;
  const which =
    split === 'all' || !c
      ? `all ${all.length} pairs of ${dataName}`
      : `the ${split} split of ${dataName} (${pairs.length} of ${all.length} pairs), as the model was trained: ` +
        `held-out fraction ${c.heldOutFraction}, split seed ${c.splitSeed}, stratify ${c.stratify}`;
  process.stderr.write(`scoring ${which}\n`);
  const trainingScored = split === 'held-out' ? 0 : sides ? sides.train.length : all.length;
  if (trainingScored > 0) {
    process.stderr.write(
      `warning: ${trainingScored} of these pairs are on the training side of the model's split: accuracy on them ` +
        'says how well it remembers them, not how well it generalises (--split held-out scores only the others)\n',
    );
  }
  return { pairs, ...(sides && { sides }), trainingScored };
}

function asText(p: Pair): TextPair {
  const { chosen, rejected } = chosenRejected(p);
  return { prompt: textOf(p.prompt), chosen: textOf(chosen), rejected: textOf(rejected) };
}

/** Both sides of the model's own split of the pairs (by its file's training options). */
function splitSides(
  pairs: Pair[],
  trainConfig: Record<string, unknown>,
): { train: Pair[]; heldOut: Pair[]; config: TrainConfig } {
  const config = parseTrainConfig({ ...DEFAULT_TRAIN_CONFIG, ...trainConfig });
  const plan = planSplit(pairs, {
    seed: config.splitSeed,
    heldOutFraction: config.heldOutFraction,
    stratify: config.stratify,
  });
  return {
    train: pairs.filter((p) => plan.sideOf(p) === 'train'),
    heldOut: pairs.filter((p) => plan.sideOf(p) === 'heldout'),
    config,
  };
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

/** The rewards of each pair's chosen and rejected responses: one list (chosen, then rejected), scored in batches. */
async function rewardsOf(
  model: LoadedModel['model'],
  tokenizer: LoadedModel['tokenizer'],
  maxLength: number,
  decisive: Pair[],
): Promise<{ chosen: number[]; rejected: number[] }> {
  const encode = (pair: Pair, side: 'chosen' | 'rejected'): EncodedPair =>
    tokenizer.encodePair(textOf(pair.prompt), textOf(chosenRejected(pair)[side]), maxLength);
  const encoded = [...decisive.map((p) => encode(p, 'chosen')), ...decisive.map((p) => encode(p, 'rejected'))];
  const sequences = encoded.map((e) => e.ids);
  const responseTokens = encoded.map((e) => e.responseTokens);
  const rewards = Array.from(
    await scoreSequences(model, sequences, tokenizer.special.pad, { maxLength, responseTokens }),
  );
  return { chosen: rewards.slice(0, decisive.length), rejected: rewards.slice(decisive.length) };
}
