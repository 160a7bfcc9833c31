// The decoder reward models (GPT-2, Llama as SmolLM2 uses it, Qwen2) on WebGPU (Chromium, Dawn's
// software adapter here) against the float64 PyTorch references (tests/fixtures/reference-*-tiny.json,
// from scripts/reference/gpt2_reference.py and llama_reference.py) and against tfjs's cpu backend on
// the same weights: rewards at the last real token, loss and the gradient of every weight, through
// rotary positions, grouped-query attention, RMSNorm and SwiGLU as WebGPU shaders. Results are read
// with `await data()` only: dataSync/arraySync break WebGPU in headless Chromium.
//
// Tolerance as in tests/unit/decoder-reference.test.ts. WEBGPU_CPU_FORWARD is off, so every op is a
// shader. The fixtures are the smallest (1 layer, hidden 8, T 8, 2 pairs): the software adapter is slow.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKernels } from '../../src/core/model/ops/webgpu/program.ts';
import { expectClose } from '../reference-expect.ts';
import { compare, type Comparison } from '../reference-fixture.ts';
import {
  decoderAdamSteps,
  decoderComparisons,
  runDecoderFixture,
  type DecoderFixture,
} from '../decoder-reference-fixture.ts';
import gpt2Tiny from '../fixtures/reference-gpt2-tiny.json';
import llamaTiny from '../fixtures/reference-llama-tiny.json';
import qwen2Tiny from '../fixtures/reference-qwen2-tiny.json';

const FIXTURES: [string, DecoderFixture][] = [
  ['gpt2-tiny', gpt2Tiny],
  ['llama-tiny', llamaTiny],
  ['qwen2-tiny', qwen2Tiny],
];

async function use(backend: string): Promise<void> {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
}

describe('the decoder reward models on WebGPU', () => {
  let cpuForward = true;
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    await use('webgpu');
    expect(await checkKernels()).toBe(true); // RM Lab's kernels on, as in training
    cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterAll(async () => {
    tf.env().set('WEBGPU_CPU_FORWARD', cpuForward);
    await tf.setBackend('cpu');
  });

  it.each(FIXTURES)(
    '%s: rewards, loss and every gradient match the PyTorch reference and the cpu backend',
    async (label, f) => {
      await use('cpu');
      const cpu = await runDecoderFixture(f);
      await use('webgpu');
      const gpu = await runDecoderFixture(f);
      expect(gpu.gpuBytes, 'the tensors lived in GPU buffers').toBeGreaterThan(0);
      expect(gpu.grads.size).toBe(f.grads.length);
      expectClose(`webgpu vs reference, ${label}`, decoderComparisons(f, gpu));
      expectClose(`webgpu vs cpu, ${label}`, [
        ['rewards', compare(gpu.rewards, cpu.rewards)],
        ['loss', compare([gpu.loss], [cpu.loss])],
        ...[...cpu.grads].map(([name, g]): [string, Comparison] => [name, compare(gpu.grads.get(name) ?? [], g)]),
      ]);
      expect(gpu.accuracy).toBe(Math.fround(f.expected.accuracy));
    },
  );

  it('4 training steps with Adam keep tf.memory().numTensors flat and leave nothing behind', async () => {
    await use('webgpu');
    const f = llamaTiny as DecoderFixture;
    const { start, counts, end, losses } = await decoderAdamSteps(f, 1e-2);
    console.log(
      `webgpu Llama Adam steps: losses ${losses.map((l) => l.toFixed(5)).join(', ')}; tensors ${counts.join(', ')}`,
    );
    expect(losses[0]).toBeCloseTo(f.expected.loss, 5);
    expect(losses[3]).toBeLessThan(losses[0]!);
    expect(counts.slice(1)).toEqual([counts[1], counts[1], counts[1]]);
    expect(end).toBe(start);
  });
});
