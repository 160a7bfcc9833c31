// A memory plan before a run: how many bytes the chosen model, batch, length and freezing need on the
// chosen backend, against what that backend can give, so a run that cannot fit says so before
// anything downloads or starts (the page needs only config.json; the CLI prints the same plan).
//
//   parameters   4 bytes x every weight (float32); on WebGPU with Frozen weights f16, 2 bytes x each
//                frozen weight matrix (ops/frozen-f16.ts: its float32 copy stays in CPU memory)
//   gradients    4 bytes x every trained weight (freezing.ts: a frozen one gets none)
//   optimizer    8 bytes x every trained weight (AdamW's two moments)
//   activations  the tensors tfjs's gradient tape keeps from the forward pass of one micro-batch of
//                S = 2 x batch sequences (chosen and rejected) of T tokens: per layer
//                a S T D + f S T F + h S H T T floats, plus e S T D for the embeddings; DeBERTa
//                adds r S H T R' + d S T D, R' the relative rows T tokens read (its c2p and p2c
//                products against them, and their gathers: fitted on T 20, 40, 60 within 5%).
// The per-layer counts were measured with tf.memory() on tfjs 4.22 (fitted over ten shapes of each
// encoder: within 5% of every one; tests/unit/memory-plan.test.ts checks fresh shapes within 25%).
// They differ by encoder because the built-in one composes its LayerNorm and GELU from more small
// ops than the BERT family's kernels. Freezing does not shrink them: the tape keeps the forward
// tensors of frozen layers too. Accumulation does: only one micro-batch is alive at a time.
// LoRA (model/lora.ts) adds its A and B to the parameters and makes them, with the head, the only
// trained weights (gradients and optimizer state for them alone, freezing.ts); its update keeps
// about r + 3 x out floats per token of each adapted projection (x A, (x A) B, scaled, summed: measured).
import type { ModelSpec } from '../model/reward-model.ts';
import { loraParams, loraTargets, projections } from '../model/lora.ts';
import { transformerParams } from '../model/encoders/transformer.ts';
import { familyOf } from '../model/families/registry.ts';
import { isDebertaConfig } from '../model/encoders/deberta-config.ts';
import { relativeRowsRead } from '../model/encoders/deberta.ts';
import { freezeChoiceOf, trainedNames, type FreezeChoice } from './freezing.ts';
import type { TrainConfig } from './config.ts';

/** Which weights train (LoRA's part comes from the spec), and whether frozen matrices are stored as f16 (on WebGPU). */
export type PlanFreezing = Omit<FreezeChoice, 'lora'> & Partial<Pick<TrainConfig, 'frozenWeights'>>;

const FLOAT = 4;
/** Floats a LoRA update keeps per token and output feature of its projection (see the file's head). */
const LORA_KEPT_PER_OUT = 3;
/** Floats kept per S T D, S T F and S H T T per layer, and per S T D for the embeddings (measured, see above). */
const KEPT = {
  builtin: { perD: 66, perF: 10, perScores: 8, embeddings: 8 },
  family: { perD: 38, perF: 5, perScores: 3, embeddings: 10 },
} as const;
/** DeBERTa's disentangled attention, per layer: floats per S H T R' (R' relative rows read) and per S T D. */
const KEPT_RELATIVE = { perRows: 7.3, perD: 7.75 } as const;

/** What a backend can give, as far as the page can know it before a run. */
export interface BackendLimits {
  backend: string;
  /** Total bytes the run may hold: WASM's 4 GiB heap, a guess of a GPU's memory; undefined: no known limit. */
  totalBytes?: number;
  /** What totalBytes is, in words ("the WASM heap"). */
  totalIs?: string;
  /** WebGPU's maxStorageBufferBindingSize (and maxBufferSize): the largest single tensor. */
  maxBufferBytes?: number;
}

/** WebAssembly's 32-bit address space: the most a WASM heap can grow to. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** A laptop GPU's share of memory when the browser cannot say (WebGPU tells no device memory). */
export const GPU_MEMORY_GUESS_BYTES = 4 * 2 ** 30;

