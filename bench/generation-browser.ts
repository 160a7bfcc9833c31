// Generation speed in Chromium on WASM, through the app's own path: a module Web Worker bundled by
// Vite with the app's config runs GenerationSession (src/worker/generation.ts) on the tiny Llama of
// tests/fixtures/hub-models, served from 127.0.0.1 as the Hub: load time (download, ONNX Runtime's
// .wasm from the page's origin, session creation), then N responses of a fixed number of tokens
// (greedy with no end-of-turn stop would be shorter: sampling at T=1 and max new tokens reached).
// Both WASM builds: threaded (the app's cross-origin isolated page) and single-threaded.
// The model is 2 layers of width 32 with random weights: its tokens/s is Transformers.js's and ONNX
// Runtime's per-token cost (sampling, streaming, the key/value cache, one session run a token), an
// upper bound of what a real model (SmolLM2-135M: 30 layers of width 576) reaches here.
//   npx tsx bench/generation-browser.ts [tokens] [responses]
// Results: bench/results/generation-browser.json, printed. Asserts nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { hubModelFixtures, startHubServer } from '../tests/hub-server.ts';
import { buildWorkerPage, launchChromium, measure, openWorkerPage, projectImport, serveFolder } from './worker-page.ts';

const TOKENS = Number(process.argv[2] ?? 64);
const RESPONSES = Number(process.argv[3] ?? 4);

const WORKER = `
import ${projectImport('src/worker/onnx-wasm.ts')};
import { GenerationSession } from ${projectImport('src/worker/generation.ts')};

self.onmessage = async ({ data: request }) => {
  const env = { isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency };
  try {
    const session = new GenerationSession();
    const seconds = [];
    let loadMs;
    const t0 = performance.now();
    const responses = await session.generate(
      { prompts: ['What is the capital of France?'], endpoint: request.hub, settings: request.settings },
      (e) => {
        if (e.kind === 'loaded') loadMs = performance.now() - t0;
        if (e.kind === 'response') seconds.push(e.seconds);
      },
    );
    const tokens = responses.map((r) => r.tokens);
    const total = seconds.reduce((a, b) => a + b, 0);
    self.postMessage({
      ...env,
      loadMs,
      tokens,
      secondsPerResponse: seconds,
      tokensPerSecond: tokens.reduce((a, b) => a + b, 0) / total,
      // The first response includes the first session runs (allocation, kernels' first use).
      tokensPerSecondAfterFirst: tokens.slice(1).reduce((a, b) => a + b, 0) / seconds.slice(1).reduce((a, b) => a + b, 0),
    });
  } catch (error) {
    self.postMessage({ ...env, error: String((error && error.message) || error) });
  }
};
`;

const hub = await startHubServer(hubModelFixtures());
const outDir = await buildWorkerPage('generation-browser', WORKER);
const browser = await launchChromium();
const servers: Server[] = [];
const results: Record<string, unknown>[] = [];
const pageErrors: string[] = [];
try {
  for (const isolated of [true, false]) {
    const { server, url } = await serveFolder(outDir, isolated);
    servers.push(server);
    const page = await openWorkerPage(browser, url, pageErrors);
    const settings = {
      model: 'rmlab-test/tiny-generator',
      temperature: 1,
      topP: 1,
      maxNewTokens: TOKENS,
      responses: RESPONSES,
      device: 'wasm',
    };
    const r = await measure(page, { hub: hub.url, settings });
    const row = {
      build: isolated ? 'ONNX Runtime wasm, threaded (isolated page)' : 'ONNX Runtime wasm, single-threaded',
      ...r,
    };
    results.push(row);
    console.log(JSON.stringify(row));
    await page.close();
  }
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadAverage: loadavg(), chromium: browser.version() },
    model:
      'rmlab-test/tiny-generator (Llama, 2 layers, width 32, 4 heads / 2 key-value heads, 230-token vocabulary, fp32)',
    tokensAsked: TOKENS,
    responses: RESPONSES,
    note:
      'GenerationSession in a module worker, Transformers.js 4.3 text-generation pipeline with a TextStreamer, ' +
      'sampling at T=1 (responses may end early at the end-of-turn token: see tokens). tokensPerSecond = tokens ' +
      'generated / seconds of the responses (prompt prefill included). A tiny random model: the figure is the ' +
      "library's per-token overhead on WASM, not a real model's speed.",
    results,
    pageErrors,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/generation-browser.json', `${JSON.stringify(out, null, 2)}\n`);
} finally {
  await browser.close();
  for (const s of servers) s.close();
  await hub.close();
}
