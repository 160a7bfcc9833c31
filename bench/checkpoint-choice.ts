// How optimistic is held-out accuracy when the best checkpoint is chosen on held-out loss, and what
// does choosing it on a validation slice carved from the training split cost or buy instead?
//   nice -n 10 npx tsx bench/checkpoint-choice.ts [--seeds 1,...,10] [--arms 1ep,3ep,3ep/every5] [--runs file]
// The demo data, the prompt-grouped 25% held-out split of bench/defaults.ts (split seed 0: 637
// training pairs, 257 held-out), the app's default model (bag of words + length term, its own
// vocabulary) on tfjs WASM in Node, evaluated every `evalEvery` steps as the app does. Per seed:
// - run "all": trained on the whole training split. From its evaluations: held-out accuracy of the
//   last step, and of the step with the lowest held-out loss (what the app stores today: chosen and
//   judged on the same pairs). The optimism of that choice, measured on the same run: the held-out
//   pairs cut in two halves by prompt; a step chosen on one half's loss and judged on the other,
//   against chosen and judged on the same half.
// - run "validation": trained on the training split less a validation slice (10% of its prompts,
//   prompt-grouped, by an independent hash), the best step chosen on the slice's loss and judged on
//   the held-out pairs, which choose nothing.
// Results: bench/results/checkpoint-choice.json. Figures, not tests: it asserts nothing.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { cyrb53 } from '../src/core/data/hash.ts';
import { readLinesFromText } from '../src/core/data/jsonl.ts';
import { parsePairs } from '../src/core/data/parse.ts';
import { textOf, type Pair } from '../src/core/data/pair.ts';
import { splitOf } from '../src/core/data/split.ts';
import { openStartingModel, type StartingModel } from '../src/core/model/starting-model.ts';
import { DEFAULT_TRAIN_CONFIG, parseTrainConfig, type TrainConfig } from '../src/core/train/config.ts';
import { prepareTrainingData, type TrainingData } from '../src/core/train/data.ts';
import type { EvalPoint } from '../src/core/train/events.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';

const DATA = 'public/demo/pandalm-testset.jsonl';
const SPLIT = { heldOutFraction: 0.25, splitSeed: 0 };
/** The validation slice: this share of the training split's prompts, hashed with its own seed. */
const VALIDATION = { heldOutFraction: 0.1, splitSeed: 1000 };
/** The app's default (1 epoch, an evaluation every 25 steps), and longer runs where overfitting shows, evaluated as often or more. */
const ARMS: Record<string, Partial<TrainConfig>> = {
  '1ep': { epochs: 1 },
  '3ep': { epochs: 3 },
  '3ep/every5': { epochs: 3, evalEvery: 5 },
};

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const RUNS_FILE = option('runs', 'bench/results/checkpoint-choice.runs.tmp');

async function demoPairs(): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for await (const p of parsePairs(readLinesFromText(readFileSync(DATA, 'utf8')))) {
    if (p.kind === 'pair') pairs.push({ ...p.pair, id: String(p.line), datasetId: 'demo' });
  }
  return pairs;
}

/** Per evaluation: loss and correct count over a subset of the evaluated pairs (index range or list). */
function scoreSubset(point: EvalPoint, indexes: number[]) {
  let loss = 0;
  let correct = 0;
  for (const i of indexes) {
    const d = point.chosenRewards[i]! - point.rejectedRewards[i]!;
    loss += Math.max(-d, 0) + Math.log1p(Math.exp(-Math.abs(d))); // softplus(-d), stable
    if (d > 0) correct++;
  }
  return { loss: loss / indexes.length, correct, n: indexes.length };
}

/** The app's starting model, its vocabulary built from these pairs' text (the training side only). */
function startFrom(config: TrainConfig, pairs: Pair[]) {
  return openStartingModel(config, {
    maxLengthName: 'maxLength',
    openPretrained: () => Promise.reject(new Error('built-in only')),
    trainingTexts: async () => pairs.flatMap((p) => [textOf(p.prompt), textOf(p.responseA), textOf(p.responseB)]),
  });
}

