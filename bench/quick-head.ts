// Quick heads on the demo data: how fast the frozen encoder embeds (the tiny test embedder of
// tests/fixtures/hub-models through Transformers.js, served from 127.0.0.1; in Node that is ONNX
// Runtime's native CPU build, in the browser its WASM build, which the e2e test times too), and how
// long a head takes to fit on the 999 pairs' embeddings on tfjs's wasm and cpu backends: linear, MLP,
// and an ensemble of 4 bootstrap members, 40 epochs each (the default).
//   nice -n 10 npx tsx bench/quick-head.ts
// Results go to bench/results/quick-head.json, with the machine's load. It asserts nothing.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePairs } from '../src/core/data/parse.ts';
import type { Pair } from '../src/core/data/pair.ts';
import { hashedSplit } from '../src/core/data/split.ts';
import { QUICK_HEAD_DEFAULTS, type QuickHeadConfig } from '../src/core/quick-head/config.ts';
import { pairTexts, quickHeadExamples } from '../src/core/quick-head/examples.ts';
import { fitQuickHead } from '../src/core/quick-head/fit.ts';
import { openHubEmbedder } from '../src/worker/hub-embedder.ts';
import { setHubFileCache } from '../src/worker/hub-pipelines.ts';
import { hubModelFixtures, startHubServer } from '../tests/hub-server.ts';

tf.enableProdMode();
const text = readFileSync('public/demo/pandalm-testset.jsonl', 'utf8');
const pairs: Pair[] = [];
for await (const parsed of parsePairs(text.split('\n').map((t, i) => ({ line: i + 1, text: t })))) {
  if (parsed.kind === 'pair') pairs.push({ ...parsed.pair, id: `demo:${parsed.line}`, datasetId: 'demo' });
}

const hub = await startHubServer(hubModelFixtures());
const cacheDir = mkdtempSync(join(tmpdir(), 'rmlab-bench-'));
setHubFileCache(cacheDir);
const load = { signal: new AbortController().signal, onProgress: () => {}, endpoint: hub.url };
const source = { model: 'rmlab-test/tiny-embedder', revision: 'main', pooling: 'mean' as const, normalize: true };
const embedder = await openHubEmbedder(source, load);
const texts = pairs.flatMap(pairTexts);
await embedder.embed(texts.slice(0, 32)); // warm-up: session creation and first run
const vectors = new Map<string, { a: Float32Array; b: Float32Array }>();
const t0 = performance.now();
for (let start = 0; start < pairs.length; start += 32) {
  const batch = pairs.slice(start, start + 32);
  const out = await embedder.embed(batch.flatMap(pairTexts));
  batch.forEach((p, i) => vectors.set(p.id, { a: out[2 * i]!, b: out[2 * i + 1]! }));
}
const embedSeconds = (performance.now() - t0) / 1000;
const embedding = {
  model: source.model,
  runtime: embedder.runtime,
  texts: texts.length,
  seconds: Number(embedSeconds.toFixed(3)),
  textsPerSecond: Number((texts.length / embedSeconds).toFixed(1)),
};
console.log('embedding', embedding);

const examples = quickHeadExamples(pairs, vectors, hashedSplit({ seed: 1, heldOutFraction: 0.2 }));
const heads: [string, Partial<QuickHeadConfig>][] = [
  ['linear', { head: 'linear' }],
  ['mlp (64 hidden)', { head: 'mlp' }],
  ['linear, 4 bootstrap members', { head: 'linear', members: 4, ensemble: 'bootstrap' }],
  ['mlp, 4 bootstrap members', { head: 'mlp', members: 4, ensemble: 'bootstrap' }],
];
const fits = [];
for (const backend of ['wasm', 'cpu']) {
  await tf.setBackend(backend);
  for (const [name, options] of heads) {
    const config = { ...QUICK_HEAD_DEFAULTS, ...options };
    await fitQuickHead(examples.train, examples.heldOut, { ...config, epochs: 1 }); // warm-up
    const result = await fitQuickHead(examples.train, examples.heldOut, config);
    const fit = {
      backend,
      head: name,
      epochs: config.epochs,
      trainPairs: examples.train.count,
      seconds: Number(result.seconds.toFixed(3)),
      heldOutAccuracy: Number((result.heldOut.correct / result.heldOut.n).toFixed(4)),
    };
    console.log('fit', fit);
    fits.push(fit);
  }
}
await hub.close();
rmSync(cacheDir, { recursive: true, force: true });
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/quick-head.json',
  JSON.stringify(
    {
      when: new Date().toISOString(),
      loadavg: loadavg(),
      node: process.version,
      note:
        'tiny random test embedder (2 layers, d=32, 64 tokens): accuracies are not meaningful (most demo prompts fill ' +
        'its 64 tokens, so both responses embed identically); the times are what this measures',
      embedding,
      identicalHeldOut: examples.identicalHeldOut,
      heldOutPairs: examples.heldOut.count,
      fits,
    },
    null,
    2,
  ) + '\n',
);
