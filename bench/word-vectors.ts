// Does the built-in encoder learn better from GloVe-style word vectors than from random numbers?
//   nice -n 10 npx tsx bench/word-vectors.ts [--seeds 1,2,3] [--arms random,glove] [--jobs 2] [--held-out 0.25]
// Trains the app's default built-in model (every field at its default except the word-vector
// init and the held-out share) on tfjs's WASM backend in Node, on the PandaLM file (the demo
// dataset) with one prompt-grouped split for every run, once per (arm, seed). An arm is 'random',
// 'glove' (vectors scaled to the random init's std, 0.02) or 'glove@<std>' (another scale), each
// optionally with '+<pooling>' (e.g. 'glove+mean', compared with 'random+mean').
// Each run is a child process (--jobs at a time: one core each); the same seed gives both arms
// the same draws for every weight but the word rows that have a vector, and the same batch order.
// Held-out accuracy (Wilson 95% interval), loss and mean margin at the end of each epoch go to
// bench/results/word-vectors.json, with the per-seed differences. Figures, not tests: it asserts nothing.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keptRuns, mean, option, pct, runChild, runQueue, runsToDo, sd } from './seed-runs.ts';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readLinesFromText } from '../src/core/data/jsonl.ts';
import { parsePairs } from '../src/core/data/parse.ts';
import type { Pair } from '../src/core/data/pair.ts';
import { wilsonInterval } from '../src/core/data/stats/math.ts';
import { modelSpecFor, RewardModel } from '../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import { loadBuiltinWordVectors } from '../src/core/model/word-vectors.ts';
import { DEFAULT_TRAIN_CONFIG, TRAIN_FIELDS, type PoolingChoice, type TrainConfig } from '../src/core/train/config.ts';
import { prepareTrainingData } from '../src/core/train/data.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';

const DATA = 'public/demo/pandalm-testset.jsonl';
const SPLIT_SEED = 0;
/** Each finished run, one JSON line (git-ignored: bench/results/*.tmp). */
const RUNS_FILE = 'bench/results/word-vectors.runs.tmp';

interface EpochPoint {
  epoch: number;
  step: number;
  accuracy: number;
  correct: number;
  heldOut: number;
  loss: number;
  meanMargin: number;
}

interface RunResult {
  arm: string;
  seed: number;
  seconds: number;
  trainPairs: number;
  epochs: EpochPoint[];
}

async function demoPairs(): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for await (const p of parsePairs(readLinesFromText(readFileSync(DATA, 'utf8')))) {
    if (p.kind === 'pair') pairs.push({ ...p.pair, id: String(p.line), datasetId: 'demo' });
  }
  return pairs;
}

/** --max-steps N: a quick check of the script itself (0, the default: the whole run). */
const MAX_STEPS = Number(option('max-steps', '0'));

function configFor(heldOutFraction: number, seed: number): TrainConfig {
  // Every held-out pair scored; the split's seed fixed so all runs see the same held-out prompts.
  return {
    ...DEFAULT_TRAIN_CONFIG,
    heldOutFraction,
    splitSeed: SPLIT_SEED,
    seed,
    maxHeldOutPairs: 1_000_000,
    maxSteps: MAX_STEPS,
  };
}

/** One training run, in this process. */
async function runOne(arm: string, seed: number, heldOutFraction: number): Promise<RunResult> {
  await tf.setBackend('wasm');
  const tokenizer = builtinTokenizer();
  const config = configFor(heldOutFraction, seed);
  const data = prepareTrainingData(await demoPairs(), tokenizer, config);
  const stepsPerEpoch = Math.ceil(data.train.length / config.batchSize);
  const [vectors, pooling] = arm.split('+') as [string, string | undefined];
  const [kind, std] = vectors.split('@');
  if (kind !== 'random' && kind !== 'glove') throw new Error(`unknown arm ${arm}: random, glove or glove@<std>`);
  if (pooling !== undefined) {
    if (!TRAIN_FIELDS.pooling.choices.includes(pooling as PoolingChoice))
      throw new Error(`unknown pooling in arm ${arm}`);
    config.pooling = pooling as PoolingChoice;
  }
  const init =
    kind === 'glove'
      ? { wordVectors: await loadBuiltinWordVectors(), wordVectorStd: std ? Number(std) : undefined }
      : {};
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), config.seed, init);
  const epochs: EpochPoint[] = [];
  const t0 = performance.now();
  await trainRewardModel(model, data, { ...config, evalEvery: stepsPerEpoch }, tokenizer.special.pad, {
    onEvent: (e) => {
      if (e.type !== 'eval') return;
      const { step, loss, accuracy, meanMargin, chosenRewards, rejectedRewards } = e.point;
      const correct = chosenRewards.filter((c, i) => c > rejectedRewards[i]!).length;
      epochs.push({
        epoch: step / stepsPerEpoch,
        step,
        accuracy,
        correct,
        heldOut: chosenRewards.length,
        loss,
        meanMargin,
      });
    },
  });
  model.dispose();
  return { arm, seed, seconds: (performance.now() - t0) / 1000, trainPairs: data.train.length, epochs };
}

function child(arm: string, seed: number, heldOutFraction: number): Promise<RunResult> {
  const args = ['--one', arm, String(seed), String(heldOutFraction), '--max-steps', String(MAX_STEPS)];
  return runChild(fileURLToPath(import.meta.url), args, { arm, seed });
}

