// Training throughput of RM Lab (tfjs's WASM backend in Node, through trainRewardModel) beside a
// PyTorch implementation of the same models (scripts/reference/bench_torch.py, which reuses the
// fixtures' reference code), in one run, on the same cores:
//   nice -n 10 npx tsx bench/train-vs-torch.ts [--steps 8] [--repeats 3] [--kernels rmlab,matmul,tfjs] [--models a,b]
// Three models (bench/train-vs-torch-models.ts): the built-in transformer (the Transformer preset: 2
// layers, 64 wide, 4 heads, [CLS] pooling, no length term; the app's default is now a bag of word
// vectors, but this is the shape issue 12's targets concern) at 128 tokens and at 256 (the step-time
// ratio of the two), and a bert-tiny-sized BERT (2 layers, hidden 128, 2 heads, intermediate 512,
// BERT's 30,522-word vocabulary, [CLS] through the pooler). Both sides train on the same fixed
// synthetic token ids: every batch is 16 pairs of sequences exactly `length` tokens long ([CLS] a
// [SEP] b [SEP], no padding), so both do the same work per step: one forward and backward pass over
// 2 x 16 sequences, global gradient norm clipping, AdamW, linear decay (the trainer's defaults).
// PyTorch gets as many threads as tfjs's WASM backend uses in Node (1: Node gets the
// single-threaded SIMD build); its default thread count is timed too (first repeat), for context.
// RM Lab runs once per --kernels entry: `rmlab` with all of RM Lab's wasm kernels
// (src/core/model/ops/wasm/: matrix product, column sum, row gather, GELU, sharing Identity, as the
// CLI runs), `matmul` with only the matrix product and the Identity (the state before the column
// sum, row gather and GELU kernels), `tfjs` with tfjs's own kernels: before and after in one run.
// The machine is shared (others' jobs come and go), so each of --repeats rounds times every model on
// each kernel set and then in PyTorch, alternating, and the ratios per CPU second of each process are
// reported as the median over the rounds with their range.
// Last measured (bench/results/train-vs-torch.json, run 4: 3 repeats, 8 steps, load ~17 on a 2-core
// AMD EPYC), per CPU second over PyTorch's, median [range]: built-in transformer 0.94x [0.65, 0.98]
// (matmul) -> 1.22x [1.00, 1.83] (rmlab); bert-tiny-sized 0.30x [0.25, 0.36] -> 0.52x [0.49, 0.55].
// PyTorch's OpenBLAS gets one thread too (TORCH_ENV): torch.set_num_threads does not reach it.
// Prints the ratios and appends a run to bench/results/train-vs-torch.json (earlier runs are kept).
// It asserts nothing: figures, not tests.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { RewardModel } from '../src/core/model/reward-model.ts';
import type { TokenizedPair } from '../src/core/train/batch.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';
import { config, dataOf, modelsNamed, pairsFor, type BenchModel } from './train-vs-torch-models.ts';
import { KERNEL_SETS, kernelSetsNamed, useKernelSet, type KernelSet } from './wasm-kernel-sets.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '8' },
    repeats: { type: 'string', default: '3' },
    kernels: { type: 'string', default: 'rmlab,matmul' },
    models: { type: 'string', default: 'builtin-transformer,builtin-transformer-256,bert-tiny-sized' },
  },
});
const STEPS = Number(args.steps);
const REPEATS = Number(args.repeats);
const KERNELS = kernelSetsNamed(args.kernels);
const WARMUP = 2; // kernel set-up and first allocations, on both sides
const PYTHON = '/usr/bin/python3'; // Debian's, with torch; the python3 first on PATH has none

const B = config.batchSize;
const MODELS = modelsNamed(args.models);

/** The Python side's ids: per step, the B chosen rows then the B rejected rows, as makeBatch lays them out. */
function torchIds(pairs: TokenizedPair[]): number[] {
  const out: number[] = [];
  for (let s = 0; s < pairs.length; s += B) {
    const step = pairs.slice(s, s + B);
    for (const p of step) out.push(...p.chosen);
    for (const p of step) out.push(...p.rejected);
  }
  return out;
}

