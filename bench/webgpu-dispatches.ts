// GPU operations per training step on tfjs's real WebGPU backend, counted over a do-nothing
// GPUDevice in Node (tests/webgpu-counting-device.ts): no GPU needed, and the counts are what a GPU
// would receive. Per model (the default built-in encoder, a bert-tiny-sized and a MiniLM-sized
// BERT) and per step: dispatches, uploads, uniform writes, compute passes, submits, host read-backs
// and the host (JS) time to issue them. It asserts nothing: figures, not tests
// (tests/unit/webgpu-dispatches.test.ts holds the bound).
//
//   nice -n 10 npx tsx bench/webgpu-dispatches.ts [--steps 10] [--label after] [--out FILE]
//
// Each run adds its figures under its --label to bench/results/webgpu-dispatches.json, so a
// "before" and an "after" sit side by side in one file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { countedModels, countSteps, meanCounts } from '../tests/webgpu-step-counts.ts';
import { useCountingWebGPU } from '../tests/webgpu-counting-device.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '10' },
    label: { type: 'string', default: 'current' },
    out: { type: 'string', default: 'bench/results/webgpu-dispatches.json' },
    models: { type: 'string', default: '' },
  },
});
const STEPS = Number(args.steps);

await useCountingWebGPU();
const wanted = args.models ? args.models.split(',') : undefined;
const figures: Record<string, unknown> = {};
for (const m of countedModels()) {
  if (wanted && !wanted.includes(m.name)) continue;
  const steps = await countSteps(m, STEPS);
  const mean = meanCounts(steps);
  figures[m.name] = { meanPerStep: mean, perStep: steps };
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
