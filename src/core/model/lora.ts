// LoRA (Hu et al. 2021) as PEFT builds it: beside a frozen projection y = x W + b, a low-rank update
//   y = x W + b + (alpha / r) (x A) B          A [in, r] starts Kaiming-uniform, B [r, out] starts at 0
// so the model starts as the base model and only A and B (r (in + out) numbers a projection) train.
// No dropout on the adapter's input: RM Lab trains with dropout off everywhere (PEFT's lora_dropout 0).
//
// Projections are chosen by PEFT's `target_modules` names, the last part of a module's name in the
// Hugging Face model (BERT `query`, `value`, `dense`; GPT-2 `c_attn`, `c_proj`; Llama `q_proj` ...),
// matched against the projections inside the transformer layers (embeddings, the pooler and the head
// are not adapted). Adapter weights are named after the projection's RM Lab name,
// `layers.0.attn.query.lora_A` [in, r] and `.lora_B` [r, out] (tfjs orientation: PEFT's
// `lora_A.weight` is [r, in], `lora_B.weight` [out, r]: transposed on export, export/peft-adapter.ts).
import * as tf from '@tensorflow/tfjs';
import { familyOf } from './families/registry.ts';
import { transformerParams } from './encoders/transformer.ts';
import type { ModelSpec } from './reward-model.ts';
import { commaList } from '../data/comma-list.ts';
import { dense } from './ops/linear.ts';

/** A model's adapters: rank r, alpha (the update is scaled by alpha / r) and PEFT's target_modules names. */
export interface LoraSpec {
  rank: number;
  alpha: number;
  targets: string[];
}

/** One projection of the transformer layers that LoRA can adapt. */
export interface Projection {
  /** RM Lab's name of the linear layer (its weight is `${linear}.weight`), e.g. 'layers.0.attn.query'. */
  linear: string;
  /** The module's path in the Hugging Face *ForSequenceClassification model (the built-in encoder: RM Lab's name). */
  module: string;
  /** PEFT's target_modules name: the module path's last part ('query', 'c_attn', 'q_proj'). */
  target: string;
  inDim: number;
  outDim: number;
}

/**
 * PEFT's default target_modules per model_type (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING):
 * the attention's query and value projections, or GPT-2's packed c_attn; the built-in encoder's packed qkv.
 */
const DEFAULT_TARGETS: Record<string, string[]> = {
  bert: ['query', 'value'],
  roberta: ['query', 'value'],
  'xlm-roberta': ['query', 'value'],
  electra: ['query', 'value'],
  distilbert: ['q_lin', 'v_lin'],
  'deberta-v2': ['query_proj', 'value_proj'],
  gpt2: ['c_attn'],
  llama: ['q_proj', 'v_proj'],
  qwen2: ['q_proj', 'v_proj'],
  builtin: ['qkv'],
};

const ADAPTER = /\.lora_[AB]$/;

/** Whether a parameter is a LoRA adapter's A or B. */
export function isLoraParam(name: string): boolean {
  return ADAPTER.test(name);
}

/** The model's name for the default targets ('builtin' for the built-in encoder). */
function kindOf(spec: ModelSpec): string {
  if (spec.encoder === 'bert') return spec.bert.modelType;
  if (spec.encoder === 'builtin-transformer') return 'builtin';
  throw new Error('a quick head has no projections to adapt');
}

/** PEFT's default target_modules for the model's family (the attention's query and value). */
export function defaultLoraTargets(spec: ModelSpec): string[] {
  return DEFAULT_TARGETS[kindOf(spec)] ?? [];
}

/** Every projection inside the model's transformer layers, in the model's order. */
export function projections(spec: ModelSpec): Projection[] {
  const twoD = (shape: number[]) => shape.length === 2;
  if (spec.encoder === 'builtin-transformer') {
    return transformerParams(spec.transformer)
      .filter((p) => p.name.startsWith('layers.') && p.name.endsWith('.weight') && twoD(p.shape))
      .map(({ name, shape }) => {
        const linear = name.slice(0, -'.weight'.length);
        return { linear, module: linear, target: linear.split('.').at(-1)!, inDim: shape[0]!, outDim: shape[1]! };
      });
  }
  if (spec.encoder !== 'bert') throw new Error('a quick head has no projections to adapt');
  const family = familyOf(spec.bert);
  const shapes = new Map(family.params(spec.bert, spec.pooling).map((p) => [p.name, p.shape]));
  const out: Projection[] = [];
  for (const row of family.table(spec.bert, spec.pooling)) {
    const shape = shapes.get(row.name);
    if (row.part !== 'encoder' || !row.name.startsWith('layers.') || !row.name.endsWith('.weight')) continue;
    if (!shape || !twoD(shape)) continue;
    const module = `${family.basePrefix}${row.hfName.slice(0, -'.weight'.length)}`;
    out.push({
      linear: row.name.slice(0, -'.weight'.length),
      module,
      target: module.split('.').at(-1)!,
      inDim: shape[0]!,
      outDim: shape[1]!,
    });
  }
  return out;
}

