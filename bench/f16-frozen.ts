// Frozen weights in f16 (TRAIN_FIELDS.frozenWeights) against float32, per model and freezing: the
// weights' bytes on the GPU and the GPU operations of a training step, on tfjs's real WebGPU backend
// over the counting GPUDevice in Node (tests/webgpu-counting-device.ts): no GPU needed, and the
// counts and buffer bytes are what a GPU would get. Nothing is computed there, so this says nothing
// of speed: time on a real GPU is unmeasured (no device was lent when this was written).
//
//   nice -n 10 npx tsx bench/f16-frozen.ts [--steps 5] [--out bench/results/f16-frozen.json]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { countedModels, countSteps, meanCounts } from '../tests/webgpu-step-counts.ts';
import { useCountingWebGPU } from '../tests/webgpu-counting-device.ts';
import { weightBytesOnGpu } from '../tests/gpu-weight-bytes.ts';
import { DEFAULT_TRAIN_CONFIG, type FrozenPrecision } from '../src/core/train/config.ts';
import { limitsFor, memoryPlan } from '../src/core/train/memory-plan.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/f16-frozen.json' },
  },
});
const STEPS = Number(args.steps);

await useCountingWebGPU();
const config = { ...DEFAULT_TRAIN_CONFIG, maxLength: 64 };
/** (model, frozen layers): half the layers, and the whole encoder (the head alone trains). */
const CASES = [
  ['bert-tiny-sized', 1],
  ['bert-tiny-sized', 2],
  ['minilm-sized', 3],
  ['minilm-sized', 6],
] as const;

const figures: Record<string, unknown>[] = [];
for (const [name, frozenLayers] of CASES) {
  const m = countedModels(config).find((c) => c.name === name)!;
  const freeze = { frozenLayers, embeddingTraining: 'train' } as const;
  const arm: Record<string, unknown> = { model: name, frozenLayers };
  for (const frozenWeights of ['f32', 'f16'] as FrozenPrecision[]) {
    // Weight bytes with every op on the GPU (each weight uploaded), then the step counts as the app runs.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const { bytes, storedInF16 } = await weightBytesOnGpu(m.spec, freeze, frozenWeights);
    tf.env().set('WEBGPU_CPU_FORWARD', true);
    const steps = await countSteps(m, STEPS, 2, { ...config, frozenLayers, frozenWeights });
    const mean = meanCounts(steps);
    const plan = memoryPlan(m.spec, config, { ...freeze, frozenWeights }, limitsFor('webgpu'));
    arm[frozenWeights] = {
      weightBytesOnGpu: bytes,
      planParameterBytes: plan.parameters,
      matricesInF16: storedInF16,
      perStep: {
        dispatches: mean.dispatches,
        uploads: mean.uploads,
        uniformWrites: mean.uniformWrites,
        submits: mean.submits,
        readBacks: mean.readBacks,
      },
    };
    console.log(
      `${name} frozen ${frozenLayers} ${frozenWeights}: weights ${(bytes / 2 ** 20).toFixed(2)} MB on the GPU ` +
        `(plan ${(plan.parameters / 2 ** 20).toFixed(2)} MB, ${storedInF16} matrices in f16); per step ` +
        `${mean.dispatches.toFixed(1)} dispatches, ${mean.uploads.toFixed(1)} uploads`,
    );
  }
  const a = arm.f32 as { weightBytesOnGpu: number; perStep: { dispatches: number } };
  const b = arm.f16 as { weightBytesOnGpu: number; perStep: { dispatches: number } };
  arm.weightBytesRatio = b.weightBytesOnGpu / a.weightBytesOnGpu;
  arm.dispatchRatio = b.perStep.dispatches / a.perStep.dispatches;
  figures.push(arm);
}

writeFileSync(
  args.out,
  JSON.stringify(
    {
      what: "Frozen weights in f16 vs float32: the weights' bytes in GPU buffers and GPU operations per training step (bench/f16-frozen.ts)",
      setup: `tfjs-backend-webgpu 4.22 over a counting GPUDevice in Node (no GPU); default TrainConfig at ${config.maxLength} tokens, batch ${config.batchSize} pairs; weight bytes after one forward pass with WEBGPU_CPU_FORWARD off (tf.memory().numBytesInGPU); step counts over ${STEPS} steps after 2 warm-up steps`,
      speed:
        'unmeasured: no GPU was lent; the counting device computes nothing, so these are operation counts and buffer bytes, not times',
      date: new Date().toISOString(),
      loadavg: loadavg(),
      cases: figures,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${args.out}`);
