// tfjs's WebGPU backend in Node through Dawn (the npm package `webgpu`, dawn.node), against WASM, on
// a machine with a real GPU. Bundled by bench/gpu/build.sh into .gpu/bench.mjs and run there by
// bench/gpu/device.sh; it asserts nothing: figures, not tests.
//
//   node .gpu/bench.mjs [--out FILE] [--backends webgpu,wasm] [--quick] [--probe]
//
// Environment: WEBGPU_MODULE (path of the `webgpu` package's index.js; default .gpu/webgpu/index.js),
// DAWN_OPTS (comma-separated dawn.node options, e.g. backend=vulkan), WEBGPU_FEATURE_LEVEL, WASM_DIR (folder of the tfjs
// .wasm files; default: beside the bundle).
//
// (a) correctness: rewards, loss, accuracy and every gradient against the float64 PyTorch fixtures
//     (tests/fixtures/reference-*.json), with tests/unit/reference.test.ts's tolerance;
// (b) speed: training steps of the app's default configuration and of a bert-tiny-sized one on the
//     demo data, after warm-up steps over the same batches (so every bucket shape is compiled);
// (c) leaks: tf.memory().numTensors at every read-back of the timed steps, and a 3-step Adam loop.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readLinesFromText } from '../../src/core/data/jsonl.ts';
import { parsePairs } from '../../src/core/data/parse.ts';
import type { Pair } from '../../src/core/data/pair.ts';
import { modelSpecFor, RewardModel } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { bucketFor } from '../../src/core/train/batch.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/core/train/config.ts';
import { prepareTrainingData, type TrainingData } from '../../src/core/train/data.ts';
import { permutation } from '../../src/core/train/shuffle.ts';
import { trainRewardModel } from '../../src/core/train/trainer.ts';
import cls from '../../tests/fixtures/reference-cls.json';
import mean from '../../tests/fixtures/reference-mean.json';
import tinyCls from '../../tests/fixtures/reference-tiny-cls.json';
import tinyMean from '../../tests/fixtures/reference-tiny-mean.json';
import { adamSteps, compare, runFixture, type Fixture } from '../../tests/reference-fixture.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const outFile = arg('--out') ?? 'bench/results/gpu-webgpu-node.json';
const wantedBackends = (arg('--backends') ?? 'webgpu,wasm').split(',');
const here = dirname(fileURLToPath(import.meta.url));
const log = (...a: unknown[]) => console.log(...a);

// ---------------------------------------------------------------- WebGPU through dawn.node

interface DawnModule {
  create: (options: string[]) => GPU;
  globals: Record<string, unknown>;
}

interface AdapterReport {
  found: boolean;
  error?: string;
  info?: Record<string, unknown>;
  features?: string[];
  limits?: Record<string, number>;
  dawnOptions: string[];
  featureLevel: string;
}

async function setUpWebGPU(): Promise<AdapterReport> {
  const dawnOptions = (process.env.DAWN_OPTS ?? '').split(',').filter(Boolean);
  const featureLevel = process.env.WEBGPU_FEATURE_LEVEL;
  const report: AdapterReport = { found: false, dawnOptions, featureLevel: featureLevel ?? 'core' };
  try {
    const path = resolve(process.env.WEBGPU_MODULE ?? '.gpu/webgpu/index.js');
    const dawn = (await import(path)) as DawnModule;
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create(dawnOptions);
    // WEBGPU_FEATURE_LEVEL=compatibility: Dawn's OpenGL (ES) backends offer no core adapter.
    const adapter = await gpu.requestAdapter({
      powerPreference: 'high-performance',
      ...(featureLevel && { featureLevel }),
    });
    if (!adapter) {
      report.error = 'requestAdapter returned null';
      return report;
    }
    const info = (adapter as unknown as { info: GPUAdapterInfo & Record<string, unknown> }).info;
    report.info = {};
    for (const k of ['vendor', 'architecture', 'device', 'description', 'subgroupMinSize', 'subgroupMaxSize'])
      report.info[k] = info[k];
    report.info.isFallbackAdapter = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter;
    report.features = [...adapter.features].sort();
    report.limits = {};
    for (const k of [
      'maxBufferSize',
      'maxStorageBufferBindingSize',
      'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupsPerDimension',
    ])
      report.limits[k] = (adapter.limits as unknown as Record<string, number>)[k]!;
    report.found = true;
    // tfjs 4.22 asks for the feature ['bgra8unorm-storage'] (an array, which a browser's WebIDL
    // conversion turns into its string); dawn.node may not, so the names are made strings here.
    const requestAdapter = gpu.requestAdapter.bind(gpu);
    const wrapped = {
      requestAdapter: async (o?: GPURequestAdapterOptions) => {
        const a = await requestAdapter({ ...o, ...(featureLevel && { featureLevel }) });
        if (a) {
          const requestDevice = a.requestDevice.bind(a);
          Object.defineProperty(a, 'requestDevice', {
            value: (d?: GPUDeviceDescriptor) =>
              requestDevice(
                d && { ...d, requiredFeatures: [...(d.requiredFeatures ?? [])].map(String) as GPUFeatureName[] },
              ),
          });
        }
        return a;
      },
      getPreferredCanvasFormat: () => 'rgba8unorm',
    };
    // tfjs-backend-webgpu registers itself on import only where navigator.gpu exists (Node 20 has
    // no navigator), so the global is set first and the backend imported after.
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: wrapped }, configurable: true, writable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    report.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  }
  return report;
}

