// The start of the default run on the demo data, first and second time: the token-id cache.
//   npx tsx bench/token-cache.ts
// Imports the demo file into an IndexedDB (fake-indexeddb in Node: the same idb code paths as the
// app, in memory), then builds the default run's training data through the worker's function
// (src/worker/training-data.ts) three times: the first run of the dataset (tokenize every text, store
// the ids), a second run (read the ids back, cut to maxLength), and a second run with another maxLength
// (the ids are stored untruncated, so it reuses them too). Beside them, tokenizing without any cache
// (what every start cost before). Best of REPEATS each, on fresh databases for the first-run figure.
// Results go to bench/results/token-cache.json. It asserts nothing: figures, not tests.
import 'fake-indexeddb/auto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { streamOfBytes } from '../src/core/data/jsonl.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';
import { prepareTrainingData } from '../src/core/train/data.ts';
import { getPairs } from '../src/store/datasets.ts';
import { openLabDB } from '../src/store/db.ts';
import { importPairs } from '../src/worker/import.ts';
import { loadTrainingData } from '../src/worker/training-data.ts';

const REPEATS = 3;
const bytes = readFileSync('public/demo/pandalm-testset.jsonl');
const config = DEFAULT_TRAIN_CONFIG;

async function time<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

const runs: { first: number; second: number; otherMaxLength: number; noCache: number; pairs: number }[] = [];
for (let r = 0; r < REPEATS; r++) {
  const db = await openLabDB(`bench-token-cache-${r}`);
  const { dataset } = await importPairs(
    db,
    streamOfBytes(new Uint8Array(bytes), 1 << 16),
    { name: 'demo', source: { kind: 'file', name: 'pandalm-testset.jsonl' } },
    () => {},
  );
  const noCache = await time(async () =>
    prepareTrainingData(await getPairs(db, dataset.id), builtinTokenizer(), config),
  );
  const first = await time(() => loadTrainingData(db, dataset.id, builtinTokenizer(), config));
  const second = await time(() => loadTrainingData(db, dataset.id, builtinTokenizer(), config));
  const other = await time(() =>
    loadTrainingData(db, dataset.id, builtinTokenizer(), { ...config, maxLength: config.maxLength * 2 }),
  );
  if (second.value.tokenCache.tokenized !== 0 || other.value.tokenCache.tokenized !== 0)
    throw new Error('the second run tokenized again: the cache did not work');
  runs.push({
    first: first.ms,
    second: second.ms,
    otherMaxLength: other.ms,
    noCache: noCache.ms,
    pairs: first.value.counts.total,
  });
  db.close();
}
const best = (k: keyof (typeof runs)[number]) => Math.min(...runs.map((r) => r[k]));
const result = {
  what: "building the default run's training data on the demo file (PandaLM test set) through loadTrainingData",
  store: 'fake-indexeddb in Node (in memory)',
  pairs: runs[0]!.pairs,
  maxLength: config.maxLength,
  ms: {
    noCache: best('noCache'),
    firstRun: best('first'),
    secondRun: best('second'),
    secondRunOtherMaxLength: best('otherMaxLength'),
  },
  speedup: best('noCache') / best('second'),
  runs,
  node: process.version,
  date: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/token-cache.json', JSON.stringify(result, null, 2) + '\n');
