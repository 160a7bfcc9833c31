// The reward model on WebGPU (Chromium, Dawn's software adapter here) against the float64 PyTorch
// reference (tests/fixtures/reference-tiny-*.json, from scripts/reference/reward_model_reference.py)
// and against tfjs's cpu backend on the same weights: rewards, loss and the gradient of every
// parameter, the gradient check the WebGPU backend needs before it trains ("training: maybe" in its
// README). Results are read with `await data()` only: dataSync/arraySync break WebGPU in headless Chromium.
//
// Tolerance, as in tests/unit/reference.test.ts: per tensor, max |actual - expected| <=
// 1e-4 * max(max |expected|, 1e-2). WebGPU and cpu are both float32, so webgpu-vs-cpu is held to the same bound.
// The fixtures are the smallest (1 layer, d 8, T 8, 2 pairs): the software adapter is slow.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import type { Pooling } from '../../src/core/model/encoders/encoder.ts';
import { makeBatch } from '../../src/core/train/batch.ts';
import { bradleyTerryLoss, pairwiseAccuracy } from '../../src/core/train/loss.ts';
import tinyCls from '../fixtures/reference-tiny-cls.json';
import tinyMean from '../fixtures/reference-tiny-mean.json';

interface Named {
  name: string;
  shape: number[];
  data: number[];
}

interface Fixture {
  config: {
    vocabSize: number;
    maxLength: number;
    dModel: number;
    nLayers: number;
    nHeads: number;
    dFF: number;
    pooling: string;
  };
  padId: number;
  pairs: { chosen: number[]; rejected: number[]; margin: number }[];
  batch: { ids: number[][]; mask: number[][]; margin: number[] };
  weights: Named[];
  expected: { rewards: number[]; loss: number; accuracy: number };
  grads: Named[];
}

const FIXTURES: [string, Fixture][] = [
  ['reference-tiny-cls', tinyCls],
  ['reference-tiny-mean', tinyMean],
];

const RTOL = 1e-4;
const SCALE_FLOOR = 1e-2;

function loadModel(f: Fixture): RewardModel {
  const { pooling, ...rest } = f.config;
  const spec: ModelSpec = {
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    transformer: { ...rest, pooling: pooling as Pooling },
  };
  const model = RewardModel.create(spec, 1);
  model.setWeights(f.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) })));
  return model;
}

interface Run {
  rewards: Float32Array;
  loss: number;
  accuracy: number;
  grads: Map<string, Float32Array>;
  /** WebGPU only: bytes held in GPU buffers just before the run's tensors were disposed. */
  gpuBytes: number;
}

/** Forward, loss, accuracy and gradients on the current backend, read back with `await data()`. */
async function run(f: Fixture): Promise<Run> {
  const model = loadModel(f);
  const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
  const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
  const margin = tf.tensor1d(f.batch.margin, 'float32');
  const names = [...model.params.keys()];
  const vars = model.trainableVariables;
  let rewards: tf.Tensor1D | undefined;
  let accuracy: tf.Scalar | undefined;
  const { value: loss, grads } = tf.variableGrads(() => {
    const r = model.rewards(ids, mask); // [2B]
    rewards = tf.keep(r);
    const [rc, rr] = tf.split(r, 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
    accuracy = tf.keep(pairwiseAccuracy(rc, rr));
    return bradleyTerryLoss(rc, rr, margin);
  }, vars);
  const out: Run = {
    rewards: (await rewards!.data()) as Float32Array,
    loss: (await loss.data())[0]!,
    accuracy: (await accuracy!.data())[0]!,
    grads: new Map(),
    gpuBytes: (tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number }).numBytesInGPU ?? 0,
  };
  for (const [i, name] of names.entries()) out.grads.set(name, (await grads[vars[i]!.name]!.data()) as Float32Array);
  tf.dispose([ids, mask, margin, rewards!, accuracy!, loss, ...Object.values(grads)]);
  model.dispose();
  return out;
}

type Comparison = { maxErr: number; ratio: number };

function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  let maxErr = actual.length === expected.length && expected.length > 0 ? 0 : Infinity;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  if (Number.isNaN(maxErr)) maxErr = Infinity;
  return { maxErr, ratio: maxErr / (RTOL * Math.max(scale, SCALE_FLOOR)) };
}

/** Compares every tensor before asserting, so a failure names every one out of tolerance. */
function expectClose(label: string, results: [string, Comparison][]): void {
  const worst = results.reduce((a, b) => (b[1].ratio > a[1].ratio ? b : a));
  console.log(
    `${label}: worst ${worst[0]} max err ${worst[1].maxErr.toExponential(2)} (${worst[1].ratio.toFixed(3)} of tolerance); ` +
      `rewards ${results[0]![1].maxErr.toExponential(2)}, loss ${results[1]![1].maxErr.toExponential(2)}, largest gradient ` +
      `error ${Math.max(...results.slice(2).map(([, c]) => c.maxErr)).toExponential(2)}`,
  );
  const failures = results
    .filter(([, c]) => !(c.ratio <= 1))
    .map(([name, c]) => `${name}: max err ${c.maxErr.toExponential(2)} = ${c.ratio.toFixed(1)} x tolerance`);
  expect(failures.length, `${label}, out of tolerance:\n  ${failures.join('\n  ')}\n`).toBe(0);
}

