// The one-sentence backend line of the progress area: short whatever the adapter says.
import { describe, expect, it } from 'vitest';
import { backendSummary } from '../../src/ui/train/backend-summary.ts';

describe('backendSummary', () => {
  it('says where training runs and why, without adapter ids', () => {
    const s = backendSummary({
      name: 'wasm',
      reason: 'fastest of 2 backends timed on a 8-pair training step of this model (wasm 120 ms, webgpu 900 ms)',
      adapter: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader 0x0000C0DE', software: true },
      threads: 2,
      probe: [
        { backend: 'wasm', msPerStep: 120, pairsPerSecond: 66 },
        { backend: 'webgpu', msPerStep: 900, pairsPerSecond: 9 },
      ],
    } as never);
    expect(s).toBe('Training on WebAssembly (the CPU), 2 threads: the fastest of 2 backends timed on this model.');
  });

  it('names a software WebGPU adapter and a choice made in the settings', () => {
    expect(
      backendSummary({ name: 'webgpu', reason: 'chosen in the settings', adapter: { software: true } } as never),
    ).toBe('Training on WebGPU (the graphics card), a software adapter: chosen in the settings.');
  });

  it('says when nothing could be timed', () => {
    expect(
      backendSummary({ name: 'cpu', reason: 'no backend could be timed', probe: [{ backend: 'webgpu' }] } as never),
    ).toBe('Training on plain JavaScript (the CPU, slow): no backend could be timed, so the fallback.');
  });
});
