// The default run on the demo data (PandaLM test set) under the training core's choices, in Node on
// WASM: the schedule, clipping and tie handling defaults against the loop as it was before them
// (constant learning rate, no clipping), and the options a user might turn on. Held-out accuracy and
// loss at the end of each run and along it; seeds fixed, so each figure is one run, not a mean.
//   npx tsx bench/train-options.ts [variant ...]
// Results go to bench/results/train-options.json. It asserts nothing: figures, not tests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readLinesFromText } from '../src/core/data/jsonl.ts';
import { parsePairs } from '../src/core/data/parse.ts';
import type { Pair } from '../src/core/data/pair.ts';
import { modelSpecFor, RewardModel } from '../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/core/train/config.ts';
import { prepareTrainingData } from '../src/core/train/data.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';

const VARIANTS: Record<string, Partial<TrainConfig>> = {
  'before (constant lr, no clipping)': { lrSchedule: 'constant', maxGradNorm: 0 },
  defaults: {},
  'linear, no clipping': { maxGradNorm: 0 },
  'constant, clipping at 1': { lrSchedule: 'constant' },
  'davidson ties': { ties: 'davidson' },
  // the same comparisons from other starting weights and data orders
  'defaults, seed 1': { seed: 1 },
  'constant, clipping at 1, seed 1': { lrSchedule: 'constant', seed: 1 },
  'defaults, seed 2': { seed: 2 },
  'constant, clipping at 1, seed 2': { lrSchedule: 'constant', seed: 2 },
  'soft targets from votes': { softTargets: 'votes' },
  'cosine, 10% warmup, weight decay 0.01': { lrSchedule: 'cosine', warmupRatio: 0.1, weightDecay: 0.01 },
};

const tokenizer = builtinTokenizer();
const pairs: Pair[] = [];
for await (const p of parsePairs(readLinesFromText(readFileSync('public/demo/pandalm-testset.jsonl', 'utf8')))) {
  if (p.kind === 'pair') pairs.push({ ...p.pair, id: String(p.line), datasetId: 'demo' });
}
await tf.setBackend('wasm');
const chosen = process.argv.slice(2);
const OUT = 'bench/results/train-options.json';
// Variants run before (another invocation) are kept; a variant run again replaces its row.
const results: Record<string, unknown>[] = existsSync(OUT) ? JSON.parse(readFileSync(OUT, 'utf8')).results : [];
for (const [name, change] of Object.entries(VARIANTS)) {
  if (chosen.length > 0 && !chosen.some((c) => name.startsWith(c))) continue;
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...change };
  const data = prepareTrainingData(pairs, tokenizer, config);
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), config.seed);
  let last: { accuracy: number; loss: number; meanMargin: number } | undefined;
  const curve: { step: number; accuracy: number; loss: number }[] = [];
  let clipped = 0;
  let steps = 0;
  const t0 = performance.now();
  await trainRewardModel(model, data, config, tokenizer.special.pad, {
    onEvent: (e) => {
      if (e.type === 'eval') {
        last = e.point;
        curve.push({ step: e.point.step, accuracy: e.point.accuracy, loss: e.point.loss });
      }
      if (e.type === 'steps')
        for (const p of e.points) {
          steps++;
          if (config.maxGradNorm > 0 && p.gradNorm! > config.maxGradNorm) clipped++;
        }
    },
  });
  model.dispose();
  const row = {
    variant: name,
    change,
    heldOutAccuracy: last!.accuracy,
    // one evaluation swings by several points on 70 held-out pairs: the mean of the last three is steadier
    lastThreeMeanAccuracy: curve.slice(-3).reduce((a, p) => a + p.accuracy, 0) / Math.min(3, curve.length),
    lastThreeMeanLoss: curve.slice(-3).reduce((a, p) => a + p.loss, 0) / Math.min(3, curve.length),
    curve,
    heldOutLoss: last!.loss,
    meanMargin: last!.meanMargin,
    steps,
    stepsOverMaxGradNorm: clipped,
    trainPairs: data.counts.train,
    tiesTrained: data.counts.tiesTrained,
    softTargets: data.counts.softTargets,
    heldOutScored: data.counts.heldOutScored,
    seconds: (performance.now() - t0) / 1000,
  };
  console.log(JSON.stringify(row));
  const at = results.findIndex((r) => r.variant === name);
  if (at >= 0) results[at] = row;
  else results.push(row);
  // written after each variant: a full set is a long run
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, base: DEFAULT_TRAIN_CONFIG, results },
      null,
      2,
    ) + '\n',
  );
}
