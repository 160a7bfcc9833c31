// The Hub model loader (src/worker/hub-pipelines.ts) in Chromium: Transformers.js on ONNX
// Runtime's WebAssembly build, its .wasm served by Vite from the app's own origin (onnx-wasm.ts),
// loading the tiny generator from a Hub on 127.0.0.1 (tests/browser/global-setup.ts) into the real
// Cache API. It generates what the PyTorch model that wrote it generates; and once loaded, it loads
// again from the cache alone when the Hub no longer answers (offline).
import { describe, expect, inject, it } from 'vitest';
import '../../src/worker/onnx-wasm.ts';
import { loadHubPipeline } from '../../src/worker/hub-pipelines.ts';
import type { LoadProgress } from '../../src/core/model/pretrained.ts';
import reference from '../fixtures/hub-models/rmlab-test/tiny-generator/reference.json';

describe('Hub models in the browser', () => {
  it('generates greedily as PyTorch does, on WebAssembly from the app origin, and loads again offline', async () => {
    const hubUrl = inject('hubUrl');
    const progress: LoadProgress[] = [];
    const loaded = await loadHubPipeline('text-generation', {
      model: 'rmlab-test/tiny-generator',
      endpoint: hubUrl,
      onProgress: (p) => progress.push(p),
    });
    // Headless Chromium's only WebGPU adapter is a software one: WASM is the faster choice.
    expect(loaded.device).toBe('wasm');
    expect(loaded.dtype).toBe('fp32');
    expect(progress.some((p) => p.file === 'onnx/model.onnx' && p.fileLoaded === p.fileTotal)).toBe(true);
    const { tokenizer, model } = loaded.pipeline;
    for (const c of reference.cases) {
      const inputs = tokenizer(c.prompt);
      const out = (await model.generate({ ...inputs, max_new_tokens: 12, do_sample: false })) as {
        data: BigInt64Array;
      };
      expect(Array.from(out.data, Number).slice(c.input_ids.length)).toEqual(c.greedy_new_ids);
    }
    // ONNX Runtime's files came from this page's origin, not a CDN, and are cached for offline use.
    const cache = await caches.open('transformers-cache');
    const keys = (await cache.keys()).map((r) => r.url);
    expect(keys.some((u) => u.startsWith(location.origin) && u.includes('ort-wasm-simd-threaded'))).toBe(true);
    expect(keys.filter((u) => u.includes('cdn'))).toEqual([]);
    expect(keys).toContain(`${hubUrl}/rmlab-test/tiny-generator/resolve/main/onnx/model.onnx`);

    // Offline: the same Hub address, now unreachable. Everything comes from the cache.
    await fetch(`${hubUrl}/_control/offline/on`);
    try {
      const again = await loadHubPipeline('text-generation', { model: 'rmlab-test/tiny-generator', endpoint: hubUrl });
      const c = reference.cases[0]!;
      const out = (await again.pipeline.model.generate({
        ...again.pipeline.tokenizer(c.prompt),
        max_new_tokens: 12,
        do_sample: false,
      })) as { data: BigInt64Array };
      expect(Array.from(out.data, Number).slice(c.input_ids.length)).toEqual(c.greedy_new_ids);
      // A model never loaded cannot come from anywhere: the error says the Hub could not be reached.
      await expect(
        loadHubPipeline('text-generation', { model: 'rmlab-test/tiny-judge', endpoint: hubUrl }),
      ).rejects.toThrow(/could not reach 127.0.0.1:\d+ for rmlab-test\/tiny-judge/);
    } finally {
      await fetch(`${hubUrl}/_control/offline/off`);
    }

    // A Hub that never answers: the stall timeout, not a hang.
    await expect(
      loadHubPipeline('text-generation', {
        model: 'rmlab-test/tiny-generator',
        endpoint: inject('silentHubUrl'),
        stallMs: 500,
      }),
    ).rejects.toThrow(/stalled: nothing arrived for 0.5 s/);
  });
});
