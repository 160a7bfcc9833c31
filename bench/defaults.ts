// Which built-in model should be the default for small data? Held-out accuracy of candidate models on
// the demo data (PandaLM), paired by seed, against the baselines on the same held-out pairs.
//   nice -n 10 npx tsx bench/defaults.ts [--seeds 1,...,10] [--arms a,b,...] [--reference arm] [--jobs 2] [--max-steps N] [--out file]
//                                        [--runs file] [--summary-only]
// Every arm is the app's default configuration with a few fields changed (ARMS below), trained on
// tfjs's WASM backend in Node on one prompt-grouped 25% split (split seed 0, the split of
// bench/word-vectors.ts), once per (arm, seed), each run in a child process (--jobs at a time).
// The same seed gives every arm the same batch order. Baselines on the same held-out pairs:
// "longer response wins" and "shorter response wins" (response tokens before truncation; equal
// lengths count as wrong, strictly, as the model's ties do) and a bag-of-words logistic regression (hashed word and bigram counts of the
// response, trained on the same training pairs; its own simple version here, see bowLogistic).
// Results: bench/results/defaults.json (per arm: mean and sd over seeds, Wilson 95% intervals per
// run and pooled, the per-seed differences against the reference arm, how strongly the reward tracks
// length on held-out responses). Figures, not tests: it asserts nothing.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keptRuns, mean, option, pct, runChild, runQueue, runsToDo, sd } from './seed-runs.ts';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readLinesFromText } from '../src/core/data/jsonl.ts';
import { parsePairs } from '../src/core/data/parse.ts';
import { textOf, type Pair } from '../src/core/data/pair.ts';
import { planSplit } from '../src/core/data/split.ts';
import { wilsonInterval } from '../src/core/data/stats/math.ts';
import { scoreSequences } from '../src/core/eval/score.ts';
import { openStartingModel } from '../src/core/model/starting-model.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import { DEFAULT_TRAIN_CONFIG, parseTrainConfig, type TrainConfig } from '../src/core/train/config.ts';
import { prepareTrainingData, trainingSplitTexts, type TrainingData } from '../src/core/train/data.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';

const DATA = 'public/demo/pandalm-testset.jsonl';
const SPLIT_SEED = 0;
const HELD_OUT = 0.25;
/** Each finished run, one JSON line (git-ignored), so a rerun trains only what is missing. */
const RUNS_FILE = option('runs', 'bench/results/defaults.runs.tmp');
/** --out: where the summary goes (a subset of arms can be written beside the full table). */
const OUT_FILE = option('out', 'bench/results/defaults.json');
/** --summary-only: train nothing, summarise the runs RUNS_FILE holds for the arms and seeds asked. */
const SUMMARY_ONLY = process.argv.includes('--summary-only');

/** A bag of words: no attention layer, the mean of the word vectors (see TRAIN_FIELDS.nLayers), over the bundled vocabulary unless an arm says otherwise. */
const BAG: Partial<TrainConfig> = { nLayers: 0, pooling: 'mean', epochs: 3, vocabularySize: 0 };