/** Trains from `start` on data.train, evaluating data.heldOut every config.evalEvery steps; every evaluation's rewards. */
async function train(config: TrainConfig, start: StartingModel, data: TrainingData): Promise<EvalPoint[]> {
  const model = await start.create();
  const points: EvalPoint[] = [];
  await trainRewardModel(model, data, config, start.tokenizer.special.pad, {
    onEvent: (e) => {
      if (e.type === 'eval') points.push(e.point);
    },
  });
  model.dispose();
  return points;
}

const argmin = (xs: number[]) => xs.reduce((best, x, i) => (x < xs[best]! ? i : best), 0);

async function runSeed(arm: string, seed: number) {
  await tf.setBackend('wasm');
  const config = parseTrainConfig({
    ...DEFAULT_TRAIN_CONFIG,
    ...ARMS[arm],
    ...SPLIT,
    seed,
    patience: 0, // every evaluation made, the best chosen afterwards (the same step early stopping keeps)
    maxHeldOutPairs: 100_000,
  });
  const pairs = await demoPairs();
  const trainSide = pairs.filter(
    (p) => splitOf(p.prompt, { seed: SPLIT.splitSeed, heldOutFraction: SPLIT.heldOutFraction }) === 'train',
  );
  const start = await startFrom(config, trainSide);
  const all = prepareTrainingData(pairs, start.tokenizer, config);
  const n = all.heldOut.length;
  const allPoints = await train(config, start, { ...all, text: undefined });

  // The held-out pairs in two halves by prompt.
  const half = all.heldOut.map((p) => cyrb53(`half:${textOf(pairs.find((q) => q.id === p.meta.pairId)!.prompt)}`) % 2);
  const halves = [0, 1].map((h) => half.flatMap((x, i) => (x === h ? [i] : [])));
  const every = [...Array(n).keys()];
  const byAll = allPoints.map((p) => scoreSubset(p, every));
  const chosenOnHeldOut = byAll[argmin(byAll.map((s) => s.loss))]!;
  const halvesResult = [0, 1].map((h) => {
    const same = allPoints.map((p) => scoreSubset(p, halves[h]!));
    const other = allPoints.map((p) => scoreSubset(p, halves[1 - h]!));
    return {
      n: halves[h]!.length,
      chosenHereCorrect: same[argmin(same.map((s) => s.loss))]!.correct,
      chosenOnOtherCorrect: same[argmin(other.map((s) => s.loss))]!.correct,
    };
  });

  // The validation run: the slice carved from the training split's prompts.
  const sliced = trainSide.filter(
    (p) => splitOf(p.prompt, { seed: VALIDATION.splitSeed, heldOutFraction: VALIDATION.heldOutFraction }) === 'train',
  );
  const vStart = await startFrom(config, sliced);
  const inner = prepareTrainingData(trainSide, vStart.tokenizer, { ...config, ...VALIDATION });
  const outer = prepareTrainingData(pairs, vStart.tokenizer, config);
  const m = inner.heldOut.length;
  const vPoints = await train(config, vStart, {
    ...inner,
    heldOut: [...inner.heldOut, ...outer.heldOut],
    text: undefined,
  });
  const onValidation = vPoints.map((p) => scoreSubset(p, [...Array(m).keys()]));
  const onHeldOut = vPoints.map((p) =>
    scoreSubset(
      p,
      [...Array(outer.heldOut.length).keys()].map((i) => m + i),
    ),
  );
  const vBest = argmin(onValidation.map((s) => s.loss));
  return {
    arm,
    seed,
    heldOut: n,
    steps: allPoints.map((p) => p.step),
    all: {
      trainPairs: all.train.length,
      finalCorrect: byAll.at(-1)!.correct,
      chosenOnHeldOutCorrect: chosenOnHeldOut.correct,
      chosenStep: allPoints[argmin(byAll.map((s) => s.loss))]!.step,
      halves: halvesResult,
    },
    validation: {
      trainPairs: inner.train.length,
      validationPairs: m,
      finalCorrect: onHeldOut.at(-1)!.correct,
      chosenOnValidationCorrect: onHeldOut[vBest]!.correct,
      chosenStep: vPoints[vBest]!.step,
    },
  };
}

