// GPU operations per training step on tfjs's real WebGPU backend, counted over a do-nothing
// GPUDevice in Node (tests/webgpu-counting-device.ts): no GPU needed, and the counts are what a GPU
// would receive. Per model (the default built-in encoder, a bert-tiny-sized and a MiniLM-sized
// BERT) and per step: dispatches, uploads, uniform writes, compute passes, submits, host read-backs
// and the host (JS) time to issue them. It asserts nothing: figures, not tests
// (tests/unit/webgpu-dispatches.test.ts holds the bound).
//
//   nice -n 10 npx tsx bench/webgpu-dispatches.ts [--steps 10] [--label after] [--out FILE]
//                  [--models a,b] [--histogram] [--length 128]
//
// --histogram adds, per model, where the counted steps' dispatches and uploads went (by tfjs kernel
// and program, forward or backward, and the RM Lab line that ran it: tests/webgpu-kernel-histogram.ts),
// per step, largest first; it wraps the backend's methods, so its run's JS times are not figures.
// --length sets the tokens per sequence (the default configuration's 128 otherwise).
//
// Each run adds its figures under its --label to bench/results/webgpu-dispatches.json, so a
// "before" and an "after" sit side by side in one file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { countedModels, countSteps, meanCounts } from '../tests/webgpu-step-counts.ts';
import { useCountingWebGPU } from '../tests/webgpu-counting-device.ts';
import { recordKernels, type KernelHistogram } from '../tests/webgpu-kernel-histogram.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '10' },
    label: { type: 'string', default: 'current' },
    out: { type: 'string', default: 'bench/results/webgpu-dispatches.json' },
    models: { type: 'string', default: '' },
    histogram: { type: 'boolean', default: false },
    length: { type: 'string', default: '' },
  },
});
const STEPS = Number(args.steps);

await useCountingWebGPU();
const wanted = args.models ? args.models.split(',') : undefined;
const figures: Record<string, unknown> = {};
const config = args.length ? { ...DEFAULT_TRAIN_CONFIG, maxLength: Number(args.length) } : DEFAULT_TRAIN_CONFIG;

/** Entries per step, largest first. */
const perStep = (h: Record<string, number>, steps: number) =>
  Object.fromEntries(
    Object.entries(h)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => [k, Math.round((n / steps) * 100) / 100]),
  );

for (const m of countedModels(config)) {
  if (wanted && !wanted.includes(m.name)) continue;
  let histogram: KernelHistogram | undefined;
  // The histogram counts the measured steps only: it starts after the warm-up steps.
  const steps = await countSteps(m, STEPS, 2, config, () => (histogram = args.histogram ? recordKernels() : undefined));
  histogram?.stop();
  const mean = meanCounts(steps);
  figures[m.name] = {
    meanPerStep: mean,
    perStep: steps,
    ...(histogram && {
      dispatchesByKernel: perStep(histogram.dispatches, STEPS),
      uploadsBySite: perStep(histogram.uploads, STEPS),
    }),
  };
  console.log(
    `${m.name.padEnd(16)} per step: ${mean.dispatches.toFixed(1)} dispatches, ${mean.uploads.toFixed(1)} uploads, ` +
      `${mean.uniformWrites.toFixed(1)} uniform writes, ${mean.computePasses.toFixed(1)} compute passes, ` +
      `${mean.submits.toFixed(1)} submits, ${mean.readBacks.toFixed(2)} read-backs, ${mean.jsMs.toFixed(1)} ms JS`,
  );
}

const previous = existsSync(args.out) ? (JSON.parse(readFileSync(args.out, 'utf8')) as Record<string, unknown>) : {};
const runs = (previous.runs ?? {}) as Record<string, unknown>;
runs[args.label] = {
  date: new Date().toISOString(),
  loadavg: loadavg(),
  maxLength: config.maxLength,
  stepsCounted: STEPS,
  warmupSteps: 2,
  models: figures,
};
writeFileSync(
  args.out,
  JSON.stringify(
    {
      what: 'GPU operations per training step, tfjs-backend-webgpu 4.22 over a counting GPUDevice in Node (bench/webgpu-dispatches.ts)',
      setup:
        'default TrainConfig (batch 16 pairs, 128 tokens, clipping 1, AdamW); synthetic full-length sequences; counts between shouldStop polls after 2 warm-up steps',
      runs,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${args.out} (${args.label})`);