export function limitsFor(
  backend: string,
  adapter?: { maxBufferSize: number; maxStorageBufferBindingSize: number },
): BackendLimits {
  if (backend === 'wasm') return { backend, totalBytes: WASM_HEAP_BYTES, totalIs: "WebAssembly's 4 GB heap" };
  if (backend === 'webgpu') {
    const maxBufferBytes = adapter ? Math.min(adapter.maxBufferSize, adapter.maxStorageBufferBindingSize) : undefined;
    return { backend, totalBytes: GPU_MEMORY_GUESS_BYTES, totalIs: 'a guess of 4 GB of GPU memory', maxBufferBytes };
  }
  return { backend };
}

export interface RunShape {
  batchSize: number;
  maxLength: number;
  gradAccumulation: number;
}

export interface MemoryPlan {
  parameters: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
  /** The largest single tensor (a weight or an attention score matrix), in bytes. */
  largestTensor: number;
  trainedWeights: number;
  allWeights: number;
  limits: BackendLimits;
  /** Plain words when it does not fit; undefined when it does. */
  over?: string;
  suggestions: string[];
}

interface Shape {
  params: { name: string; shape: number[] }[];
  D: number;
  F: number;
  H: number;
  L: number;
  kept: (typeof KEPT)[keyof typeof KEPT];
  /** DeBERTa with relative attention: the relative rows a sequence of T tokens reads (relativeRowsRead). */
  relativeRows?: (T: number) => number;
}