type RunRow = Awaited<ReturnType<typeof runSeed>>;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

function summarise(rows: RunRow[]) {
  const acc = (f: (r: RunRow) => number) => {
    const xs = rows.map((r) => f(r));
    return { mean: mean(xs), sd: sd(xs) };
  };
  const diff = (f: (r: RunRow) => number, g: (r: RunRow) => number) => {
    const xs = rows.map((r) => f(r) - g(r));
    return {
      mean: mean(xs),
      sd: sd(xs),
      seedsAbove: xs.filter((x) => x > 0).length,
      seedsBelow: xs.filter((x) => x < 0).length,
    };
  };
  const halfGap = rows.flatMap((r) => r.all.halves.map((h) => (h.chosenHereCorrect - h.chosenOnOtherCorrect) / h.n));
  return {
    seeds: rows.map((r) => r.seed),
    allFinal: acc((r) => r.all.finalCorrect / r.heldOut),
    allChosenOnHeldOut: acc((r) => r.all.chosenOnHeldOutCorrect / r.heldOut),
    validationFinal: acc((r) => r.validation.finalCorrect / r.heldOut),
    validationChosen: acc((r) => r.validation.chosenOnValidationCorrect / r.heldOut),
    /** Held-out accuracy gained by choosing the step on the very pairs judged (same run, half against half). */
    selectionOptimism: { mean: mean(halfGap), sd: sd(halfGap), halves: halfGap.length },
    chosenOnHeldOutMinusFinal: diff(
      (r) => r.all.chosenOnHeldOutCorrect / r.heldOut,
      (r) => r.all.finalCorrect / r.heldOut,
    ),
    validationChosenMinusAllChosen: diff(
      (r) => r.validation.chosenOnValidationCorrect / r.heldOut,
      (r) => r.all.chosenOnHeldOutCorrect / r.heldOut,
    ),
    validationChosenMinusAllFinal: diff(
      (r) => r.validation.chosenOnValidationCorrect / r.heldOut,
      (r) => r.all.finalCorrect / r.heldOut,
    ),
  };
}

async function main() {
  const seeds = option('seeds', '1,2,3,4,5,6,7,8,9,10').split(',').map(Number);
  const arms = option('arms', Object.keys(ARMS).join(',')).split(',');
  const done: RunRow[] = existsSync(RUNS_FILE)
    ? readFileSync(RUNS_FILE, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as RunRow)
    : [];
  for (const seed of seeds) {
    for (const arm of arms) {
      if (done.some((r) => r.arm === arm && r.seed === seed)) continue;
      const t0 = performance.now();
      const row = await runSeed(arm, seed);
      const pct = (c: number) => `${((100 * c) / row.heldOut).toFixed(1)}%`;
      console.log(
        `${arm} seed ${seed}: all final ${pct(row.all.finalCorrect)}, chosen on held-out ${pct(row.all.chosenOnHeldOutCorrect)} ` +
          `(step ${row.all.chosenStep}); validation final ${pct(row.validation.finalCorrect)}, chosen on validation ` +
          `${pct(row.validation.chosenOnValidationCorrect)} (step ${row.validation.chosenStep}) [${((performance.now() - t0) / 1000).toFixed(0)} s]`,
      );
      appendFileSync(RUNS_FILE, JSON.stringify(row) + '\n');
      done.push(row);
    }
  }
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    backend: 'wasm (Node)',
    loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
    data: DATA,
    split: { ...SPLIT, groupedBy: 'prompt' },
    validation: { ...VALIDATION, of: 'the training split, grouped by prompt' },
    config: { ...DEFAULT_TRAIN_CONFIG, patience: 0 },
    arms: Object.fromEntries(
      arms.map((arm) => [
        arm,
        { change: ARMS[arm], ...summarise(done.filter((r) => r.arm === arm && seeds.includes(r.seed))) },
      ]),
    ),
    runs: done.filter((r) => seeds.includes(r.seed) && arms.includes(r.arm)),
  };
  writeFileSync('bench/results/checkpoint-choice.json', JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out.arms, null, 2));
}

await main();
