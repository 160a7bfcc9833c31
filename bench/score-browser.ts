// Batch scoring speed in Chromium on WASM, through the app's own path: a module Web Worker bundled
// by Vite with the app's config stores a model in the real IndexedDB, then ScoringSession
// (src/worker/scoring.ts) loads it and batch-scores a JSONL file of thousands of rows as the Batch
// view does (streamed, parsed, length-sorted batches, scored JSONL out). Rows are real text: the
// demo data's prompts with each of their two responses, repeated to the row count. Models: the
// default configuration and the tiny one the e2e tests train, with random weights (speed does not
// depend on the weights). Builds: WASM's threaded SIMD build (cross-origin isolated page, as the app
// is served) and its single-threaded SIMD build. Also times a single Score click (one response).
//   npx tsx bench/score-browser.ts [rows]
// Results: bench/results/score-browser.json, printed. Asserts nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import { buildWorkerPage, launchChromium, measure, openWorkerPage, projectImport, serveFolder } from './worker-page.ts';

const ROWS = Number(process.argv[2] ?? 4000);

const vocabSize = builtinTokenizer().vocabSize;
const d = DEFAULT_TRAIN_CONFIG;
const transformer = (dModel: number, nLayers: number, nHeads: number, maxLength: number) => ({
  vocabSize,
  maxLength,
  dModel,
  nLayers,
  nHeads,
  dFF: 4 * dModel,
  pooling: d.pooling,
});
const CONFIGS = {
  default: transformer(d.dModel, d.nLayers, d.nHeads, d.maxLength),
  tiny: transformer(16, 1, 2, 32),
};

// The file the user would pick: {"prompt", "response"} rows from the demo's pairs.
const demo = readFileSync('public/demo/pandalm-testset.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { prompt: string; response_a: string; response_b: string });
const rows: string[] = [];
for (let i = 0; rows.length < ROWS; i++) {
  const pair = demo[i % demo.length]!;
  rows.push(JSON.stringify({ id: rows.length, prompt: pair.prompt, response: pair.response_a }));
  if (rows.length < ROWS)
    rows.push(JSON.stringify({ id: rows.length, prompt: pair.prompt, response: pair.response_b }));
}
const jsonl = rows.join('\n') + '\n';

// The worker each measure() call starts: it stores a model with random weights, then scores through
// ScoringSession.
const WORKER = `
import * as tf from '@tensorflow/tfjs';
import { wasmThreads } from ${projectImport('src/worker/wasm-setup.ts')};
import { RewardModel } from ${projectImport('src/core/model/reward-model.ts')};
import { openLabDB } from ${projectImport('src/store/db.ts')};
import { saveModelWithCard } from ${projectImport('src/store/models.ts')};
import { ScoringSession } from ${projectImport('src/worker/scoring.ts')};

self.onmessage = async ({ data: request }) => {
  const env = { isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency };
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm could not start');
    const spec = { encoder: 'builtin-transformer', tokenizer: 'builtin', transformer: request.transformer };
    const model = RewardModel.create(spec, 1);
    const id = 'bench-' + request.name;
    const db = await openLabDB();
    await saveModelWithCard(
      db,
      { runId: id, spec, weights: await model.getWeights(), savedAt: Date.now() },
      { id, name: id, origin: 'import', spec, createdAt: Date.now() },
    );
    model.dispose();
    const session = new ScoringSession(openLabDB, () => false);
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    await session.load({ id, name: id });
    const loadMs = performance.now() - t0;
    // One Score click: the first compiles the shapes, then the median of ten.
    const item = [{ prompt: 'Rewrite the sentence to be more concise.', response: 'The meeting has moved.' }];
    await session.score(item);
    const singles = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      await session.score(item);
      singles.push(performance.now() - s);
    }
    singles.sort((a, b) => a - b);
    const file = new Blob([request.jsonl], { type: 'application/jsonl' });
    const t1 = performance.now();
    const result = await session.batchScore(file, () => {}, () => false);
    const seconds = (performance.now() - t1) / 1000;
    session.unload();
    self.postMessage({
      ...env,
      wasmThreads: wasmThreads(),
      loadMs,
      singleScoreMs: singles[5],
      rows: result.rows,
      responses: result.responses,
      seconds,
      rowsPerSecond: result.rows / seconds,
      outputBytes: result.file.size,
      // Tensors still held once the model is unloaded, against before it was loaded: 0 = nothing leaked.
      tensorsLeft: tf.memory().numTensors - before,
    });
  } catch (error) {
    self.postMessage({ ...env, error: String((error && error.message) || error) });
  }
};
`;

const outDir = await buildWorkerPage('score-browser', WORKER);

const browser = await launchChromium();
const servers: Server[] = [];
const results: Record<string, unknown>[] = [];
const pageErrors: string[] = [];
try {
  for (const isolated of [true, false]) {
    const { server, url } = await serveFolder(outDir, isolated);
    servers.push(server);
    const page = await openWorkerPage(browser, url, pageErrors);
    for (const [name, t] of Object.entries(CONFIGS)) {
      const r = await measure(page, { name, transformer: t, jsonl });
      const row = { config: name, build: isolated ? 'wasm threaded SIMD' : 'wasm SIMD (single-threaded)', ...r };
      results.push(row);
      console.log(JSON.stringify(row));
    }
    await page.close();
  }
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadAverage: loadavg(), chromium: browser.version() },
    rows: ROWS,
    configs: CONFIGS,
    note:
      'Batch view path: ScoringSession.batchScore over a JSONL Blob of {prompt, response} rows from the demo ' +
      'data (streamed, parsed, tokenized with training truncation, length-sorted batches of 64, one read-back ' +
      'per batch, scored JSONL written). rowsPerSecond = rows / wall seconds of batchScore. singleScoreMs: ' +
      'median of 10 one-response scores after a first one (a Score click, without the page round trip).',
    results,
    pageErrors,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/score-browser.json', JSON.stringify(out, null, 2) + '\n');
  console.table(
    results.map((r) => ({
      config: r.config,
      build: r.build,
      'rows/s': (r.rowsPerSecond as number | undefined)?.toFixed(0),
      seconds: (r.seconds as number | undefined)?.toFixed(1),
      'single ms': (r.singleScoreMs as number | undefined)?.toFixed(1),
      threads: r.wasmThreads,
      error: r.error,
    })),
  );
} finally {
  await browser.close();
  for (const s of servers) s.close();
}