async function use(backend: string): Promise<void> {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
}

describe('the reward model on WebGPU', () => {
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    await use('webgpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const cpuRuns = new Map<string, Run>();

  // WEBGPU_CPU_FORWARD (on by default) runs an op on the cpu kernels when all its inputs are small
  // (< 1000 values) and not yet on the GPU, which in these tiny fixtures covers the embedding lookup
  // and more. Off, every op runs as a WebGPU shader: that is the check of the kernels. On, the app's
  // own setting is checked as well.
  it.each(
    FIXTURES.flatMap(([label, f]) => [false, true].map((forward): [string, boolean, Fixture] => [label, forward, f])),
  )(
    '%s, WEBGPU_CPU_FORWARD %s: rewards, loss and every gradient match the PyTorch reference and the cpu backend',
    async (label, forward, f) => {
      if (!cpuRuns.has(label)) {
        await use('cpu');
        cpuRuns.set(label, await run(f));
      }
      const cpu = cpuRuns.get(label)!;
      await use('webgpu');
      const previous = tf.env().getBool('WEBGPU_CPU_FORWARD');
      tf.env().set('WEBGPU_CPU_FORWARD', forward);
      let gpu: Run;
      try {
        gpu = await run(f);
      } finally {
        tf.env().set('WEBGPU_CPU_FORWARD', previous);
      }
      expect(gpu.grads.size).toBe(f.grads.length);
      if (!forward) expect(gpu.gpuBytes, 'the tensors lived in GPU buffers').toBeGreaterThan(0);
      const tag = `${label}, cpu forward ${forward}`;
      expectClose(`webgpu vs reference, ${tag}`, [
        ['rewards', compare(gpu.rewards, f.expected.rewards)],
        ['loss', compare([gpu.loss], [f.expected.loss])],
        ...f.grads.map((g): [string, Comparison] => [g.name, compare(gpu.grads.get(g.name) ?? [], g.data)]),
      ]);
      expectClose(`webgpu vs cpu, ${tag}`, [
        ['rewards', compare(gpu.rewards, cpu.rewards)],
        ['loss', compare([gpu.loss], [cpu.loss])],
        ...[...cpu.grads].map(([name, g]): [string, Comparison] => [name, compare(gpu.grads.get(name) ?? [], g)]),
      ]);
      expect(gpu.accuracy).toBe(Math.fround(f.expected.accuracy));
      expect(cpu.accuracy).toBe(Math.fround(f.expected.accuracy));
    },
  );

  it('3 training steps with Adam keep tf.memory().numTensors flat and leave nothing behind', async () => {
    await use('webgpu');
    const previous = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false); // every op a shader, every tensor a GPU buffer
    try {
      const f = tinyMean as Fixture;
      const start = tf.memory().numTensors;
      const model = loadModel(f);
      const optimizer: tf.Optimizer = tf.train.adam(1e-2);
      const counts: number[] = [];
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        const batch = makeBatch(
          f.pairs.map((p) => ({
            chosen: Int32Array.from(p.chosen),
            rejected: Int32Array.from(p.rejected),
            margin: p.margin,
          })),
          f.config.maxLength,
          f.padId,
        );
        const { value: loss, grads } = tf.variableGrads(() => {
          const [rc, rr] = tf.split(model.rewards(batch.ids, batch.mask), 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
          return bradleyTerryLoss(rc, rr, batch.margin);
        }, model.trainableVariables);
        optimizer.applyGradients(grads);
        losses.push((await loss.data())[0]!);
        tf.dispose([loss, ...Object.values(grads), batch.ids, batch.mask, batch.margin]);
        counts.push(tf.memory().numTensors);
      }
      console.log(
        `webgpu Adam steps: losses ${losses.map((l) => l.toFixed(5)).join(', ')}; tensors after each step ${counts.join(', ')}`,
      );
      expect(losses[0]).toBeCloseTo(f.expected.loss, 5); // the first step saw the reference weights
      expect(losses[2]).toBeLessThan(losses[0]!); // and Adam made progress on the batch
      // Adam makes its two moment slots per variable on the first step; after that, nothing grows.
      expect(counts[2]).toBe(counts[1]);
      optimizer.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(start);
    } finally {
      tf.env().set('WEBGPU_CPU_FORWARD', previous);
    }
  });
});
