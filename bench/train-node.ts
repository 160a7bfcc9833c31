// Training throughput and held-out accuracy of the built-in encoder on the demo data, in Node.
//   npx tsx bench/train-node.ts [--full]
// Times the same steps on tfjs's WASM and CPU backends in one run and prints their ratio; with
// --full, also trains the app's default configuration to the end on WASM and records its held-out
// curve. Results go to bench/results/train-node.json. It asserts nothing: figures, not tests.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readLinesFromText } from '../src/core/data/jsonl.ts';
import { parsePairs } from '../src/core/data/parse.ts';
import type { Pair } from '../src/core/data/pair.ts';
import { modelSpecFor, RewardModel } from '../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/core/train/config.ts';
import { prepareTrainingData } from '../src/core/train/data.ts';
import type { EvalPoint } from '../src/core/train/events.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';

const full = process.argv.includes('--full');
const tokenizer = builtinTokenizer();

async function demoPairs(): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for await (const p of parsePairs(readLinesFromText(readFileSync('public/demo/pandalm-testset.jsonl', 'utf8')))) {
    if (p.kind === 'pair') pairs.push({ ...p.pair, id: String(p.line), datasetId: 'demo' });
  }
  return pairs;
}

async function timeSteps(backend: string, config: TrainConfig, pairs: Pair[], steps: number) {
  await tf.setBackend(backend);
  const data = prepareTrainingData(pairs, tokenizer, config);
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), config.seed);
  // One warm-up step (kernel set-up, first allocations), then the timed ones.
  await trainRewardModel(model, data, { ...config, maxSteps: 1, evalEvery: 1e9 }, tokenizer.special.pad, {
    onEvent: () => {},
  });
  let pairsPerSecond = 0;
  const t0 = performance.now();
  await trainRewardModel(
    model,
    { ...data, heldOut: [] },
    { ...config, maxSteps: steps, evalEvery: 1e9 },
    tokenizer.special.pad,
    {
      onEvent: (e) => e.type === 'steps' && (pairsPerSecond = e.pairsPerSecond),
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return { backend, steps, seconds, pairsPerSecond, secondsPerStep: seconds / steps };
}

const pairs = await demoPairs();
const config = DEFAULT_TRAIN_CONFIG;
// The CPU backend is ~30x slower than WASM: fewer steps keep the run short; per-step times compare.
const STEPS = 8;
const CPU_STEPS = 2;
const wasm = await timeSteps('wasm', config, pairs, STEPS);
const cpu = await timeSteps('cpu', config, pairs, CPU_STEPS);
console.log(`default config, steps of ${config.batchSize} pairs (T <= ${config.maxLength}):`);
for (const r of [wasm, cpu])
  console.log(`  ${r.backend.padEnd(5)} ${r.secondsPerStep.toFixed(2)} s/step  ${r.pairsPerSecond.toFixed(1)} pairs/s`);
console.log(`  wasm is ${(cpu.secondsPerStep / wasm.secondsPerStep).toFixed(1)}x faster than cpu`);

let fullRun:
  | { seconds: number; steps: number; evals: Omit<EvalPoint, 'chosenRewards' | 'rejectedRewards'>[]; counts: unknown }
  | undefined;
if (full) {
  await tf.setBackend('wasm');
  const data = prepareTrainingData(pairs, tokenizer, config);
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), config.seed);
  const evals: Omit<EvalPoint, 'chosenRewards' | 'rejectedRewards'>[] = [];
  const t0 = performance.now();
  const result = await trainRewardModel(model, data, config, tokenizer.special.pad, {
    onEvent: (e) => {
      if (e.type !== 'eval') return;
      const { chosenRewards: _c, rejectedRewards: _r, ...point } = e.point;
      evals.push(point);
      console.log(
        `  step ${point.step}: held-out accuracy ${(point.accuracy * 100).toFixed(1)}%, loss ${point.loss.toFixed(4)}`,
      );
    },
  });
  fullRun = { seconds: (performance.now() - t0) / 1000, steps: result.steps, evals, counts: data.counts };
  model.dispose();
  console.log(`full default run: ${result.steps} steps in ${fullRun.seconds.toFixed(0)} s`);
}

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/train-node.json',
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      config,
      wasm,
      cpu,
      wasmOverCpu: cpu.secondsPerStep / wasm.secondsPerStep,
      fullRun,
    },
    null,
    2,
  ) + '\n',
);