function shapeOf(spec: ModelSpec): Shape {
  const head = [
    { name: 'head.weight', shape: [0, 1] },
    { name: 'head.bias', shape: [1] },
  ];
  if (spec.encoder === 'builtin-transformer') {
    const t = spec.transformer;
    head[0]!.shape[0] = t.dModel;
    const params = [...transformerParams(t), ...loraParams(spec), ...head];
    return { params, D: t.dModel, F: t.dFF, H: t.nHeads, L: t.nLayers, kept: KEPT.builtin };
  }
  if (spec.encoder !== 'bert') {
    throw new Error('a quick head trains on a frozen Hub encoder outside RM Lab: it has no memory plan here');
  }
  const c = spec.bert;
  head[0]!.shape[0] = c.hiddenSize;
  const params = [...familyOf(c).params(c, spec.pooling), ...loraParams(spec), ...head];
  const F = (c as { intermediateSize?: number }).intermediateSize ?? 4 * c.hiddenSize;
  const shape: Shape = { params, D: c.hiddenSize, F, H: c.numHeads, L: c.numLayers, kept: KEPT.family };
  if (isDebertaConfig(c)) shape.relativeRows = (T) => relativeRowsRead(c, T)?.rows ?? 0;
  return shape;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A weight's bytes on the backend: float32, or a frozen matrix in f16, two halves to a 4-byte word a row. */
function weightBytes(shape: number[], f16: boolean): number {
  if (!f16 || shape.length !== 2) return FLOAT * size(shape);
  return FLOAT * shape[0]! * Math.ceil(shape[1]! / 2);
}

/** The plan for one run: bytes by kind, the largest tensor, and whether it fits `limits`. */
export function memoryPlan(spec: ModelSpec, run: RunShape, choice: PlanFreezing, limits: BackendLimits): MemoryPlan {
  const { params, D, F, H, L, kept, relativeRows } = shapeOf(spec);
  const freeze = freezeChoiceOf(spec, choice);
  const trained = new Set(
    trainedNames(
      params.map((p) => p.name),
      freeze,
      spec,
    ),
  );
  const allWeights = params.reduce((n, p) => n + size(p.shape), 0);
  const trainedWeights = params.filter((p) => trained.has(p.name)).reduce((n, p) => n + size(p.shape), 0);
  const S = 2 * run.batchSize;
  const T = run.maxLength;
  const R = relativeRows?.(T) ?? 0; // DeBERTa's relative rows read; 0 elsewhere
  const relative = R > 0 ? KEPT_RELATIVE.perRows * S * H * T * R + KEPT_RELATIVE.perD * S * T * D : 0;
  const perLayer = kept.perD * S * T * D + kept.perF * S * T * F + kept.perScores * S * H * T * T + relative;
  const rank = 'lora' in spec && spec.lora ? spec.lora.rank : 0;
  const adapters = loraTargets(spec).reduce((n, p) => n + S * T * (rank + LORA_KEPT_PER_OUT * p.outDim), 0);
  const activations = FLOAT * (L * perLayer + kept.embeddings * S * T * D + adapters);
  const half = choice.frozenWeights === 'f16' && limits.backend === 'webgpu';
  const bytesOf = (p: { name: string; shape: number[] }) => weightBytes(p.shape, half && !trained.has(p.name));
  const parts = {
    parameters: params.reduce((n, p) => n + bytesOf(p), 0),
    gradients: FLOAT * trainedWeights,
    optimizer: 2 * FLOAT * trainedWeights,
    activations,
  };
  const total = parts.parameters + parts.gradients + parts.optimizer + parts.activations;
  const largestTensor = Math.max(...params.map(bytesOf), L > 0 ? FLOAT * S * H * T * Math.max(T, R) : 0);
  const plan: MemoryPlan = { ...parts, total, largestTensor, trainedWeights, allWeights, limits, suggestions: [] };
  const verdictOn = { ...freeze, frozenWeights: choice.frozenWeights };
  return withVerdict(plan, run, verdictOn, L, !freeze.lora && projections(spec).length > 0);
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${(n / 2 ** 10).toFixed(0)} KB`;
}

/** Whether it fits, in plain words, and what would make it fit. */
function withVerdict(
  plan: MemoryPlan,
  run: RunShape,
  freeze: FreezeChoice & PlanFreezing,
  layers: number,
  loraFits: boolean,
): MemoryPlan {
  const { limits } = plan;
  const reasons: string[] = [];
  if (limits.totalBytes !== undefined && plan.total > limits.totalBytes) {
    reasons.push(`the run needs about ${formatBytes(plan.total)}, more than ${limits.totalIs}`);
  }
  if (limits.maxBufferBytes !== undefined && plan.largestTensor > limits.maxBufferBytes) {
    reasons.push(
      `its largest tensor (${formatBytes(plan.largestTensor)}) is more than this GPU's largest buffer (${formatBytes(limits.maxBufferBytes)})`,
    );
  }
  if (reasons.length === 0) return plan;
  const suggestions: string[] = [];
  if (run.batchSize > 1) {
    const half = Math.max(1, Math.floor(run.batchSize / 2));
    suggestions.push(
      `halve the batch size to ${half} and double accumulation steps to ${run.gradAccumulation * 2}: the same step in about half the activation memory`,
    );
  }
  if (loraFits) {
    suggestions.push(
      'train LoRA adapters (LoRA rank 8): the base weights stay frozen, and only the small adapters and the head get gradients and optimizer state',
    );
  }
  if (freeze.frozenLayers < layers && !freeze.lora) {
    suggestions.push(
      'freeze lower layers (Frozen layers): frozen weights need no gradients and no optimizer state, 3x their size',
    );
  }
  const anyFrozen = freeze.frozenLayers > 0 || freeze.lora !== undefined;
  if (limits.backend === 'webgpu' && anyFrozen && freeze.frozenWeights !== 'f16') {
    suggestions.push('keep frozen weights in f16 (Frozen weights): half the GPU memory of every frozen matrix');
  }
  if (run.maxLength > 64) suggestions.push(`shorten max tokens from ${run.maxLength} to ${run.maxLength / 2}`);
  return { ...plan, over: `This run will not fit: ${reasons.join('; ')}.`, suggestions };
}

/** The plan as lines of text, for the CLI. */
export function describePlan(plan: MemoryPlan): string[] {
  const lines = [
    `memory plan on ${plan.limits.backend}: parameters ${formatBytes(plan.parameters)}, gradients ${formatBytes(plan.gradients)}, optimizer state ${formatBytes(plan.optimizer)}, activations ${formatBytes(plan.activations)}; total ${formatBytes(plan.total)}` +
      (plan.limits.totalBytes ? ` of ${formatBytes(plan.limits.totalBytes)} (${plan.limits.totalIs})` : ''),
  ];
  if (plan.over) lines.push(plan.over, ...plan.suggestions.map((s) => `  - ${s}`));
  return lines;
}
