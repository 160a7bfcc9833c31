// Times a few training steps of a model on each backend the browser offers, so 'auto' can take the
// fastest by measurement rather than by rule. One step is the trainer's own: the encoder over a
// batch of chosen and rejected sequences, the Bradley-Terry loss, its gradients and an Adam update,
// here on a fixed synthetic batch (seeded token ids, every sequence maxLength long: the slowest
// bucket a real batch can fall in).
//
// The first step on a backend compiles its shaders (WebGPU, WebGL) or warms its caches (WASM) and
// is timed apart. Then one step is timed, which says how many more fit the budget (up to `steps` in
// all); they are queued and the time runs until the last loss is read back, the GPU's queue
// included. Every tensor made here is freed before returning.
import { checkKernels } from '../model/ops/webgpu/program.ts';
import { wasmSimdKernelsReady } from '../model/ops/wasm/kernels.ts';
import { AdamW } from './optimizer.ts';
import * as tf from '@tensorflow/tfjs';
import type { TransformerConfig } from '../model/encoders/transformer.ts';
import { RewardModel, type ModelSpec } from '../model/reward-model.ts';
import { disposeBatch, makeBatch, type TokenizedPair } from './batch.ts';
import { bradleyTerryShare } from './fused-loss.ts';

/** The model a probe times: its shape, and the pairs per step. */
export interface ProbeModel {
  transformer: TransformerConfig;
  batchSize: number;
}

/** One backend's figures, or why it has none. */
export interface ProbeFigure {
  /** tfjs backend name: 'webgpu', 'webgl', 'wasm', 'cpu'. */
  backend: string;
  /** Mean time of a training step after the first; absent where the backend was not timed. */
  msPerStep?: number;
  /** The first step, shader compilation and warm-up included. */
  firstStepMs?: number;
  /** Training pairs per second at msPerStep. */
  pairsPerSecond?: number;
  /** Steps timed after the first. */
  steps?: number;
  /** Plain words: why it was not timed, or a detail of how it ran (e.g. WASM threads). */
  note?: string;
}

export interface StepTiming {
  msPerStep: number;
  firstStepMs: number;
  pairsPerSecond: number;
  steps: number;
}

export interface ProbeOptions {
  /** Steps timed after the warm-up step (default 3). */
  steps?: number;
  /**
   * Time a backend may take after its warm-up step, in ms (default 2000): fewer steps are timed where
   * the first of them says they would not fit, but never fewer than one.
   */
  budgetMs?: number;
  seed?: number;
}

/** Pairs of fixed, seeded token ids, every sequence `length` tokens long. */
export function syntheticPairs(count: number, length: number, vocabSize: number, seed = 1): TokenizedPair[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  // Ids 0-3 are left out: the tokenizers keep their special tokens there.
  const sequence = () => Int32Array.from({ length }, () => 4 + (next() % Math.max(1, vocabSize - 4)));
  return Array.from({ length: count }, () => ({ chosen: sequence(), rejected: sequence(), margin: 0 }));
}

function spec(model: ProbeModel): ModelSpec {
  return { encoder: 'builtin-transformer', tokenizer: 'builtin', transformer: model.transformer };
}

/** Times training steps of `model` on the backend already set (tf.setBackend), then frees everything. */
export async function timeTrainingSteps(model: ProbeModel, options: ProbeOptions = {}): Promise<StepTiming> {
  const steps = Math.max(1, options.steps ?? 3);
  const budgetMs = options.budgetMs ?? 2000;
  const { maxLength, vocabSize } = model.transformer;
  const pairs = syntheticPairs(model.batchSize, maxLength, vocabSize, options.seed);
  const reward = RewardModel.create(spec(model), options.seed ?? 1);
  // What training runs: RM Lab's kernels where they pass their check, AdamW with clipping.
  await checkKernels();
  const vars = reward.trainableVariables;
  const optimizer = await AdamW.create(vars, 0, 1);
  const batch = makeBatch(pairs, maxLength, 0);
  const step = (): tf.Scalar => {
    const { value, grads } = tf.variableGrads(() => {
      // The trainer's loss: on the fused kernel where the kernels are on (fused-loss.ts), the same mean otherwise.
      return bradleyTerryShare(reward.rewards(batch.ids, batch.mask), batch.pairs, 0, batch.size);
    }, vars);
    optimizer.step(grads, 1e-4).dispose();
    tf.dispose(Object.values(grads));
    return value;
  };
  try {
    const timeSteps = async (n: number): Promise<number> => {
      const t0 = performance.now();
      let last: tf.Scalar | undefined;
      for (let i = 0; i < n; i++) {
        last?.dispose();
        last = step();
      }
      await last!.data();
      last!.dispose();
      return performance.now() - t0;
    };
    const firstStepMs = await timeSteps(1);
    // The first step after warm-up sizes the rest: a GPU's first step is mostly shader compilation.
    const secondMs = await timeSteps(1);
    const more = Math.max(0, Math.min(steps - 1, Math.floor((budgetMs - secondMs) / Math.max(secondMs, 1e-3))));
    const n = 1 + more;
    const msPerStep = (secondMs + (more > 0 ? await timeSteps(more) : 0)) / n;
    return { msPerStep, firstStepMs, steps: n, pairsPerSecond: (model.batchSize * 1000) / msPerStep };
  } finally {
    disposeBatch(batch);
    optimizer.dispose();
    reward.dispose();
  }
}

/**
 * Times `backends` in turn (each must be registered with tfjs) and returns their figures, fastest
 * first, those that could not be timed last with the reason. Leaves the last backend tried set:
 * the caller sets the one it picks.
 */
export async function probeBackends(
  backends: string[],
  model: ProbeModel,
  options: ProbeOptions = {},
): Promise<ProbeFigure[]> {
  const figures: ProbeFigure[] = [];
  await wasmSimdKernelsReady(); // time the kernels a run would use
  for (const backend of backends) {
    try {
      if (!(await tf.setBackend(backend))) {
        figures.push({ backend, note: 'could not start in this browser' });
        continue;
      }
      await tf.ready();
      const timing = await timeTrainingSteps(model, options);
      const threads = wasmThreadsInUse();
      figures.push({ backend, ...timing, ...(threads !== undefined ? { note: threadNote(threads) } : {}) });
    } catch (error) {
      figures.push({ backend, note: `failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return rankFigures(figures);
}

/** Threads the WASM backend's kernels run on, when it is the backend in use. */
export function wasmThreadsInUse(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  return backend.wasm?.tfjs?.getThreadsCount?.();
}

function threadNote(threads: number): string {
  if (threads > 1) return `${threads} threads`;
  if (globalThis.crossOriginIsolated !== true) return '1 thread: the page is not cross-origin isolated';
  // tfjs-backend-wasm sizes its pool at half the logical cores (it assumes two per physical core).
  return `1 thread: tfjs uses half of the ${globalThis.navigator?.hardwareConcurrency ?? '?'} logical cores`;
}

/** Timed figures by msPerStep, fastest first, then the untimed ones in their order. */
export function rankFigures(figures: ProbeFigure[]): ProbeFigure[] {
  const timed = figures.filter((f) => f.msPerStep !== undefined).sort((a, b) => a.msPerStep! - b.msPerStep!);
  return [...timed, ...figures.filter((f) => f.msPerStep === undefined)];
}
