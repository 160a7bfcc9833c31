// How long the in-run baselines take at a run's start, and what they score, on the demo data with the
// default split (the pairs prepareTrainingData hands the trainer), on each of 5 split seeds.
//   nice -n 10 npx tsx bench/baselines.ts
// Results go to bench/results/baselines.json, with the machine's load. It asserts nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parsePairs } from '../src/core/data/parse.ts';
import type { Pair } from '../src/core/data/pair.ts';
import { computeBaselines } from '../src/core/eval/baselines/index.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';
import { prepareTrainingData } from '../src/core/train/data.ts';

const text = readFileSync('public/demo/pandalm-testset.jsonl', 'utf8');
const pairs: Pair[] = [];
const lines = text.split('\n').map((t, i) => ({ line: i + 1, text: t }));
for await (const parsed of parsePairs(lines)) {
  if (parsed.kind === 'pair') pairs.push({ ...parsed.pair, id: `demo:${parsed.line}`, datasetId: 'demo' });
}
const tokenizer = builtinTokenizer();
const runs = [];
for (const splitSeed of [0, 1, 2, 3, 4]) {
  const data = prepareTrainingData(pairs, tokenizer, { ...DEFAULT_TRAIN_CONFIG, splitSeed });
  const t0 = performance.now();
  const baselines = computeBaselines(data.text!.train, data.text!.heldOut);
  const ms = performance.now() - t0;
  runs.push({
    splitSeed,
    trainPairs: data.text!.train.length,
    heldOutPairs: data.text!.heldOut.length,
    ms: Math.round(ms),
    accuracy: Object.fromEntries(baselines.results.map((b) => [b.id, Number(b.accuracy.toFixed(4))])),
  });
  console.log(JSON.stringify(runs.at(-1)));
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/baselines.json',
  JSON.stringify({ when: new Date().toISOString(), loadavg: loadavg(), node: process.version, runs }, null, 2) + '\n',
);
