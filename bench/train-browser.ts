// Training throughput per backend in Chromium, inside a module Web Worker bundled by Vite with the
// app's own config (the same plugins, wasm setup and modules as the lab worker): WebGPU (Dawn's
// software adapter where there is no GPU), WebGL where the browser offers it, WASM on its
// single-threaded SIMD build (a page that is not cross-origin isolated) and on its threaded build
// (the same page served with COOP/COEP), for the default model and a tiny one. Each figure is a
// fresh worker: one warm-up step, then a few timed steps on a fixed synthetic batch (every
// sequence maxLength long), as the backend probe times them. Also times the 'auto' probe itself.
//   npx tsx bench/train-browser.ts [steps]
// Results: bench/results/train-browser.json, printed. Asserts nothing.
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/chromium.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import type { ProbeModel } from '../src/core/train/backend-probe.ts';
import { CROSS_ORIGIN_ISOLATION } from '../vite.config.ts';

const STEPS = Number(process.argv[2] ?? 5);
const ROOT = resolve('.');
// Under node_modules so the page's bare imports resolve to the project's packages.
const PAGE_DIR = join(ROOT, 'node_modules/.cache/rm-lab-train-bench');
const OUT_DIR = join(ROOT, 'dist-bench/train-browser');

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

// The page: each measure() call starts a fresh worker, so every backend starts from nothing.
const src = (p: string) => JSON.stringify(join(ROOT, p));
const files: Record<string, string> = {
  'index.html': `<!doctype html><meta charset="utf-8"><title>train bench</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>`,
  'main.js': `
window.measure = (request) => new Promise((resolve) => {
  const worker = new Worker(new URL('./bench.worker.js', import.meta.url), { type: 'module' });
  const done = (result) => { worker.terminate(); resolve(result); };
  worker.onmessage = (e) => done(e.data);
  worker.onerror = (e) => done({ error: 'worker error: ' + e.message });
  worker.postMessage(request);
});
`,
  'bench.worker.js': `
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { wasmThreads } from ${src('src/worker/wasm-setup.ts')};
import { timeTrainingSteps } from ${src('src/core/train/backend-probe.ts')};
import { selectBackend } from ${src('src/core/train/backend.ts')};

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
`,
};

rmSync(PAGE_DIR, { recursive: true, force: true });
mkdirSync(PAGE_DIR, { recursive: true });
for (const [name, text] of Object.entries(files)) writeFileSync(join(PAGE_DIR, name), text);
await build({
  configFile: join(ROOT, 'vite.config.ts'),
  root: PAGE_DIR,
  publicDir: false,
  logLevel: 'warn',
  build: { outDir: OUT_DIR, emptyOutDir: true },
});

/** A static server for the built page, with or without the cross-origin isolation headers. */
function serve(isolated: boolean): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.wasm': 'application/wasm',
    '.css': 'text/css',
    '.json': 'application/json',
  };
  const server = createServer((req, res) => {
    const path = normalize(join(OUT_DIR, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(OUT_DIR) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': types[extname(file)] ?? 'application/octet-stream',
      ...(isolated ? CROSS_ORIGIN_ISOLATION : {}),
    });
    res.end(readFileSync(file));
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      ok({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` });
    }),
  );
}

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

const measure = (page: Page, request: object) =>
  page.evaluate(
    (r) => (window as unknown as { measure: (r: unknown) => Promise<Record<string, unknown>> }).measure(r),
    request,
  );

const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
const rows: Row[] = [];
const matmul: Record<string, unknown>[] = [];
const probes: Record<string, unknown>[] = [];
const servers: Server[] = [];
const pageErrors: string[] = [];
try {
  const open = async (isolated: boolean) => {
    const { server, url } = await serve(isolated);
    servers.push(server);
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => 'measure' in window);
    return page;
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