// ---------------------------------------------------------------- (a) the PyTorch reference

const FIXTURES: [string, Fixture][] = [
  ['reference-cls', cls],
  ['reference-mean', mean],
  ['reference-tiny-cls', tinyCls],
  ['reference-tiny-mean', tinyMean],
];

/** The reference tests' comparison, recorded rather than asserted. */
async function checkFixture(label: string, f: Fixture) {
  const r = await runFixture(f);
  const rew = compare(r.rewards, f.expected.rewards);
  const los = compare([r.loss], [f.expected.loss]);
  const gradResults = f.grads.map((g) => ({ name: g.name, ...compare(r.grads.get(g.name) ?? [], g.data) }));
  const worst = gradResults.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const out = {
    fixture: label,
    rewards: rew,
    loss: los,
    accuracyMatches: r.accuracy === Math.fround(f.expected.accuracy),
    worstGrad: worst,
    largestGradErr: Math.max(...gradResults.map((g) => g.maxErr)),
    failures: [
      ...(rew.ratio <= 1 ? [] : ['rewards']),
      ...(los.ratio <= 1 ? [] : ['loss']),
      ...gradResults.filter((g) => !(g.ratio <= 1)).map((g) => `grad ${g.name} (${g.ratio.toFixed(2)}x)`),
    ],
  };
  log(
    `  ${label}: rewards ${rew.maxErr.toExponential(2)} (${rew.ratio.toFixed(3)} of tol), loss ${los.maxErr.toExponential(2)} ` +
      `(${los.ratio.toFixed(3)}), worst grad ${worst.name} ${worst.maxErr.toExponential(2)} (${worst.ratio.toFixed(3)}), ` +
      `accuracy ${out.accuracyMatches ? 'matches' : 'DIFFERS'}${out.failures.length ? `; OUT OF TOLERANCE: ${out.failures.join(', ')}` : ''}`,
  );
  return out;
}

/** tests/unit/reference.test.ts's leak check: three Adam steps, the tensor count flat after the first. */
async function adamLeakCheck() {
  const { start, counts, end } = await adamSteps(cls as Fixture, 1e-3);
  return { start, countsAfterEachStep: counts, end, flat: counts[2] === counts[1] && end === start };
}

// ---------------------------------------------------------------- (b) speed

async function demoPairs(): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for await (const p of parsePairs(readLinesFromText(readFileSync('public/demo/pandalm-testset.jsonl', 'utf8')))) {
    if (p.kind === 'pair') pairs.push({ ...p.pair, id: String(p.line), datasetId: 'demo' });
  }
  return pairs;
}

