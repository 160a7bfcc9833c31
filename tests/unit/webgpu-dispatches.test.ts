// GPU operations of a default training step, counted on tfjs's real WebGPU backend over a
// do-nothing GPUDevice (tests/webgpu-counting-device.ts): upper bounds, so the dispatch count cannot
// creep back. bench/webgpu-dispatches.ts records the figures (before the kernels: ~908 dispatches and
// 253 uploads a step). Counting needs no GPU and says nothing of the numbers' correctness (the
// browser tests check the kernels on a real adapter).
import { beforeAll, describe, expect, it } from 'vitest';
import { useCountingWebGPU } from '../webgpu-counting-device.ts';
import { countedModels, countSteps, meanCounts } from '../webgpu-step-counts.ts';

describe('GPU operations of a default training step', () => {
  beforeAll(async () => {
    await useCountingWebGPU();
  });

  it('stay within their bounds (dispatches, uploads, submits) and read back at most every few steps', async () => {
    const model = countedModels().find((m) => m.name === 'builtin-default')!;
    const steps = await countSteps(model, 5);
    const mean = meanCounts(steps);
    // Measured 197 dispatches and 12 uploads a step with the AdamW, LayerNorm, GELU, masked-softmax and fused-bias
    // kernels (checked by the trainer before it starts, as in the app).
    expect(mean.dispatches).toBeLessThanOrEqual(205);
    expect(mean.uploads).toBeLessThanOrEqual(13);
    expect(mean.submits).toBeLessThanOrEqual(15);
    // The trainer reads its step metrics back every 5 steps, not every step.
    expect(mean.readBacks).toBeLessThanOrEqual(0.4);
    // The counter counts: a step does dispatch work.
    expect(Math.min(...steps.map((s) => s.dispatches))).toBeGreaterThan(100);
  });
});
