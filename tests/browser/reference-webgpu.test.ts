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
import { checkKernels } from '../../src/core/model/ops/webgpu/program.ts';
import { expectClose } from '../reference-expect.ts';
import { adamSteps, compare, runFixture, type Comparison, type Fixture, type Run } from '../reference-fixture.ts';
import tinyCls from '../fixtures/reference-tiny-cls.json';
import tinyMean from '../fixtures/reference-tiny-mean.json';

const FIXTURES: [string, Fixture][] = [
  ['reference-tiny-cls', tinyCls],
  ['reference-tiny-mean', tinyMean],
];

async function use(backend: string): Promise<void> {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
}

describe('the reward model on WebGPU', () => {
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    await use('webgpu');
    // RM Lab's kernels on (they run in training once checked): the reference checks them too.
    expect(await checkKernels()).toBe(true);
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
        cpuRuns.set(label, await runFixture(f));
      }
      const cpu = cpuRuns.get(label)!;
      await use('webgpu');
      const previous = tf.env().getBool('WEBGPU_CPU_FORWARD');
      tf.env().set('WEBGPU_CPU_FORWARD', forward);
      let gpu: Run;
      try {
        gpu = await runFixture(f);
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
      const { start, counts, end, losses } = await adamSteps(f, 1e-2);
      console.log(
        `webgpu Adam steps: losses ${losses.map((l) => l.toFixed(5)).join(', ')}; tensors after each step ${counts.join(', ')}`,
      );
      expect(losses[0]).toBeCloseTo(f.expected.loss, 5); // the first step saw the reference weights
      expect(losses[2]).toBeLessThan(losses[0]!); // and Adam made progress on the batch
      // Adam makes its two moment slots per variable on the first step; after that, nothing grows.
      expect(counts[2]).toBe(counts[1]);
      expect(end).toBe(start);
    } finally {
      tf.env().set('WEBGPU_CPU_FORWARD', previous);
    }
  });
});