/** Tokens in the first `steps` batches the trainer takes (epoch 0's order): real, and padded to the buckets. */
function tokensOfSteps(data: TrainingData, config: TrainConfig, steps: number) {
  const order = permutation(data.train.length, config.seed * 1000);
  let real = 0;
  let padded = 0;
  const buckets: Record<number, number> = {};
  for (let s = 0; s < steps; s++) {
    const pairs = order.slice(s * config.batchSize, (s + 1) * config.batchSize).map((i) => data.train[i]!);
    const seqs = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
    const T = bucketFor(Math.max(...seqs.map((q) => q.length)), config.maxLength);
    buckets[T] = (buckets[T] ?? 0) + 1;
    real += seqs.reduce((a, q) => a + q.length, 0);
    padded += seqs.length * T;
  }
  return { real, padded, buckets };
}

async function timeSteps(
  backend: string,
  name: string,
  config: TrainConfig,
  pairs: Pair[],
  steps: number,
  warmup: number,
) {
  const tokenizer = builtinTokenizer();
  const data = prepareTrainingData(pairs, tokenizer, config);
  const stepsPerEpoch = Math.ceil(data.train.length / config.batchSize);
  if (steps > stepsPerEpoch) steps = stepsPerEpoch;
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), config.seed);
  const noEval = { ...data, heldOut: [] };
  // Warm-up over the same first batches the timed run takes: on WebGPU every new shape compiles shaders.
  const w0 = performance.now();
  await trainRewardModel(model, noEval, { ...config, maxSteps: warmup, evalEvery: 1e9 }, tokenizer.special.pad, {
    onEvent: () => {},
  });
  const warmupSeconds = (performance.now() - w0) / 1000;
  const tensorsAtFlush: number[] = [];
  const tensorsBefore = tf.memory().numTensors;
  const losses: number[] = [];
  const t0 = performance.now();
  await trainRewardModel(model, noEval, { ...config, maxSteps: steps, evalEvery: 1e9 }, tokenizer.special.pad, {
    onEvent: (e) => {
      if (e.type !== 'steps') return;
      tensorsAtFlush.push(tf.memory().numTensors);
      losses.push(...e.points.map((p) => p.loss));
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const tensorsAfter = tf.memory().numTensors;
  model.dispose();
  const tokens = tokensOfSteps(data, config, steps);
  const r = {
    backend,
    config: name,
    steps,
    warmupSteps: warmup,
    warmupSeconds,
    seconds,
    secondsPerStep: seconds / steps,
    pairsPerSecond: (steps * config.batchSize) / seconds,
    sequencesPerSecond: (2 * steps * config.batchSize) / seconds,
    realTokensPerSecond: tokens.real / seconds,
    paddedTokensPerSecond: tokens.padded / seconds,
    bucketsOfTimedSteps: tokens.buckets,
    trainPairs: data.train.length,
    tensors: { before: tensorsBefore, atEachReadBack: tensorsAtFlush, after: tensorsAfter },
    // At each read-back the trainer's Adam slots are alive too; they go with the optimizer at the end.
    tensorsFlat: tensorsAtFlush.every((n) => n === tensorsAtFlush[0]) && tensorsAfter === tensorsBefore,
    firstLoss: losses[0],
    lastLoss: losses.at(-1),
    lossesFinite: losses.every(Number.isFinite),
  };
  log(
    `  ${backend.padEnd(6)} ${name.padEnd(9)} ${r.secondsPerStep.toFixed(4)} s/step  ${r.pairsPerSecond.toFixed(1)} pairs/s  ` +
      `${r.realTokensPerSecond.toFixed(0)} real tok/s  ${r.paddedTokensPerSecond.toFixed(0)} padded tok/s  ` +
      `(warm-up ${warmup} steps ${warmupSeconds.toFixed(1)} s; buckets ${JSON.stringify(tokens.buckets)}; tensors ${tensorsBefore} -> [${tensorsAtFlush}] -> ${tensorsAfter})`,
  );
  return r;
}

// ---------------------------------------------------------------- main

const started = performance.now();
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  tfjs: tf.version.tfjs,
  host: { cpus: cpus().length, cpuModel: cpus()[0]?.model },
  data: 'public/demo/pandalm-testset.jsonl (the demo data), the first steps of epoch 0 in the trainer order',
};
const save = () => {
  result.totalSeconds = (performance.now() - started) / 1000;
  mkdirSync(dirname(resolve(outFile)), { recursive: true });
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
};
const adapter = wantedBackends.includes('webgpu') ? await setUpWebGPU() : undefined;
result.adapter = adapter;
log('webgpu adapter:', JSON.stringify(adapter, null, 1));
if (argv.includes('--probe')) process.exit(adapter?.found ? 0 : 3);

setWasmPaths(resolve(process.env.WASM_DIR ?? here) + '/');
const backends: string[] = [];
const backendErrors: Record<string, string> = {};
for (const b of wantedBackends) {
  try {
    if (!(await tf.setBackend(b))) throw new Error(`setBackend('${b}') returned false`);
    await tf.ready();
    backends.push(b);
  } catch (e) {
    backendErrors[b] = e instanceof Error ? e.message : String(e);
    log(`backend ${b} unavailable: ${backendErrors[b]}`);
  }
}
result.backendErrors = backendErrors;
if (backends.includes('wasm')) {
  await tf.setBackend('wasm');
  result.wasmFlags = {
    WASM_HAS_SIMD_SUPPORT: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    WASM_HAS_MULTITHREAD_SUPPORT: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

const correctness: Record<string, unknown> = {};
const leaks: Record<string, unknown> = {};
for (const b of backends) {
  await tf.setBackend(b);
  log(`correctness on ${b}:`);
  const runs = [];
  for (const [label, f] of FIXTURES) {
    try {
      runs.push(await checkFixture(label, f));
    } catch (e) {
      runs.push({ fixture: label, error: e instanceof Error ? e.message : String(e) });
      log(`  ${label}: ERROR ${String(e)}`);
    }
  }
  correctness[b] = runs;
  leaks[b] = await adamLeakCheck();
  log(`  adam 3-step leak check: ${JSON.stringify(leaks[b])}`);
  result.correctness = correctness;
  result.adamLeakCheck = leaks;
  save();
}
result.correctness = correctness;
result.adamLeakCheck = leaks;

const pairs = await demoPairs();
const configs: [string, TrainConfig][] = [
  ['default', DEFAULT_TRAIN_CONFIG],
  ['bert-tiny', { ...DEFAULT_TRAIN_CONFIG, dModel: 128, nLayers: 2, nHeads: 2, maxLength: 128, batchSize: 32 }],
];
result.configs = Object.fromEntries(configs);
// Steps: WebGPU warms up over as many steps as it times; WASM compiles nothing, one warm-up step.
const plan: Record<string, { steps: number; warmup: number }> = quick
  ? { webgpu: { steps: 5, warmup: 5 }, wasm: { steps: 2, warmup: 1 } }
  : { webgpu: { steps: 20, warmup: 20 }, wasm: { steps: 3, warmup: 1 } };
const speed: Awaited<ReturnType<typeof timeSteps>>[] = [];
const speedErrors: string[] = [];
log('speed:');
result.speed = speed;
result.speedErrors = speedErrors;
for (const b of backends) {
  for (const [name, config] of configs) {
    await tf.setBackend(b);
    const p = plan[b] ?? { steps: 2, warmup: 1 };
    try {
      speed.push(await timeSteps(b, name, config, pairs, p.steps, p.warmup));
    } catch (e) {
      speedErrors.push(`${b} ${name}: ${e instanceof Error ? e.message : String(e)}`);
      log(`  ${b} ${name}: ERROR ${String(e)}`);
    }
    save();
  }
}
const ratios: Record<string, unknown> = {};
for (const [name] of configs) {
  const g = speed.find((s) => s.backend === 'webgpu' && s.config === name);
  const w = speed.find((s) => s.backend === 'wasm' && s.config === name);
  if (g && w) {
    ratios[name] = { webgpuOverWasmSpeedup: w.secondsPerStep / g.secondsPerStep };
    log(`  ${name}: webgpu is ${(w.secondsPerStep / g.secondsPerStep).toFixed(2)}x the speed of wasm`);
  }
}
result.webgpuVsWasm = ratios;
if (backends.includes('webgpu')) {
  await tf.setBackend('webgpu');
  result.webgpuMemory = tf.memory();
}
save();
log(`wrote ${outFile} in ${(result.totalSeconds as number).toFixed(1)} s`);
// dawn.node can hold the event loop open.
process.exit(0);
