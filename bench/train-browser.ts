// Training throughput per backend in Chromium, inside a module Web Worker bundled by Vite with the
// app's own config (the same plugins, wasm setup and modules as the lab worker): WebGPU (Dawn's
// software adapter where there is no GPU), WebGL where the browser offers it, WASM on its
// single-threaded SIMD build (a page that is not cross-origin isolated) and on its threaded build
// (the same page served with COOP/COEP), for the default model and a tiny one. Each figure is a
// fresh worker: one warm-up step, then a few timed steps on a fixed synthetic batch (every
// sequence maxLength long), as the backend probe times them. Also times the 'auto' probe itself.
//   npx tsx bench/train-browser.ts [steps]
// Results: bench/results/train-browser.json, printed. Asserts nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import type { ProbeModel } from '../src/core/train/backend-probe.ts';
import { buildWorkerPage, launchChromium, measure, openWorkerPage, projectImport, serveFolder } from './worker-page.ts';

const STEPS = Number(process.argv[2] ?? 5);

const vocabSize = builtinTokenizer().vocabSize;
const model = (dModel: number, nLayers: number, nHeads: number, maxLength: number, batchSize: number): ProbeModel => ({
  transformer: { vocabSize, maxLength, dModel, nLayers, nHeads, dFF: 4 * dModel, pooling: 'cls' },
  batchSize,
});
const d = DEFAULT_TRAIN_CONFIG;
const CONFIGS: Record<string, ProbeModel> = {
  default: model(d.dModel, d.nLayers, d.nHeads, d.maxLength, d.batchSize),
  tiny: model(16, 1, 2, 32, 16),
};

// The worker each measure() call starts, so every backend starts from nothing.
const WORKER = `
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { wasmThreads } from ${projectImport('src/worker/wasm-setup.ts')};
import { timeTrainingSteps } from ${projectImport('src/core/train/backend-probe.ts')};
import { selectBackend } from ${projectImport('src/core/train/backend.ts')};

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(what + ' took over ' + ms + ' ms')), ms))]);

self.onmessage = async ({ data: request }) => {
  const env = { isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency };
  try {
    // tfjs caps its thread pool at half the logical cores (hyper-threading): a larger figure lifts the cap.
    if (request.cores) Object.defineProperty(self.navigator, 'hardwareConcurrency', { value: request.cores });
    if (request.matmul) {
      // A 512 x 512 matmul, the kernel XNNPACK spreads over its threads: does the pool work at all?
      await tf.setBackend(request.backend);
      const a = tf.randomNormal([512, 512]);
      const b = tf.randomNormal([512, 512]);
      const run = async (n) => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const c = tf.matMul(a, b);
          await c.data();
          c.dispose();
        }
        return (performance.now() - t0) / n;
      };
      await run(3);
      const ms = await run(request.matmul);
      tf.dispose([a, b]);
      self.postMessage({ ...env, backend: tf.getBackend(), wasmThreads: wasmThreads(), matmulMs: ms, gflops: (2 * 512 ** 3) / ms / 1e6 });
      return;
    }
    if (request.probe) {
      const t0 = performance.now();
      const info = await withTimeout(selectBackend('auto', { model: request.model }), 600000, 'the probe');
      self.postMessage({ ...env, probeMs: performance.now() - t0, info });
      return;
    }
    if (!(await withTimeout(tf.setBackend(request.backend), 60000, 'starting ' + request.backend))) {
      throw new Error(request.backend + ' could not start');
    }
    const timing = await timeTrainingSteps(request.model, { steps: request.steps, budgetMs: Infinity });
    self.postMessage({
      ...env,
      backend: tf.getBackend(),
      wasmThreads: tf.getBackend() === 'wasm' ? wasmThreads() : undefined,
      numTensors: tf.memory().numTensors,
      ...timing,
    });
  } catch (error) {
    self.postMessage({ ...env, error: String(error && error.message || error) });
  }
};
`;

const outDir = await buildWorkerPage('train-browser', WORKER);

interface Row {
  config: string;
  build: string;
  backend: string;
  pairsPerSecond?: number;
  msPerStep?: number;
  firstStepMs?: number;
  steps?: number;
  threads?: number;
  error?: string;
}

