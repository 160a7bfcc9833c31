// Training throughput of RM Lab (tfjs's WASM backend in Node, through trainRewardModel) beside a
// PyTorch implementation of the same models (scripts/reference/bench_torch.py, which reuses the
// fixtures' reference code), in one run, on the same cores:
//   nice -n 10 npx tsx bench/train-vs-torch.ts [--steps 10] [--kernels rmlab,tfjs] [--models a,b]
// Three models: the built-in transformer (the Transformer preset: 2 layers, 64 wide, 4 heads, [CLS]
// pooling, no length term; the app's default is now a bag of word vectors, but this is the shape
// issue 12's targets concern) at 128 tokens and at 256 (the step-time ratio of the two), and a
// bert-tiny-sized BERT (2 layers, hidden 128, 2 heads, intermediate 512, BERT's 30,522-word
// vocabulary, [CLS] through the pooler). Both sides train on the same fixed synthetic token ids:
// every batch is 16 pairs of sequences exactly `length` tokens long ([CLS] a [SEP] b [SEP], no
// padding), so both do the same work per step: one forward and backward pass over 2 x 16 sequences,
// global gradient norm clipping, AdamW, linear decay (the trainer's defaults). PyTorch gets as many
// threads as tfjs's WASM backend uses in Node (1: Node gets the single-threaded SIMD build); its
// default thread count is timed too, for context.
// RM Lab runs once per --kernels entry: `rmlab` with RM Lab's wasm kernels (src/core/model/ops/wasm/:
// the SIMD matrix product and the Identity that shares instead of copying, as the CLI runs), `tfjs`
// with tfjs's own BatchMatMul and Identity (before them): before and after in one run, same load.
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
import { installWasmKernels } from '../src/cli/wasm-kernels.ts';
import { wasmBatchMatMulActive } from '../src/core/model/ops/wasm/batch-matmul.ts';
import { uninstallWasmSimdKernels } from '../src/core/model/ops/wasm/kernels.ts';
import { uninstallWasmIdentity } from '../src/core/model/ops/wasm/identity.ts';
import { RewardModel } from '../src/core/model/reward-model.ts';
import type { TokenizedPair } from '../src/core/train/batch.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';
import { config, dataOf, modelsNamed, pairsFor, type BenchModel } from './train-vs-torch-models.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '10' },
    kernels: { type: 'string', default: 'rmlab,tfjs' },
    models: { type: 'string', default: 'builtin-transformer,builtin-transformer-256,bert-tiny-sized' },
  },
});
const STEPS = Number(args.steps);
const KERNELS = args.kernels.split(',') as ('rmlab' | 'tfjs')[];
for (const k of KERNELS) if (k !== 'rmlab' && k !== 'tfjs') throw new Error(`--kernels: ${k} is not rmlab or tfjs`);
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