async function timeRmLab(m: BenchModel, warm: TokenizedPair[], timed: TokenizedPair[]) {
  const model = RewardModel.create(m.spec, config.seed);
  const hyper = { ...config, maxLength: m.length, epochs: 1, evalEvery: 1e9 };
  const quiet = { onEvent: () => {} };
  // One call of warm-up steps, then the timed call on its own pairs. The trainer takes them in its
  // seeded shuffled order, the Python side in file order: the same sequences, all of one length, so
  // the same work.
  await trainRewardModel(model, dataOf(warm), { ...hyper, maxSteps: WARMUP }, m.pad, quiet);
  let firstLoss = NaN;
  let lastLoss = NaN;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await trainRewardModel(model, dataOf(timed), { ...hyper, maxSteps: STEPS }, m.pad, {
    onEvent: (e) => {
      if (e.type !== 'steps') return;
      if (Number.isNaN(firstLoss)) firstLoss = e.points[0]!.loss;
      lastLoss = e.points.at(-1)!.loss;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const parameters = model.trainableVariables.reduce((n, v) => n + v.size, 0);
  model.dispose();
  const pairsPerSecond = (STEPS * B) / seconds;
  return {
    threads: getThreadsCount(),
    steps: STEPS,
    seconds,
    secondsPerStep: seconds / STEPS,
    pairsPerSecond,
    tokensPerSecond: pairsPerSecond * 2 * m.length,
    // CPU time of the process: on a shared machine, the figure that others' jobs disturb least
    cpuSeconds,
    pairsPerCpuSecond: (STEPS * B) / cpuSeconds,
    parameters,
    firstLoss,
    lastLoss,
  };
}

await tf.setBackend('wasm');
await tf.ready();
const wasmThreads = getThreadsCount();
const load = loadavg()[0]!;
console.log(
  `tfjs ${tf.version.tfjs} WASM in Node ${process.version}: ${wasmThreads} thread(s); ${cpus().length} cores, ` +
    `load average ${load.toFixed(2)} (a shared machine: others' jobs run beside this one)`,
);

type Figures = Awaited<ReturnType<typeof timeRmLab>>;
interface TorchRun {
  torch: string;
  defaultThreads: number;
  results: Record<string, { matched: Figures; defaultThreads: Figures | null }>;
}

/**
 * torch.set_num_threads sets OpenMP's threads, not OpenBLAS's (Debian's torch calls OpenBLAS for its
 * matrix products): left alone, OpenBLAS starts a thread per core, whose spinning counts as CPU time.
 * One thread each, as RM Lab gets (unless the caller set OPENBLAS_NUM_THREADS).
 */
const TORCH_ENV = { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? String(wasmThreads) };

/** Times the same steps in PyTorch, right after RM Lab's, so both run under the same load. */
function timeTorch(m: BenchModel, pairs: TokenizedPair[], alsoDefaultThreads: boolean): TorchRun {
  const job = {
    threads: wasmThreads,
    alsoDefaultThreads,
    warmupSteps: WARMUP,
    steps: STEPS,
    learningRate: config.learningRate,
    weightDecay: config.weightDecay,
    maxGradNorm: config.maxGradNorm,
    models: [{ name: m.name, ...m.torch, batchSize: B, length: m.length, ids: torchIds(pairs) }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'rmlab-bench-'));
  try {
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const out = execFileSync(PYTHON, ['scripts/reference/bench_torch.py', join(dir, 'job.json')], {
      encoding: 'utf8',
      env: TORCH_ENV,
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out) as TorchRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RM Lab's throughput over PyTorch's at the same thread count (above 1, RM Lab is faster). */
interface Ratios {
  /** Wall clock. */
  ratio: number;
  /** Per CPU second of each process: the figure others' jobs on a shared machine disturb least. */
  ratioPerCpuSecond: number;
}
interface Repeat {
  rmlab: Partial<Record<KernelSet, Figures>>;
  torch: Figures;
  ratios: Partial<Record<KernelSet, Ratios>>;
}
/** The median of the repeats and their range. */
interface Spread {
  median: number;
  min: number;
  max: number;
}
const spread = (xs: number[]): Spread => {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
};

let torchVersion = '';
let torchDefaultThreads = 0;
const repeats = new Map<string, Repeat[]>(MODELS.map((m) => [m.name, []]));
const torchAtDefault = new Map<string, Figures | null>();
// Alternating: each repeat times every model on each kernel set and then in PyTorch, so a burst of
// others' load falls on both sides of some ratio rather than on one side of all of them.
for (let r = 0; r < REPEATS; r++) {
  for (const m of MODELS) {
    const all = pairsFor(m, WARMUP + STEPS);
    const rmlab: Repeat['rmlab'] = {};
    for (const kernels of KERNELS) {
      await useKernelSet(kernels);
      rmlab[kernels] = await timeRmLab(m, all.slice(0, WARMUP * B), all.slice(WARMUP * B));
    }
    const run = timeTorch(m, all, r === 0);
    torchVersion = run.torch;
    torchDefaultThreads = run.defaultThreads;
    const theirs = run.results[m.name]!;
    if (r === 0) torchAtDefault.set(m.name, theirs.defaultThreads);
    const ratios: Repeat['ratios'] = {};
    for (const k of KERNELS) {
      ratios[k] = {
        ratio: rmlab[k]!.pairsPerSecond / theirs.matched.pairsPerSecond,
        ratioPerCpuSecond: rmlab[k]!.pairsPerCpuSecond / theirs.matched.pairsPerCpuSecond,
      };
    }
    repeats.get(m.name)!.push({ rmlab, torch: theirs.matched, ratios });
    const said = KERNELS.map((k) => `${k} ${ratios[k]!.ratioPerCpuSecond.toFixed(2)}x`).join(', ');
    console.log(`  repeat ${r + 1}/${REPEATS} ${m.name}: per CPU second ${said}`);
  }
}

const rows = MODELS.map((m) => {
  const reps = repeats.get(m.name)!;
  const per = (k: KernelSet) => ({
    ratioPerCpuSecond: spread(reps.map((x) => x.ratios[k]!.ratioPerCpuSecond)),
    ratio: spread(reps.map((x) => x.ratios[k]!.ratio)),
    pairsPerCpuSecond: spread(reps.map((x) => x.rmlab[k]!.pairsPerCpuSecond)),
  });
  const kernels = Object.fromEntries(KERNELS.map((k) => [k, per(k)])) as Partial<
    Record<KernelSet, ReturnType<typeof per>>
  >;
  const main = kernels[KERNELS[0]!]!;
  return {
    model: m.name,
    batchSize: B,
    sequenceLength: m.length,
    parameters: reps[0]!.rmlab[KERNELS[0]!]!.parameters,
    /** The first kernel set's median ratio per CPU second, and the repeats' range. */
    ratioPerCpuSecond: main.ratioPerCpuSecond.median,
    ratioPerCpuSecondSpread: [main.ratioPerCpuSecond.min, main.ratioPerCpuSecond.max],
    ratio: main.ratio.median,
    torchPairsPerCpuSecond: spread(reps.map((x) => x.torch.pairsPerCpuSecond)),
    kernels,
    torchDefaultThreads: torchAtDefault.get(m.name) ?? null,
    repeats: reps,
  };
});

/** A step at 256 tokens over a step at 128 (CPU seconds, median over the repeats; target <= 2.5). */
function lengthRatios() {
  const [short, long] = ['builtin-transformer', 'builtin-transformer-256'].map((n) => repeats.get(n));
  if (!short || !long) return undefined;
  const of = (pick: (x: Repeat) => Figures) =>
    spread(short.map((x, i) => pick(long[i]!).cpuSeconds / pick(x).cpuSeconds)).median;
  return {
    ...Object.fromEntries(KERNELS.map((k) => [k, of((x) => x.rmlab[k]!)])),
    torch: of((x) => x.torch),
  };
}

const f2 = (x: number) => x.toFixed(2);
console.log(
  `\nbatch ${B} pairs; RM Lab on ${wasmThreads} thread, PyTorch ${torchVersion} on ${wasmThreads} ` +
    `(its default is ${torchDefaultThreads}); ${REPEATS} alternating repeats, median [min, max]:`,
);
for (const r of rows) {
  console.log(`  ${r.model}, ${r.sequenceLength} tokens (${r.parameters.toLocaleString('en')} parameters)`);
  const t = r.torchPairsPerCpuSecond;
  console.log(
    `    PyTorch, 1 thread: ${t.median.toFixed(1)} pairs per CPU second [${t.min.toFixed(1)}, ${t.max.toFixed(1)}]`,
  );
  for (const k of KERNELS) {
    const x = r.kernels[k]!;
    const c = x.ratioPerCpuSecond;
    console.log(
      `    RM Lab (${k} kernels): ${x.pairsPerCpuSecond.median.toFixed(1)} pairs per CPU second; / PyTorch: ` +
        `${f2(c.median)}x per CPU second [${f2(c.min)}, ${f2(c.max)}], ${f2(x.ratio.median)}x wall clock`,
    );
  }
}
const lengths = lengthRatios();
if (lengths) {
  const said = Object.entries(lengths)
    .map(([k, v]) => `${k} ${f2(v)}x`)
    .join(', ');
  console.log(`  256-token step / 128-token step (CPU seconds): ${said}`);
}

// The file holds every run, oldest first (earlier single-run files become the first entry).
const FILE = 'bench/results/train-vs-torch.json';
const earlier = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as { runs?: unknown[] }) : undefined;
const runs = earlier ? (earlier.runs ?? [earlier]) : [];
runs.push({
  date: new Date().toISOString(),
  command: `nice -n 10 npx tsx bench/train-vs-torch.ts --steps ${STEPS} --repeats ${REPEATS} --kernels ${KERNELS.join(',')} --models ${MODELS.map((m) => m.name).join(',')}`,
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    loadAverageAtStart: load,
    loadAverageAtEnd: loadavg()[0],
    shared: true,
  },
  node: process.version,
  tfjs: tf.version.tfjs,
  torch: torchVersion,
  wasmThreads,
  torchDefaultThreads,
  openblasThreads: TORCH_ENV.OPENBLAS_NUM_THREADS,
  warmupSteps: WARMUP,
  repeats: REPEATS,
  kernelSets: KERNEL_SETS,
  work: 'fixed synthetic token ids, every sequence exactly sequenceLength tokens (no padding); forward + backward over 2B sequences, gradient-norm clipping, AdamW, linear decay',
  results: rows,
  lengthRatio256To128: lengths,
});
mkdirSync('bench/results', { recursive: true });
writeFileSync(FILE, JSON.stringify({ runs }, null, 2) + '\n');
console.log(`\nappended run ${runs.length} to ${FILE}`);