/** The projections the spec's adapters sit on (none without LoRA). */
export function loraTargets(spec: ModelSpec): Projection[] {
  if (!('lora' in spec) || !spec.lora) return [];
  const chosen = new Set(spec.lora.targets);
  return projections(spec).filter((p) => chosen.has(p.target));
}

/** The adapters' parameters, by name and shape, in the model's order. */
export function loraParams(spec: ModelSpec): { name: string; shape: number[] }[] {
  const rank = 'lora' in spec && spec.lora ? spec.lora.rank : 0;
  return loraTargets(spec).flatMap((p) => [
    { name: `${p.linear}.lora_A`, shape: [p.inDim, rank] },
    { name: `${p.linear}.lora_B`, shape: [rank, p.outDim] },
  ]);
}

/** The LoRA choice of the training form, as the fields give it. */
export interface LoraChoice {
  loraRank: number;
  loraAlpha: number;
  loraTargets: string;
}

/**
 * The spec with the form's LoRA choice in it (rank 0 leaves it out), checked: the model must have
 * projections (not the built-in bag of word vectors) and every target must name some of them.
 * Throws a plain message naming the field and what the model offers.
 */
export function withLora<S extends ModelSpec>(spec: S, choice: LoraChoice): S {
  if (!('lora' in spec) && choice.loraRank === 0) return spec;
  const { lora: _old, ...rest } = spec as S & { lora?: LoraSpec };
  if (choice.loraRank === 0) return rest as S;
  const available = projections(spec);
  if (available.length === 0) {
    throw new Error(
      'LoRA rank (loraRank): the built-in encoder with 0 layers is a bag of word vectors, with no projection ' +
        'to put an adapter on; give it layers (Layers, nLayers), or pick a pretrained encoder, or set LoRA rank to 0',
    );
  }
  const asked = commaList(choice.loraTargets);
  const targets = asked.length > 0 ? asked : defaultLoraTargets(spec);
  const names = [...new Set(available.map((p) => p.target))];
  const unknown = targets.filter((t) => !names.includes(t));
  if (unknown.length > 0) {
    throw new Error(
      `LoRA targets (loraTargets): ${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length > 1 ? 'are not projections' : 'is not a projection'} ` +
        `of this model; its projections are ${names.join(', ')}`,
    );
  }
  return { ...rest, lora: { rank: choice.loraRank, alpha: choice.loraAlpha, targets } } as S;
}

/** A spec's adapters as variables, and the update they add to their projections' outputs. */
export class LoraAdapters {
  readonly params = new Map<string, tf.Variable>();
  /** alpha / r, as PEFT scales (without rsLoRA). */
  readonly scale: number;

  /**
   * A and B for every targeted projection: A ~ U(-1/sqrt(in), 1/sqrt(in)) (PEFT's
   * kaiming_uniform_(a=sqrt(5)) on lora_A's [r, in]: fan_in = in) and B = 0, so the model starts as its base.
   */
  constructor(spec: ModelSpec, seed: number) {
    const lora = 'lora' in spec ? spec.lora : undefined;
    if (!lora) throw new Error('the model has no LoRA adapters');
    this.scale = lora.alpha / lora.rank;
    let s = seed + 104729;
    for (const p of loraTargets(spec)) {
      const bound = 1 / Math.sqrt(p.inDim);
      const a = tf.randomUniform([p.inDim, lora.rank], -bound, bound, 'float32', s++);
      this.params.set(`${p.linear}.lora_A`, tf.variable(a, true));
      a.dispose();
      this.params.set(
        `${p.linear}.lora_B`,
        tf.tidy(() => tf.variable(tf.zeros([lora.rank, p.outDim]), true)),
      );
    }
  }

  /** y + scale (x A) B where `linear` has an adapter, else y. x [..., in], y [..., out]. */
  adapt<T extends tf.Tensor>(linear: string, x: T, y: T): T {
    const a = this.params.get(`${linear}.lora_A`);
    if (!a) return y;
    const b = this.params.get(`${linear}.lora_B`)!;
    const rows = tf.reshape(x, [-1, a.shape[0]!]) as tf.Tensor2D; // [N, in]
    const low = dense(dense(rows, a as tf.Tensor2D), b as tf.Tensor2D); // [N, r] -> [N, out]
    return tf.add(y, tf.reshape(tf.mul(low, this.scale), y.shape)) as T;
  }
}

/**
 * The family's Hugging Face head modules (PEFT's modules_to_save: 'classifier', DistilBERT's
 * 'pre_classifier' too, decoders' 'score') and the RM Lab tensors in them, which train with the
 * adapters. The built-in encoder: its head alone, no module names.
 */
export function loraHeadModules(spec: ModelSpec): { modules: string[]; names: string[] } {
  if (spec.encoder !== 'bert') return { modules: [], names: ['head.weight', 'head.bias'] };
  const rows = familyOf(spec.bert)
    .table(spec.bert, spec.pooling)
    .filter((r) => r.part === 'head');
  return { modules: [...new Set(rows.map((r) => r.hfName.split('.')[0]!))], names: rows.map((r) => r.name) };
}

/** The RM Lab tensors that train with LoRA's adapters: those of the head modules (loraHeadModules). */
export function loraHeadNames(spec: ModelSpec): string[] {
  return loraHeadModules(spec).names;
}