/** Times the same steps in PyTorch, right after RM Lab's, so both run under the same load. */
function timeTorch(m: BenchModel, pairs: TokenizedPair[]): TorchRun {
  const job = {
    threads: wasmThreads,
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
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out) as TorchRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Puts in place the kernels a run uses: RM Lab's (as the CLI runs) or tfjs's own. */
async function useKernel(kernel: 'rmlab' | 'tfjs'): Promise<void> {
  if (kernel === 'tfjs') {
    uninstallWasmSimdKernels();
    uninstallWasmIdentity();
  } else if (!(await installWasmKernels())) throw new Error("RM Lab's WebAssembly kernel did not install");
  if (wasmBatchMatMulActive() !== (kernel === 'rmlab')) throw new Error(`the ${kernel} kernel is not the one running`);
}

let torchVersion = '';
let torchDefaultThreads = 0;
interface Ratios {
  /** RM Lab's throughput over PyTorch's at the same thread count, wall clock: above 1, RM Lab is faster. */
  ratio: number;
  /** The same per CPU second of each process: less sensitive to others' jobs on a shared machine. */
  ratioPerCpuSecond: number;
}
interface Row extends Partial<Ratios> {
  model: string;
  batchSize: number;
  sequenceLength: number;
  /** With RM Lab's wasm kernels (what the CLI runs). */
  rmlab?: Figures;
  /** With tfjs's own BatchMatMul and Identity kernels (before RM Lab's). */
  rmlabTfjsKernel?: Figures;
  torch: Figures;
  torchDefaultThreads: Figures | null;
  tfjsKernel?: Ratios;
}
const rows: Row[] = [];
for (const m of MODELS) {
  const all = pairsFor(m, WARMUP + STEPS);
  const rmlab: Partial<Record<'rmlab' | 'tfjs', Figures>> = {};
  for (const kernel of KERNELS) {
    await useKernel(kernel);
    rmlab[kernel] = await timeRmLab(m, all.slice(0, WARMUP * B), all.slice(WARMUP * B));
  }
  const run = timeTorch(m, all);
  torchVersion = run.torch;
  torchDefaultThreads = run.defaultThreads;
  const theirs = run.results[m.name]!;
  const ratios = (x: Figures | undefined): Ratios | undefined =>
    x && {
      ratio: x.pairsPerSecond / theirs.matched.pairsPerSecond,
      ratioPerCpuSecond: x.pairsPerCpuSecond / theirs.matched.pairsPerCpuSecond,
    };
  rows.push({
    model: m.name,
    batchSize: B,
    sequenceLength: m.length,
    rmlab: rmlab.rmlab,
    rmlabTfjsKernel: rmlab.tfjs,
    torch: theirs.matched,
    torchDefaultThreads: theirs.defaultThreads,
    ...ratios(rmlab.rmlab),
    tfjsKernel: ratios(rmlab.tfjs),
  });
}

/** A step at 256 tokens over a step at 128 (CPU seconds; target <= 2.5), per kernel. */
function lengthRatios() {
  const [short, long] = ['builtin-transformer', 'builtin-transformer-256'].map((n) => rows.find((r) => r.model === n));
  if (!short || !long) return undefined;
  const per = (x: Figures | undefined, y: Figures | undefined) => x && y && y.cpuSeconds / x.cpuSeconds;
  return {
    rmlab: per(short.rmlab, long.rmlab),
    tfjsKernel: per(short.rmlabTfjsKernel, long.rmlabTfjsKernel),
    torch: per(short.torch, long.torch),
  };
}

console.log(
  `\nbatch ${B} pairs; RM Lab on ${wasmThreads} thread, ` +
    `PyTorch ${torchVersion} on ${wasmThreads} (its default is ${torchDefaultThreads}):`,
);
for (const r of rows) {
  const line = (who: string, x: Figures) =>
    `    ${who.padEnd(30)} ${x.pairsPerSecond.toFixed(1).padStart(7)} pairs/s ${x.tokensPerSecond.toFixed(0).padStart(8)} tokens/s ` +
    `${x.secondsPerStep.toFixed(3)} s/step  ${x.pairsPerCpuSecond.toFixed(1).padStart(7)} pairs per CPU second`;
  const some = r.rmlab ?? r.rmlabTfjsKernel!;
  console.log(`  ${r.model}, ${r.sequenceLength} tokens (${some.parameters.toLocaleString('en')} parameters)`);
  if (r.rmlab) console.log(line('RM Lab (WASM, RM Lab kernel)', r.rmlab));
  if (r.rmlabTfjsKernel) console.log(line('RM Lab (WASM, tfjs kernel)', r.rmlabTfjsKernel));
  console.log(line(`PyTorch, ${r.torch.threads} thread`, r.torch));
  if (r.torchDefaultThreads)
    console.log(line(`PyTorch, ${r.torchDefaultThreads.threads} threads`, r.torchDefaultThreads));
  for (const [who, x] of [
    ['RM Lab kernel', r],
    ['tfjs kernel', r.tfjsKernel],
  ] as const) {
    if (x?.ratio === undefined || x.ratioPerCpuSecond === undefined) continue;
    console.log(
      `    RM Lab (${who}) / PyTorch: ${x.ratio.toFixed(2)}x wall clock, ${x.ratioPerCpuSecond.toFixed(2)}x per CPU second`,
    );
  }
}
const lengths = lengthRatios();
if (lengths) {
  const f = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(2)}x`);
  console.log(
    `  256-token step / 128-token step (CPU seconds): RM Lab kernel ${f(lengths.rmlab)}, ` +
      `tfjs kernel ${f(lengths.tfjsKernel)}, PyTorch ${f(lengths.torch)}`,
  );
}

// The file holds every run, oldest first (earlier single-run files become the first entry).
const FILE = 'bench/results/train-vs-torch.json';
const earlier = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as { runs?: unknown[] }) : undefined;
const runs = earlier ? (earlier.runs ?? [earlier]) : [];
runs.push({
  date: new Date().toISOString(),
  command: `nice -n 10 npx tsx bench/train-vs-torch.ts --steps ${STEPS} --kernels ${KERNELS.join(',')} --models ${MODELS.map((m) => m.name).join(',')}`,
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
  warmupSteps: WARMUP,
  work: 'fixed synthetic token ids, every sequence exactly sequenceLength tokens (no padding); forward + backward over 2B sequences, gradient-norm clipping, AdamW, linear decay',
  results: rows,
  lengthRatio256To128: lengths,
});
mkdirSync('bench/results', { recursive: true });
writeFileSync(FILE, JSON.stringify({ runs }, null, 2) + '\n');
console.log(`\nappended run ${runs.length} to ${FILE}`);
