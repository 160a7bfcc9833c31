// 'auto' chooses the backend by measurement (src/core/train/backend-probe.ts). Here, in headless
// Chromium, the only WebGPU adapter and WebGL renderer are SwiftShader: timed anyway (includeSoftware),
// both must rank below WASM, and 'auto' must take WASM. This tests the choice logic on a tiny model,
// not speed against a time limit: the ordering it asserts is what the probe measured and returned.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/worker/wasm-setup.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { describeWebGPUAdapter, selectBackend } from '../../src/core/train/backend.ts';
import { probeBackends, rankFigures, type ProbeModel } from '../../src/core/train/backend-probe.ts';

const TINY: ProbeModel = {
  transformer: { vocabSize: 300, maxLength: 16, dModel: 16, nLayers: 1, nHeads: 2, dFF: 64, pooling: 'cls' },
  batchSize: 4,
};
const QUICK = { steps: 2 };

// Launched with --enable-unsafe-webgpu and no GPU, Chromium offers Dawn's software adapter. On a
// machine with a GPU the SwiftShader-specific expectations do not apply: those tests skip.
const adapter = await describeWebGPUAdapter();
const software = adapter?.software === true;

afterEach(() => {
  // Every probe frees what it made, whichever backend it left set.
  expect(tf.engine().state.numTensors).toBe(0);
});

describe('rankFigures', () => {
  it('puts timed backends fastest first and untimed ones last, in their order', () => {
    const ranked = rankFigures([
      { backend: 'webgpu', msPerStep: 900 },
      { backend: 'webgl', note: 'no WebGL 2 in this browser' },
      { backend: 'wasm', msPerStep: 40 },
      { backend: 'cpu', note: 'failed: x' },
      { backend: 'other', msPerStep: 300 },
    ]);
    expect(ranked.map((f) => f.backend)).toEqual(['wasm', 'other', 'webgpu', 'webgl', 'cpu']);
  });
});

describe.runIf(software)('backend probe on the software adapter', () => {
  it('times WASM and the software WebGPU adapter and ranks WebGPU below WASM', async () => {
    const figures = await probeBackends(['webgpu', 'wasm'], TINY, QUICK);
    const wasm = figures.find((f) => f.backend === 'wasm')!;
    const webgpu = figures.find((f) => f.backend === 'webgpu')!;
    expect(wasm.msPerStep).toBeGreaterThan(0);
    expect(webgpu.msPerStep).toBeGreaterThan(0);
    expect(wasm.firstStepMs).toBeGreaterThan(0);
    // The order returned is the order of the measured times...
    expect(figures.map((f) => f.msPerStep)).toEqual([...figures.map((f) => f.msPerStep!)].sort((a, b) => a - b));
    // ...and on SwiftShader that puts WebGPU after WASM.
    expect(figures.map((f) => f.backend)).toEqual(['wasm', 'webgpu']);
    expect(wasm.note).toMatch(/thread/);
  });

  it("'auto' timing every backend, software ones included, picks the fastest: WASM", async () => {
    const info = await selectBackend('auto', { model: TINY, includeSoftware: true, probe: QUICK });
    const timed = info.probe!.filter((f) => f.msPerStep !== undefined);
    expect(timed.map((f) => f.backend)).toContain('webgpu');
    expect(timed.map((f) => f.backend)).toContain('wasm');
    expect(info.name).toBe(timed[0]!.backend);
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.reason).toMatch(
      /^fastest of \d backends timed on a 4-pair training step of this model \(wasm \d+ ms, /,
    );
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it("'auto' as the app runs it reports the software adapter untimed and takes WASM", async () => {
    const info = await selectBackend('auto', { model: TINY, probe: QUICK });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.adapter?.software).toBe(true);
    const webgpu = info.probe!.find((f) => f.backend === 'webgpu')!;
    expect(webgpu.msPerStep).toBeUndefined();
    expect(webgpu.note).toMatch(/not timed: software adapter \(swiftshader\)/);
    expect(info.probe![0]).toMatchObject({ backend: 'wasm' });
    expect(info.probe![0]!.msPerStep).toBeGreaterThan(0);
    expect(info.reason).toMatch(/swiftshader/i);
    // The same model again: the figures come from this tab's earlier probe.
    const again = await selectBackend('auto', { model: TINY, probe: QUICK });
    expect(again.probe).toEqual(info.probe);
    expect(again.reason).toMatch(/measured earlier in this tab/);
  });
});

describe('backend choice', () => {
  it("'auto' takes the backend its probe timed fastest, whatever the machine", async () => {
    const info = await selectBackend('auto', { model: TINY, probe: QUICK });
    const timed = info.probe!.filter((f) => f.msPerStep !== undefined);
    expect(timed.length).toBeGreaterThan(0);
    expect(info.name).toBe(timed[0]!.backend);
    expect(timed.map((f) => f.msPerStep)).toEqual(timed.map((f) => f.msPerStep!).sort((a, b) => a - b));
  });

  it('a manual choice is used as it is, without a probe', async () => {
    const wasm = await selectBackend('wasm');
    expect(wasm).toMatchObject({ name: 'wasm', reason: 'chosen in the settings' });
    expect(wasm.probe).toBeUndefined();
    const webgpu = await selectBackend('webgpu');
    expect(webgpu).toMatchObject({ name: 'webgpu', reason: 'chosen in the settings' });
    expect(webgpu.threads).toBeUndefined();
    expect(tf.getBackend()).toBe('webgpu');
  });
});