async function main() {
  const seeds = option('seeds', '1,2,3').split(',').map(Number);
  const arms = option('arms', 'random,glove').split(',');
  const jobs = Number(option('jobs', '2'));
  const heldOutFraction = Number(option('held-out', '0.25'));
  // Finished runs are kept in RUNS_FILE as they end (the machine is shared and a full set takes a
  // while): a rerun with the same held-out share and steps reuses them and trains only the rest.
  const done = keptRuns<RunResult & { heldOutFraction: number; maxSteps: number }>(
    RUNS_FILE,
    (r) => r.heldOutFraction === heldOutFraction && r.maxSteps === MAX_STEPS,
  );
  const runs: RunResult[] = [];
  const queue = runsToDo(seeds, arms, done, runs);
  const t0 = performance.now();
  await runQueue(queue, jobs, async (next) => {
    const r = await child(next.arm, next.seed, heldOutFraction);
    const last = r.epochs.at(-1)!;
    console.log(
      `${r.arm.padEnd(10)} seed ${r.seed}: held-out ${pct(last.accuracy)} (${last.correct}/${last.heldOut}), ` +
        `loss ${last.loss.toFixed(4)}, by epoch ${r.epochs.map((e) => pct(e.accuracy)).join(' ')} (${r.seconds.toFixed(0)} s)`,
    );
    runs.push(r);
    appendFileSync(RUNS_FILE, JSON.stringify({ ...r, heldOutFraction, maxSteps: MAX_STEPS }) + '\n');
  });
  runs.sort((a, b) => a.seed - b.seed || arms.indexOf(a.arm) - arms.indexOf(b.arm));

  const summary = arms.map((arm) => {
    const mine = runs.filter((r) => r.arm === arm);
    const epochs = mine[0]!.epochs.map((_, e) => {
      // Runs of one arm stop at the same steps, so their e-th evaluations line up.
      const points = mine.map((r) => r.epochs[e]!);
      return {
        epoch: points[0]!.epoch,
        accuracyMean: mean(points.map((p) => p.accuracy)),
        accuracySd: sd(points.map((p) => p.accuracy)),
        lossMean: mean(points.map((p) => p.loss)),
        lossSd: sd(points.map((p) => p.loss)),
      };
    });
    const finals = mine.map((r) => r.epochs.at(-1)!);
    const correct = finals.reduce((s, p) => s + p.correct, 0);
    const n = finals.reduce((s, p) => s + p.heldOut, 0);
    return {
      arm,
      seeds: mine.map((r) => r.seed),
      final: {
        accuracyMean: mean(finals.map((p) => p.accuracy)),
        accuracySd: sd(finals.map((p) => p.accuracy)),
        lossMean: mean(finals.map((p) => p.loss)),
        perSeed: finals.map((p, i) => ({
          seed: mine[i]!.seed,
          accuracy: p.accuracy,
          wilson95: wilsonInterval(p.correct, p.heldOut),
          loss: p.loss,
        })),
        // All seeds' held-out judgements together (the same pairs, so not independent: a guide, not a test).
        pooledWilson95: wilsonInterval(correct, n),
      },
      epochs,
    };
  });
  // Each arm against the random arm with the same pooling ('glove+mean' against 'random+mean').
  const baseOf = (arm: string) => summary.find((s) => s.arm === ['random', ...arm.split('+').slice(1)].join('+'));
  const versusRandom = summary
    .filter((s) => !s.arm.startsWith('random') && baseOf(s.arm))
    .map((s) => {
      const base = baseOf(s.arm)!;
      const baseSeed = (seed: number) => base.final.perSeed.find((b) => b.seed === seed)!;
      const diffs = s.final.perSeed.map((p) => p.accuracy - baseSeed(p.seed).accuracy);
      const lossDiffs = s.final.perSeed.map((p) => p.loss - baseSeed(p.seed).loss);
      return {
        arm: s.arm,
        against: base.arm,
        accuracyDiffPerSeed: diffs,
        accuracyDiffMean: mean(diffs),
        accuracyDiffSd: sd(diffs),
        seedsBetter: diffs.filter((d) => d > 0).length,
        lossDiffMean: mean(lossDiffs),
      };
    });
  for (const s of summary) {
    console.log(
      `${s.arm.padEnd(10)} final held-out accuracy ${pct(s.final.accuracyMean)} ± ${pct(s.final.accuracySd)} (sd over ${s.seeds.length} seeds), ` +
        `loss ${s.final.lossMean.toFixed(4)}; by epoch ${s.epochs.map((e) => `${pct(e.accuracyMean)}/${e.lossMean.toFixed(3)}`).join(' ')}`,
    );
  }
  for (const v of versusRandom) {
    console.log(
      `${v.arm} - ${v.against}: ${(100 * v.accuracyDiffMean).toFixed(1)} points (sd ${(100 * v.accuracyDiffSd).toFixed(1)}), ` +
        `better on ${v.seedsBetter} of ${v.accuracyDiffPerSeed.length} seeds, loss ${v.lossDiffMean >= 0 ? '+' : ''}${v.lossDiffMean.toFixed(4)}`,
    );
  }

  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/word-vectors.json',
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        backend: 'wasm (Node)',
        data: DATA,
        split: { heldOutFraction, splitSeed: SPLIT_SEED, groupedBy: 'prompt' },
        config: configFor(heldOutFraction, 0),
        trainPairs: runs[0]!.trainPairs,
        heldOutPairs: runs[0]!.epochs[0]!.heldOut,
        wallSeconds: (performance.now() - t0) / 1000,
        summary,
        versusRandom,
        runs: runs.map(({ arm, seed, seconds, trainPairs, epochs }) => ({ arm, seed, seconds, trainPairs, epochs })),
      },
      null,
      2,
    ) + '\n',
  );
}

if (process.argv[2] === '--one') {
  const result = await runOne(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  console.log(JSON.stringify(result));
} else {
  await main();
}