interface Variant {
  build: string;
  isolated: boolean;
  backend: string;
  /** Stands in for navigator.hardwareConcurrency: tfjs sizes its pool at half of it. */
  cores?: number;
  steps: number;
}

const browser = await launchChromium();
const rows: Row[] = [];
const matmul: Record<string, unknown>[] = [];
const probes: Record<string, unknown>[] = [];
const servers: Server[] = [];
const pageErrors: string[] = [];
try {
  const open = async (isolated: boolean) => {
    const { server, url } = await serveFolder(outDir, isolated);
    servers.push(server);
    return openWorkerPage(browser, url, pageErrors);
  };
  const pages = { true: await open(true), false: await open(false) };
  const isolation = {
    withHeaders: await pages.true.evaluate(() => self.crossOriginIsolated),
    withoutHeaders: await pages.false.evaluate(() => self.crossOriginIsolated),
  };

  const variants: Variant[] = [
    { build: 'wasm threaded SIMD, tfjs default threads', isolated: true, backend: 'wasm', steps: STEPS },
    { build: 'wasm threaded SIMD, 2 threads', isolated: true, backend: 'wasm', cores: 4, steps: STEPS },
    { build: 'wasm SIMD (single-threaded build)', isolated: false, backend: 'wasm', steps: STEPS },
    { build: 'webgpu', isolated: true, backend: 'webgpu', steps: 2 },
    { build: 'webgl', isolated: true, backend: 'webgl', steps: 2 },
  ];
  // The kernel XNNPACK spreads over its threads, alone: whether the pool helps at all here.
  for (const v of variants.filter((v) => v.backend === 'wasm')) {
    const r = await measure(pages[`${v.isolated}`], { backend: 'wasm', cores: v.cores, matmul: 30 });
    matmul.push({ build: v.build, threads: r.wasmThreads, ms: r.matmulMs, gflops: r.gflops, error: r.error });
    console.log(JSON.stringify(matmul.at(-1)));
  }
  for (const [config, m] of Object.entries(CONFIGS)) {
    for (const v of variants) {
      const r = await measure(pages[`${v.isolated}`], { backend: v.backend, cores: v.cores, steps: v.steps, model: m });
      const row: Row = {
        config,
        build: v.build,
        backend: v.backend,
        pairsPerSecond: r.pairsPerSecond as number | undefined,
        msPerStep: r.msPerStep as number | undefined,
        firstStepMs: r.firstStepMs as number | undefined,
        steps: r.steps as number | undefined,
        threads: r.wasmThreads as number | undefined,
        error: r.error as string | undefined,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    // What 'auto' costs before a run of this model, as the app runs it (software adapters untimed).
    const probe = await measure(pages.true, { probe: true, model: m });
    probes.push({ config, probeMs: probe.probeMs, ...(probe.info as object), error: probe.error });
    console.log(JSON.stringify(probes.at(-1)));
  }

  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      loadAverage: loadavg(),
      chromium: browser.version(),
    },
    crossOriginIsolated: isolation,
    configs: CONFIGS,
    note:
      'ms/step: mean of the timed steps after one warm-up step, on a fixed synthetic batch of batchSize pairs ' +
      'with every sequence maxLength tokens (pairs/s = batchSize / step time). Each figure is a fresh module ' +
      "worker. WebGPU and WebGL here are SwiftShader (software) unless the machine has a GPU. tfjs's WASM " +
      'backend sizes its thread pool at half the logical cores (at most 8); the 2-thread rows report 4 cores to it.',
    matmul512: matmul,
    rows,
    probes,
    pageErrors,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/train-browser.json', JSON.stringify(result, null, 2) + '\n');
  console.table(
    rows.map((r) => ({
      config: r.config,
      build: r.build,
      'ms/step': r.msPerStep?.toFixed(0),
      'pairs/s': r.pairsPerSecond?.toFixed(1),
      'first step ms': r.firstStepMs?.toFixed(0),
      threads: r.threads,
      error: r.error,
    })),
  );
} finally {
  await browser.close();
  for (const s of servers) s.close();
}
