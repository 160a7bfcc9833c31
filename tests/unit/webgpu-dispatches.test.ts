// GPU operations of a default training step, counted on tfjs's real WebGPU backend over a
// do-nothing GPUDevice (tests/webgpu-counting-device.ts): upper bounds, so the dispatch count cannot
// creep back. bench/webgpu-dispatches.ts records the figures (before the kernels: ~908 dispatches and
// 253 uploads a step). Counting needs no GPU and says nothing of the numbers' correctness (the
// browser tests check the kernels on a real adapter).
import { beforeAll, describe, expect, it } from 'vitest';
import { useCountingWebGPU } from '../webgpu-counting-device.ts';
import { recordKernels, type KernelHistogram } from '../webgpu-kernel-histogram.ts';
import { countedModels, countSteps, meanCounts } from '../webgpu-step-counts.ts';

describe('GPU operations of a default training step', () => {
  beforeAll(async () => {
    await useCountingWebGPU();
  });

  it('stay within their bounds (dispatches, uploads, submits) and read back at most every few steps', async () => {
    // Measured with every kernel on (AdamW, LayerNorm, GELU, fused bias and its gradient, fused attention,
    // mean pooling, the fused Bradley-Terry loss and step metrics; checked by the trainer before it
    // starts, as in the app), the length term on: the default bag of words 36.4 dispatches and 6 uploads
    // a step, the built-in transformer 116.4 and 6, bert-tiny-sized 155.4 and 7 (its residual sums inside the LayerNorm)
    // (bench/results/webgpu-dispatches.json).
    const bounds = {
      'builtin-default': [38, 6],
      'builtin-transformer': [120, 6],
      'bert-tiny-sized': [158, 7],
    } as const;
    for (const model of countedModels().filter((m) => m.name in bounds)) {
      const [dispatches, uploads] = bounds[model.name as keyof typeof bounds];
      const steps = await countSteps(model, 5);
      const mean = meanCounts(steps);
      expect(mean.dispatches, model.name).toBeLessThanOrEqual(dispatches);
      expect(mean.uploads, model.name).toBeLessThanOrEqual(uploads);
      expect(mean.submits, model.name).toBeLessThanOrEqual(15);
      // The trainer reads its step metrics back every 5 steps, not every step.
      expect(mean.readBacks, model.name).toBeLessThanOrEqual(0.4);
      // The counter counts: a step does dispatch work.
      expect(Math.min(...steps.map((s) => s.dispatches)), model.name).toBeGreaterThan(20);
    }
  });

  it('the histogram accounts for every dispatch and upload of the counted steps, and names the fused kernels', async () => {
    const model = countedModels().find((m) => m.name === 'builtin-transformer')!;
    let h: KernelHistogram | undefined;
    const steps = await countSteps(model, 2, 2, undefined, () => (h = recordKernels()));
    h!.stop();
    const total = (xs: Record<string, number>) => Object.values(xs).reduce((a, b) => a + b, 0);
    expect(total(h!.dispatches)).toBe(steps.reduce((a, s) => a + s.dispatches, 0));
    expect(total(h!.uploads)).toBe(steps.reduce((a, s) => a + s.uploads, 0));
    const names = Object.keys(h!.dispatches).join('\n');
    for (const kernel of ['rmlab_attention_', 'rmlab_layer_norm_grad_rows', 'rmlab_pair_loss', 'rmlab_adamw_update'])
      expect(names, kernel).toContain(kernel);
  });
});
