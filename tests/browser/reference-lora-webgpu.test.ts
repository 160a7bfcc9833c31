// LoRA on WebGPU (Chromium, Dawn's software adapter here) against the float64 PyTorch reference
// (tests/fixtures/reference-lora-bert-tiny.json, from scripts/reference/lora_reference.py): rewards
// with nonzero B, the loss and the gradients of A, B and the head, every op a shader
// (WEBGPU_CPU_FORWARD off) with RM Lab's kernels checked and on, as training runs. Results are read
// with `await data()` only. Tolerance as in tests/unit/lora-reference.test.ts; the tiny fixture (1
// layer, hidden 8, rank 2, T 8, 2 pairs) because the software adapter is slow.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKernels } from '../../src/core/model/ops/webgpu/program.ts';
import { expectClose } from '../reference-expect.ts';
import { loraComparisons, runLoraFixture, type LoraFixture } from '../lora-reference-fixture.ts';
import loraBertTiny from '../fixtures/reference-lora-bert-tiny.json';

describe('LoRA on WebGPU', () => {
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
    expect(await checkKernels()).toBe(true);
  }, 600_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('tiny BERT, rank 2 on query and value: rewards, loss and the gradients of A, B and the head', async () => {
    const f = loraBertTiny as LoraFixture;
    const previous = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    try {
      const run = await runLoraFixture(f);
      expectClose('webgpu lora bert-tiny', loraComparisons(f, run));
      expect([...run.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
    } finally {
      tf.env().set('WEBGPU_CPU_FORWARD', previous);
    }
  }, 600_000);
});