/** The candidates: each the defaults with these fields changed (model, length and epochs always given, so the arms mean the same whatever the defaults become). */
const ARMS: Record<string, Partial<TrainConfig>> = {
  // the defaults before this benchmark (a 2-layer transformer, cls pooling, 128 tokens, 3 epochs)
  transformer: {
    lengthReward: 'off',
    nLayers: 2,
    pooling: 'cls',
    dModel: 64,
    maxLength: 128,
    epochs: 3,
    vocabularySize: 0,
  },
  'transformer+term': {
    lengthReward: 'term',
    nLayers: 2,
    pooling: 'cls',
    dModel: 64,
    maxLength: 128,
    epochs: 3,
    vocabularySize: 0,
  },
  'transformer+term/1ep': {
    lengthReward: 'term',
    nLayers: 2,
    pooling: 'cls',
    dModel: 64,
    maxLength: 128,
    epochs: 1,
    vocabularySize: 0,
  },
  'transformer+term/mean': {
    lengthReward: 'term',
    nLayers: 2,
    pooling: 'mean',
    dModel: 64,
    maxLength: 128,
    epochs: 3,
    vocabularySize: 0,
  },
  bag: { ...BAG, lengthReward: 'off' },
  'bag+term': { ...BAG, lengthReward: 'term' },
  'bag+odin': { ...BAG, lengthReward: 'odin' },
  'bag+term/frozen': { ...BAG, lengthReward: 'term', embeddingTraining: 'freeze' },
  'bag+term/random': { ...BAG, lengthReward: 'term', embeddingInit: 'random' },
  'bag+term/256': { ...BAG, lengthReward: 'term', maxLength: 256 },
  'bag+term/d100': { ...BAG, lengthReward: 'term', dModel: 100, nHeads: 4 },
  'bag+term/d32': { ...BAG, lengthReward: 'term', dModel: 32 },
  'bag+term/1ep': { ...BAG, lengthReward: 'term', epochs: 1 },
  'bag+term/6ep': { ...BAG, lengthReward: 'term', epochs: 6 },
  'bag+term/cls': { ...BAG, pooling: 'cls', lengthReward: 'term' },
  'bag+term/lr2e-3': { ...BAG, lengthReward: 'term', learningRate: 2e-3 },
  'bag+term/wd0.1': { ...BAG, lengthReward: 'term', weightDecay: 0.1 },
  // the run's own vocabulary from its training split (Vocabulary size) instead of the bundled one
  'bag+term/vocab4000': { ...BAG, lengthReward: 'term', vocabularySize: 4000 },
  'bag+term/vocab8000': { ...BAG, lengthReward: 'term', vocabularySize: 8000 },
  'bag+term/1ep/vocab0': { ...BAG, lengthReward: 'term', epochs: 1, vocabularySize: 0 },
  'bag+term/1ep/vocab8000': { ...BAG, lengthReward: 'term', epochs: 1, vocabularySize: 8000 },
};

const MAX_STEPS = Number(option('max-steps', '0'));

async function demoPairs(): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for await (const p of parsePairs(readLinesFromText(readFileSync(DATA, 'utf8')))) {
    if (p.kind === 'pair') pairs.push({ ...p.pair, id: String(p.line), datasetId: 'demo' });
  }
  return pairs;
}

function configFor(arm: string, seed: number): TrainConfig {
  const change = ARMS[arm];
  if (!change) throw new Error(`unknown arm ${arm}: ${Object.keys(ARMS).join(', ')}`);
  // Every held-out pair scored; the split fixed, so every run sees the same held-out prompts.
  return parseTrainConfig({
    ...DEFAULT_TRAIN_CONFIG,
    ...change,
    heldOutFraction: HELD_OUT,
    splitSeed: SPLIT_SEED,
    seed,
    maxHeldOutPairs: 100_000,
    maxSteps: MAX_STEPS,
  });
}

interface EpochPoint {
  epoch: number;
  accuracy: number;
  correct: number;
  heldOut: number;
  loss: number;
}

