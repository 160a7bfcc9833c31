// Crafted model files (issue 13): how long the CLI's loader (src/cli/model-file-io.ts: read, decode,
// check, build) takes to refuse each, and its peak memory, each in a fresh Node process so the
// peak is that file's alone. The target: under 1 s and under 2x the file's size + 200 MB. Before the
// fix, `vocabSize 1e6, dModel 1024` took rmlab eval to 7.8 GB for 45 s, `nLayers 1e7` to 4.5 GB.
//   nice -n 10 npx tsx bench/hostile-model.ts     -> bench/results/hostile-model.json
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (process.argv[2] === '--child') {
  // One file: load it as `rmlab eval` does, and report the time, the outcome and the peak RSS.
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const { loadModelFile } = await import('../src/cli/model-file-io.ts');
  const started = performance.now();
  let outcome = 'loaded';
  try {
    loadModelFile(process.argv[3]!).model.dispose();
  } catch (error) {
    outcome = `refused: ${(error as Error).message}`;
  }
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ ms, outcome, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const tf = await import('@tensorflow/tfjs');
const { encodeModelFile } = await import('../src/core/model/model-file.ts');
const { RewardModel, modelSpecFor } = await import('../src/core/model/reward-model.ts');
const { builtinTokenizer } = await import('../src/core/model/tokenizer.ts');
await tf.setBackend('cpu');

const dir = mkdtempSync(join(tmpdir(), 'rmlab-hostile-model-'));
const vocab = builtinTokenizer().vocabSize;
/** A real model's file, its spec then changed as an attacker would. */
async function file(name: string, dModel: number, change: (t: Record<string, unknown>) => void): Promise<string> {
  const spec = modelSpecFor({ maxLength: 128, dModel, nLayers: 2, nHeads: 4, pooling: 'cls' }, vocab);
  const model = RewardModel.create(spec, 1);
  const weights = await model.getWeights();
  model.dispose();
  const transformer = { ...spec.transformer } as Record<string, unknown>;
  change(transformer);
  const path = join(dir, `${name}.rmlab.safetensors`);
  writeFileSync(
    path,
    encodeModelFile({
      spec: { ...spec, transformer } as unknown as typeof spec,
      weights,
      meta: { name, createdAt: '2026-12-06T00:00:00Z' },
    }),
  );
  return path;
}

const cases: [string, string][] = [
  ['good file (the baseline: loads)', await file('good', 64, () => {})],
  [
    'vocabSize 1e6, dModel 1024',
    await file('vocab', 64, (t) => Object.assign(t, { vocabSize: 1e6, dModel: 1024, nHeads: 8 })),
  ],
  ['nLayers 1e7', await file('layers', 64, (t) => (t.nLayers = 1e7))],
  ['maxLength 2^31', await file('positions', 64, (t) => (t.maxLength = 2 ** 31))],
  ['dFF 1e9', await file('dff', 64, (t) => (t.dFF = 1e9))],
  ['a 32 MB file (dModel 512), vocabSize 1e7', await file('large', 512, (t) => (t.vocabSize = 1e7))],
];

const rows = cases.map(([what, path]) => {
  const sizeMB = statSync(path).size / 1024 / 1024;
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/hostile-model.ts', '--child', path], {
    encoding: 'utf8',
  });
  const r = JSON.parse(out) as { ms: number; outcome: string; peakRssMB: number };
  const row = {
    what,
    fileMB: +sizeMB.toFixed(1),
    ms: +r.ms.toFixed(1),
    peakRssMB: +r.peakRssMB.toFixed(0),
    targetMB: +(2 * sizeMB + 200).toFixed(0),
    outcome: r.outcome.slice(0, 160),
  };
  console.log(row);
  return row;
});

const load = readFileSync('/proc/loadavg', 'utf8').trim();
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/hostile-model.json',
  JSON.stringify(
    {
      bench: 'hostile-model',
      note:
        'Each file loaded in a fresh Node process through the CLI loader (read, decode, check, build on WASM). ' +
        'peakRssMB includes Node, tfjs and its WASM backend (see the good file); target: 2x the file + 200 MB.',
      loadavg: load,
      rows,
    },
    null,
    2,
  ) + '\n',
);
