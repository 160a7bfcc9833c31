// Where a WASM training step's time goes, per tfjs kernel, for the shapes bench/train-vs-torch.ts
// times against PyTorch (bench/train-vs-torch-models.ts):
//   nice -n 10 npx tsx bench/wasm-step-profile.ts [--steps 3] [--models a,b] [--kernels rmlab,matmul,tfjs]
// Runs warm-up steps, then `steps` training steps (trainRewardModel, as the CLI trains) inside
// tf.profile, and prints each kernel's share of the summed kernel time and its calls per step (the
// wasm backend has no timer, so tfjs times each kernel by the wall clock: on a shared machine, take
// the shares, not the milliseconds), per kernel set (bench/wasm-kernel-sets.ts: `matmul` is RM Lab
// before the column sum, row gather and GELU kernels). Writes bench/results/wasm-step-profile.json.
// Figures, not tests.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { RewardModel } from '../src/core/model/reward-model.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';
import { config, dataOf, modelsNamed, pairsFor } from './train-vs-torch-models.ts';
import { kernelSetsNamed, useKernelSet, type KernelSet } from './wasm-kernel-sets.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '3' },
    models: { type: 'string', default: 'builtin-transformer,bert-tiny-sized' },
    kernels: { type: 'string', default: 'rmlab,matmul' },
  },
});
const STEPS = Number(args.steps);
const WARMUP = 2;
const B = config.batchSize;

await tf.setBackend('wasm');
await tf.ready();

interface KernelShare {
  kernel: string;
  ms: number;
  share: number;
  callsPerStep: number;
}
const results: { model: string; kernelSet: KernelSet; totalKernelMsPerStep: number; kernels: KernelShare[] }[] = [];
for (const [m, set] of modelsNamed(args.models).flatMap((m) =>
  kernelSetsNamed(args.kernels).map((k) => [m, k] as const),
)) {
  await useKernelSet(set);
  const pairs = pairsFor(m, WARMUP + STEPS);
  const model = RewardModel.create(m.spec, config.seed);
  const hyper = { ...config, maxLength: m.length, epochs: 1, evalEvery: 1e9 };
  const quiet = { onEvent: () => {} };
  await trainRewardModel(model, dataOf(pairs.slice(0, WARMUP * B)), { ...hyper, maxSteps: WARMUP }, m.pad, quiet);
  const info = await tf.profile(async () => {
    await trainRewardModel(model, dataOf(pairs.slice(WARMUP * B)), { ...hyper, maxSteps: STEPS }, m.pad, quiet);
  });
  model.dispose();
  // tf.profile also lists custom gradients' scopes ('forward', ...), whose time holds their kernels'.
  const real = info.kernels.filter((k) => tf.getKernel(k.name, 'wasm'));
  const by = new Map<string, { ms: number; calls: number }>();
  const byShape = new Map<string, { ms: number; calls: number }>();
  for (const k of real) {
    for (const [map, key] of [
      [by, k.name],
      [byShape, `${k.name} ${JSON.stringify(k.inputShapes)}`],
    ] as const) {
      const entry = map.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += k.kernelTimeMs as number;
      entry.calls += 1;
      map.set(key, entry);
    }
  }
  const total = [...by.values()].reduce((n, e) => n + e.ms, 0);
  const kernels = [...by.entries()]
    .map(([kernel, e]) => ({ kernel, ms: e.ms / STEPS, share: e.ms / total, callsPerStep: e.calls / STEPS }))
    .sort((a, b) => b.ms - a.ms);
  results.push({ model: m.name, kernelSet: set, totalKernelMsPerStep: total / STEPS, kernels });
  console.log(`\n${m.name} (${set} kernels): ${(total / STEPS).toFixed(0)} ms of kernels per step`);
  for (const k of kernels.slice(0, 20)) {
    console.log(
      `  ${k.kernel.padEnd(22)} ${(100 * k.share).toFixed(1).padStart(5)}%  ${k.ms.toFixed(1).padStart(7)} ms  ${k.callsPerStep} calls`,
    );
  }
  console.log('  by input shapes:');
  const shapes = [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20);
  for (const [key, e] of shapes) {
    console.log(`    ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${(e.calls / STEPS).toFixed(1)} calls  ${key}`);
  }
}
writeFileSync(
  'bench/results/wasm-step-profile.json',
  JSON.stringify({ date: new Date().toISOString(), steps: STEPS, loadAverage: loadavg()[0], results }, null, 2) + '\n',
);