interface RunResult {
  arm: string;
  seed: number;
  seconds: number;
  epochs: EpochPoint[];
  /** Pearson correlation of the final reward with log response length, over held-out responses. */
  lengthCorrelation: number;
  /** The quality part alone (models with a length term): accuracy and its correlation with length. */
  quality?: { accuracy: number; correct: number; lengthCorrelation: number };
  lengthWeight?: number;
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

async function runOne(arm: string, seed: number): Promise<RunResult> {
  await tf.setBackend('wasm');
  const config = configFor(arm, seed);
  const pairs = await demoPairs();
  // The app's own path to the starting model, so a run vocabulary is built as a run builds it.
  const start = await openStartingModel(config, {
    maxLengthName: 'maxLength',
    openPretrained: () => Promise.reject(new Error('the defaults bench trains the built-in encoder only')),
    trainingTexts: async () => trainingSplitTexts(pairs, config),
  });
  const tokenizer = start.tokenizer;
  const data = prepareTrainingData(pairs, tokenizer, config);
  const stepsPerEpoch = Math.ceil(data.train.length / config.batchSize);
  const model = await start.create();
  const epochs: EpochPoint[] = [];
  const t0 = performance.now();
  await trainRewardModel(model, data, { ...config, evalEvery: stepsPerEpoch }, tokenizer.special.pad, {
    onEvent: (e) => {
      if (e.type !== 'eval') return;
      const { step, loss, accuracy, chosenRewards, rejectedRewards } = e.point;
      const correct = chosenRewards.filter((c, i) => c > rejectedRewards[i]!).length;
      epochs.push({ epoch: step / stepsPerEpoch, accuracy, correct, heldOut: chosenRewards.length, loss });
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const sequences = [...data.heldOut.map((p) => p.chosen), ...data.heldOut.map((p) => p.rejected)];
  const responseTokens = [...data.heldOut.map((p) => p.chosenLength!), ...data.heldOut.map((p) => p.rejectedLength!)];
  const logLength = responseTokens.map((n) => Math.log1p(n));
  const score = (part: 'reward' | 'quality') =>
    scoreSequences(model, sequences, tokenizer.special.pad, { maxLength: config.maxLength, responseTokens, part });
  const reward = await score('reward');
  const result: RunResult = { arm, seed, seconds, epochs, lengthCorrelation: pearson(reward, logLength) };
  if (model.hasLengthTerm) {
    const q = await score('quality');
    const n = data.heldOut.length;
    const correct = data.heldOut.filter((_, i) => q[i]! > q[n + i]!).length;
    result.quality = { accuracy: correct / n, correct, lengthCorrelation: pearson(q, logLength) };
    result.lengthWeight = (await model.params.get('length.weight')!.data())[0]!;
  }
  model.dispose();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Baselines on the same held-out pairs

/** Token counts of each response before truncation: who wins by length. */
function lengthBaselines(data: TrainingData) {
  let longer = 0;
  let shorter = 0;
  let equal = 0;
  for (const p of data.heldOut) {
    if (p.chosenLength! > p.rejectedLength!) longer++;
    else if (p.chosenLength! < p.rejectedLength!) shorter++;
    else equal++;
  }
  const n = data.heldOut.length;
  // Counted strictly, as the model is (RewardBench's rule): an equal length is wrong for both.
  return {
    n,
    equalLength: equal,
    longerWins: { accuracy: longer / n, correct: longer, wilson95: wilsonInterval(longer, n) },
    shorterWins: { accuracy: shorter / n, correct: shorter, wilson95: wilsonInterval(shorter, n) },
  };
}

const HASH_BITS = 18;

/** Hashed word and bigram counts of a text, log(1 + count), as a sparse map. */
function bowFeatures(text: string): Map<number, number> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  const counts = new Map<number, number>();
  const add = (s: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    const k = (h >>> 0) & ((1 << HASH_BITS) - 1);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  };
  words.forEach((w, i) => {
    add(w);
    if (i > 0) add(`${words[i - 1]} ${w}`);
  });
  for (const [k, c] of counts) counts.set(k, Math.log1p(c));
  return counts;
}

/**
 * A bag-of-words logistic regression on the feature difference of the two responses (prompt words
 * cancel: the prompt is the same on both sides), trained on the run's training pairs with L2
 * (sklearn's C = 1 scaled to the mean loss) by full-batch gradient descent. Pairs enter both ways
 * round, so the model has no side bias and needs no intercept.
 */
function bowLogistic(pairs: Pair[], side: (p: Pair) => 'train' | 'heldout') {
  const diff = (p: Pair) => {
    const [c, r] = p.winner === 'a' ? [p.responseA, p.responseB] : [p.responseB, p.responseA];
    const d = new Map(bowFeatures(textOf(c)));
    for (const [k, v] of bowFeatures(textOf(r))) d.set(k, (d.get(k) ?? 0) - v);
    return d;
  };
  const decisive = pairs.filter((p) => p.winner === 'a' || p.winner === 'b');
  const train = decisive.filter((p) => side(p) === 'train').map(diff);
  const test = decisive.filter((p) => side(p) === 'heldout').map(diff);
  const w = new Float64Array(1 << HASH_BITS);
  const dot = (x: Map<number, number>) => {
    let s = 0;
    for (const [k, v] of x) s += w[k]! * v;
    return s;
  };
  const lambda = 1 / train.length; // C = 1 over the summed loss = 1/n over the mean loss
  const lr = 0.5;
  for (let it = 0; it < 300; it++) {
    const g = new Float64Array(w.length);
    for (const x of train) {
      // label 1 for x, 0 for -x: both give the same gradient direction, so x alone with label 1 suffices
      const p = 1 / (1 + Math.exp(-dot(x)));
      for (const [k, v] of x) g[k]! += ((p - 1) * v) / train.length;
    }
    for (let k = 0; k < w.length; k++) w[k]! -= lr * (g[k]! + lambda * w[k]!);
  }
  const correct = test.filter((x) => dot(x) > 0).length;
  return { accuracy: correct / test.length, correct, n: test.length, wilson95: wilsonInterval(correct, test.length) };
}

// ---------------------------------------------------------------------------------------------

function child(arm: string, seed: number): Promise<RunResult> {
  const args = ['--one', arm, String(seed), '--max-steps', String(MAX_STEPS)];
  return runChild(fileURLToPath(import.meta.url), args, { arm, seed });
}

async function main() {
  const seeds = option('seeds', '1,2,3,4,5,6,7,8,9,10').split(',').map(Number);
  const arms = option('arms', Object.keys(ARMS).join(',')).split(',');
  for (const arm of arms) configFor(arm, 0); // unknown arms stop here, not after an hour
  const reference = option('reference', arms[0]!);
  const jobs = Number(option('jobs', '2'));

  const pairs = await demoPairs();
  const data = prepareTrainingData(pairs, builtinTokenizer(), configFor(arms[0]!, 0));
  const split = planSplit(pairs, { seed: SPLIT_SEED, heldOutFraction: HELD_OUT, stratify: 'none' });
  const baselines = {
    ...lengthBaselines(data),
    bagOfWordsLogistic: bowLogistic(pairs, (p) => split.sideOf(p)),
  };
  console.log(
    `baselines on ${baselines.n} held-out pairs: longer wins ${pct(baselines.longerWins.accuracy)}, ` +
      `shorter wins ${pct(baselines.shorterWins.accuracy)}, bag-of-words LR ${pct(baselines.bagOfWordsLogistic.accuracy)}`,
  );

  const done = keptRuns<RunResult & { maxSteps: number }>(RUNS_FILE, (r) => r.maxSteps === MAX_STEPS);
  const runs: RunResult[] = [];
  const toDo = runsToDo(seeds, arms, done, runs);
  const t0 = performance.now();
  await runQueue(SUMMARY_ONLY ? [] : toDo, jobs, async (next) => {
    let r: RunResult;
    try {
      r = await child(next.arm, next.seed);
    } catch (error) {
      console.error(String(error));
      return;
    }
    const last = r.epochs.at(-1)!;
    console.log(
      `${r.arm.padEnd(24)} seed ${String(r.seed).padStart(2)}: held-out ${pct(last.accuracy)} (${last.correct}/${last.heldOut}), ` +
        `by epoch ${r.epochs.map((e) => pct(e.accuracy)).join(' ')}, r(len) ${r.lengthCorrelation.toFixed(2)}` +
        (r.quality ? `, quality ${pct(r.quality.accuracy)}` : '') +
        ` (${r.seconds.toFixed(0)} s)`,
    );
    runs.push(r);
    appendFileSync(RUNS_FILE, JSON.stringify({ ...r, maxSteps: MAX_STEPS }) + '\n');
  });

  const finalOf = (r: RunResult) => r.epochs.at(-1)!;
  const summary = arms
    .map((arm) => {
      const mine = runs.filter((r) => r.arm === arm).sort((a, b) => a.seed - b.seed);
      if (mine.length === 0) return undefined;
      const finals = mine.map(finalOf);
      const correct = finals.reduce((s, p) => s + p.correct, 0);
      const n = finals.reduce((s, p) => s + p.heldOut, 0);
      const base = runs.filter((r) => r.arm === reference);
      const paired = mine
        .map((r) => ({ r, b: base.find((b) => b.seed === r.seed) }))
        .filter((x): x is { r: RunResult; b: RunResult } => x.b !== undefined)
        .map(({ r, b }) => finalOf(r).accuracy - finalOf(b).accuracy);
      const quality = mine.filter((r) => r.quality).map((r) => r.quality!);
      return {
        arm,
        change: ARMS[arm],
        seeds: mine.map((r) => r.seed),
        accuracyMean: mean(finals.map((p) => p.accuracy)),
        accuracySd: sd(finals.map((p) => p.accuracy)),
        // All seeds' judgements of the same held-out pairs together: not independent, a guide only.
        pooledWilson95: wilsonInterval(correct, n),
        perSeed: mine.map((r) => ({
          seed: r.seed,
          accuracy: finalOf(r).accuracy,
          wilson95: wilsonInterval(finalOf(r).correct, finalOf(r).heldOut),
          loss: finalOf(r).loss,
        })),
        byEpoch: mine[0]!.epochs.map((_, e) => mean(mine.map((r) => r.epochs[e]?.accuracy ?? NaN))),
        heldOutLossMean: mean(finals.map((p) => p.loss)),
        lengthCorrelationMean: mean(mine.map((r) => r.lengthCorrelation)),
        ...(quality.length > 0
          ? {
              qualityAccuracyMean: mean(quality.map((q) => q.accuracy)),
              qualityLengthCorrelationMean: mean(quality.map((q) => q.lengthCorrelation)),
              lengthWeightMean: mean(mine.map((r) => r.lengthWeight ?? NaN)),
            }
          : {}),
        versusReference: {
          reference,
          pairedSeeds: paired.length,
          diffMean: paired.length > 0 ? mean(paired) : NaN,
          diffSd: paired.length > 0 ? sd(paired) : NaN,
          seedsBetter: paired.filter((d) => d > 0).length,
          seedsWorse: paired.filter((d) => d < 0).length,
        },
        secondsMean: mean(mine.map((r) => r.seconds)),
      };
    })
    .filter((s) => s !== undefined);

  console.log(`\n${'arm'.padEnd(24)} mean ± sd      pooled 95%      vs ${reference}   r(len)  s/run`);
  for (const s of summary) {
    const v = s.versusReference;
    console.log(
      `${s.arm.padEnd(24)} ${pct(s.accuracyMean)} ± ${pct(s.accuracySd)}  ` +
        `[${pct(s.pooledWilson95.lower)}, ${pct(s.pooledWilson95.upper)}]  ` +
        `${v.diffMean >= 0 ? '+' : ''}${(100 * v.diffMean).toFixed(1)} (${v.seedsBetter}/${v.pairedSeeds})  ` +
        `${s.lengthCorrelationMean.toFixed(2)}  ${s.secondsMean.toFixed(0)}`,
    );
  }

  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    OUT_FILE,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        backend: 'wasm (Node)',
        loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
        data: DATA,
        split: { heldOutFraction: HELD_OUT, splitSeed: SPLIT_SEED, groupedBy: 'prompt' },
        trainPairs: data.train.length,
        heldOutPairs: data.heldOut.length,
        base: { ...DEFAULT_TRAIN_CONFIG, maxSteps: MAX_STEPS },
        reference,
        baselines,
        wallSeconds: (performance.now() - t0) / 1000,
        summary,
        runs,
      },
      null,
      2,
    ) + '\n',
  );
}

if (process.argv[2] === '--one') {
  console.log(JSON.stringify(await runOne(process.argv[3]!, Number(process.argv[4]))));
} else {
  await main();
}
