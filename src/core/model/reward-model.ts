// A reward model: an encoder plus a linear head that maps its pooled vector to one scalar,
// the reward r(prompt, response), and optionally a length term beside it:
//   r = head(encoder(prompt, response)) + w * LENGTH_SCALE * log(1 + n)
// where n is the response's token count before truncation. The length term lets the model learn
// how much length matters even when Max tokens cuts the text (the encoder then cannot see length),
// and keeps that part of the reward apart: head(...) is the "quality" part, which scoring can use
// alone. Under ODIN (Chen et al. 2024) the quality part is also trained to be uncorrelated with
// length (loss.ts lengthCorrelationPenalty), so length goes through the length term only.
import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from './encoders/bert-config.ts';
import { isQuickHeadSpec, type QuickHeadModelSpec } from '../quick-head/spec.ts';
import { quickHeadParams } from '../quick-head/head.ts';
import { familyOf } from './families/registry.ts';
import { assignWeight, disposePacked } from './ops/frozen-f16.ts';
import type { Encoder, Pooling } from './encoders/encoder.ts';
import { isLoraParam, LoraAdapters, loraParams, type LoraSpec } from './lora.ts';
import {
  TransformerEncoder,
  transformerParams,
  type TransformerConfig,
  type TransformerInit,
} from './encoders/transformer.ts';

/** Everything needed to rebuild a model's shape; its weights travel separately. */
export type ModelSpec = BuiltinModelSpec | BertModelSpec | QuickHeadModelSpec;
const QUICK_HEAD_IS_NOT_AN_ENCODER =
  'a quick head runs on its frozen Hub encoder (src/core/quick-head/), not as an RM Lab encoder and head';

/**
 * How response length enters the reward: 'off' (only through what the encoder reads), 'term' (a
 * learned weight on log length, added to the head's reward) or 'odin' (the same term, with the
 * head's reward decorrelated from length while training). Absent in older models: 'off'.
 */
export type LengthReward = 'off' | 'term' | 'odin';

/**
 * log(1 + n) is multiplied by this before its weight: the weight starts at 0 and AdamW moves each
 * weight by about the learning rate a step, so unscaled it would need thousands of steps to reach
 * the size length deserves (a reward gap of ~1 for responses twice as long). Scaled, it moves at the
 * pace of a learning rate 32 times the model's, reaching that size within an epoch of the demo data.
 */
export const LENGTH_SCALE = 32;

/**
 * The built-in transformer over a WordPiece vocabulary: the bundled one ('builtin'), or one built
 * from the run's training split ('embedded': it travels as TokenizerFiles, run-vocabulary.ts).
 */
export interface BuiltinModelSpec {
  encoder: 'builtin-transformer';
  tokenizer: 'builtin' | 'embedded';
  transformer: TransformerConfig;
  length?: LengthReward;
  /** LoRA adapters on some projections (lora.ts); absent: none. */
  lora?: LoraSpec;
}

/**
 * A pretrained Hugging Face encoder of one of the registry's families (families/registry.ts), found
 * by `bert.modelType` ('bert', and the families added since: the field keeps its first name so stored
 * models still read). Its tokenizer (tokenizer.json and tokenizer_config.json) is not bundled: it
 * travels with the weights as TokenizerFiles (ModelRecord, checkpoints, model files).
 */
export interface BertModelSpec {
  encoder: 'bert';
  tokenizer: 'embedded';
  bert: BertConfig;
  pooling: Pooling;
  /** Where the pretrained encoder came from: a Hub model id, a URL or 'folder:<name>'. */
  source: string;
  length?: LengthReward;
  /** LoRA adapters on some projections (lora.ts); absent: none. */
  lora?: LoraSpec;
}

/** A model's rewards in their two parts: the head's (quality) and the length term's (absent when it has none). */
export interface RewardParts {
  quality: tf.Tensor1D;
  length?: tf.Tensor1D;
}

/** A Hugging Face tokenizer as files: tokenizer.json and, when the model has one, tokenizer_config.json. */
export interface TokenizerFiles {
  json: object;
  config?: object;
}

/** A weight as stored and exported: plain data, no tensors. */
export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export class RewardModel {
  readonly params: Map<string, tf.Variable>;

  constructor(
    readonly spec: ModelSpec,
    readonly encoder: Encoder,
    seed: number,
  ) {
    const D = encoder.hiddenSize;
    this.params = new Map(encoder.params);
    // LoRA's A and B sit between the encoder's weights and the head's; the encoder adds their update.
    if (!isQuickHeadSpec(spec) && spec.lora) {
      encoder.lora = new LoraAdapters(spec, seed);
      for (const [name, v] of encoder.lora.params) this.params.set(name, v);
    }
    // Small head (std 1/sqrt(D+1), as TRL's reward models start) so the first rewards sit near 0.
    const headInit = tf.randomNormal([D, 1], 0, 1 / Math.sqrt(D + 1), 'float32', seed + 7919);
    this.params.set('head.weight', tf.variable(headInit));
    headInit.dispose(); // the variable holds its own copy
    // A decoder's HF head (`score`) has no bias: none here either, so an export scores the same.
    if (hasHeadBias(spec))
      this.params.set(
        'head.bias',
        tf.tidy(() => tf.variable(tf.zeros([1]))),
      );
    // Starts at 0: the model begins blind to length, as it does without the term.
    if (hasLengthTerm(spec)) this.params.set('length.weight', tf.variable(tf.zeros([1])));
  }

  /**
   * A model with random weights: the built-in encoder (`init`: pretrained word vectors its
   * embeddings start from), or a BERT initialised as HF does (N(0, 0.02^2), LayerNorm 1 and 0).
   */
  static create(spec: ModelSpec, seed: number, init?: TransformerInit): RewardModel {
    if (isQuickHeadSpec(spec)) throw new Error(QUICK_HEAD_IS_NOT_AN_ENCODER);
    const encoder =
      spec.encoder === 'bert'
        ? familyOf(spec.bert).build(spec.bert, spec.pooling, seed)
        : new TransformerEncoder(spec.transformer, seed, init);
    return new RewardModel(spec, encoder, seed);
  }

  /**
   * A pretrained encoder of a registry family (every encoder weight, as encoderWeights gives them)
   * under a fresh head, or under `head` when the checkpoint is a reward model already (rewardHead). The encoder is built from the weights directly, never drawn at random first.
   */
  static fromPretrained(
    spec: ModelSpec,
    encoderWeights: NamedWeight[],
    seed: number,
    head?: NamedWeight[],
  ): RewardModel {
    if (spec.encoder !== 'bert') {
      throw new Error('only BERT-family encoders are pretrained; the built-in encoder starts from RewardModel.create');
    }
    const family = familyOf(spec.bert);
    const expected = new Set(family.params(spec.bert, spec.pooling).map((p) => p.name));
    const extra = encoderWeights.filter((w) => !expected.has(w.name)).map((w) => w.name);
    if (extra.length > 0) throw new Error(`weights ${extra.join(', ')} are not part of this encoder`);
    const encoder = family.build(spec.bert, spec.pooling, seed, new Map(encoderWeights.map((w) => [w.name, w])));
    const model = new RewardModel(spec, encoder, seed);
    // A reward model's own head (a *ForSequenceClassification checkpoint with one label) replaces the fresh one.
    for (const w of head ?? []) {
      const v = model.params.get(w.name);
      if (!v || !w.name.startsWith('head.') || w.shape.join('x') !== v.shape.join('x')) {
        model.dispose();
        throw new Error(`the checkpoint's head tensor ${w.name} [${w.shape}] does not fit the model`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.data, w.shape, 'float32')));
    }
    return model;
  }

  /** A stored or imported model: its shape from the spec, every weight from `weights`. */
  static fromWeights(spec: ModelSpec, weights: NamedWeight[]): RewardModel {
    if (isQuickHeadSpec(spec)) throw new Error(QUICK_HEAD_IS_NOT_AN_ENCODER);
    checkWeightsFit(spec, weights, 'the model');
    const isHead = (w: NamedWeight) => isOwnWeight(w.name);
    // A BERT's encoder is built straight from its weights (no random draw of a large model to overwrite).
    const bert = spec.encoder === 'bert';
    const model = bert
      ? RewardModel.fromPretrained(
          spec,
          weights.filter((w) => !isHead(w)),
          0,
        )
      : RewardModel.create(spec, 0);
    try {
      model.assign(bert ? weights.filter(isHead) : weights, bert);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /**
   * ids [B, T], mask [B, T], responseLength [B] (token counts before truncation; needed only by a
   * model with a length term) -> rewards [B]
   */
  rewards(ids: tf.Tensor2D, mask: tf.Tensor2D, responseLength?: tf.Tensor1D): tf.Tensor1D {
    const { quality, length } = this.rewardParts(ids, mask, responseLength);
    return length ? tf.add(quality, length) : quality;
  }

  /** The reward's parts (see the file's head); their sum is `rewards`. */
  rewardParts(ids: tf.Tensor2D, mask: tf.Tensor2D, responseLength?: tf.Tensor1D): RewardParts {
    const pooled = this.encoder.encode(ids, mask); // [B, D]
    const product = tf.matMul(pooled, this.param('head.weight')); // [B, 1]
    const bias = this.params.get('head.bias');
    const r = bias ? tf.add(product, bias) : product; // [B, 1]
    const quality = tf.reshape(r, [-1]) as tf.Tensor1D; // [B]
    if (!hasLengthTerm(this.spec)) return { quality };
    if (!responseLength) throw new Error("this model's reward has a length term: give the responses' token counts");
    const length = tf.mul(tf.mul(this.param('length.weight'), LENGTH_SCALE), tf.log1p(responseLength)) as tf.Tensor1D; // [B]
    return { quality, length };
  }

  /** Whether the reward has a length term (and so needs response lengths). */
  get hasLengthTerm(): boolean {
    return hasLengthTerm(this.spec);
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.params.values()];
  }

  /** Copies every weight out of the backend (one read-back per tensor; not for the training loop). */
  async getWeights(): Promise<NamedWeight[]> {
    return Promise.all(
      [...this.params].map(async ([name, v]) => ({ name, shape: v.shape, data: (await v.data()) as Float32Array })),
    );
  }

  setWeights(weights: NamedWeight[]): void {
    this.assign(weights, false);
  }

  /** Copies weights into the variables: all of them, or only the head's. */
  private assign(weights: NamedWeight[], headOnly: boolean): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const [name, v] of this.params) {
      if (headOnly && !isOwnWeight(name)) continue;
      const w = byName.get(name);
      if (!w) throw new Error(`weights have no tensor ${name}`);
      if (w.shape.join('x') !== v.shape.join('x')) {
        throw new Error(`tensor ${name} has shape [${w.shape}], the model expects [${v.shape}]`);
      }
      assignWeight(v, w.data);
    }
  }

  dispose(): void {
    for (const v of this.params.values()) {
      disposePacked(v);
      v.dispose();
    }
  }

  private param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }
}

/** The reward model's own weights, beside the encoder's: LoRA's adapters, the head and the length term. */
function isOwnWeight(name: string): boolean {
  return name.startsWith('head.') || name.startsWith('length.') || isLoraParam(name);
}

/** The spec with the training form's length choice in it ('off' leaves it out, as older models have it). */
export function withLengthReward<S extends ModelSpec>(spec: S, choice: LengthReward | undefined): S {
  const { length: _old, ...rest } = spec;
  return (choice && choice !== 'off' ? { ...rest, length: choice } : rest) as S;
}

export function hasLengthTerm(spec: ModelSpec): boolean {
  return spec.length === 'term' || spec.length === 'odin';
}

/** Whether the reward head has a bias: BERT's classifier and the built-in head do, decoders' `score` does not. */
export function hasHeadBias(spec: ModelSpec): boolean {
  return spec.encoder !== 'bert' || familyOf(spec.bert).headBias !== false;
}

/** Every weight a model of this spec has, by name and shape: the encoder's, then the head's. */
export function modelParams(spec: ModelSpec): { name: string; shape: number[] }[] {
  if (isQuickHeadSpec(spec)) return quickHeadParams(spec.head);
  const encoder =
    spec.encoder === 'bert' ? familyOf(spec.bert).params(spec.bert, spec.pooling) : transformerParams(spec.transformer);
  const D = spec.encoder === 'bert' ? spec.bert.hiddenSize : spec.transformer.dModel;
  return [
    ...encoder.map(({ name, shape }) => ({ name, shape })),
    ...loraParams(spec),
    { name: 'head.weight', shape: [D, 1] },
    ...(hasHeadBias(spec) ? [{ name: 'head.bias', shape: [1] }] : []),
    ...(hasLengthTerm(spec) ? [{ name: 'length.weight', shape: [1] }] : []),
  ];
}

/** The layers a spec asks for. */
function layerCount(spec: ModelSpec): number {
  if (isQuickHeadSpec(spec)) return 0;
  return spec.encoder === 'bert' ? spec.bert.numLayers : spec.transformer.nLayers;
}

/**
 * Refuses weights that are not exactly the model's (every tensor there, with its shape, nothing
 * more), comparing numbers only: a spec whose sizes its tensors do not back (a crafted file's
 * `vocabSize 1e6` or `nLayers 1e7`) fails here, before any tensor is made from it. The layer
 * count is bounded by the layers the weights hold before the expected list is built.
 */
export function checkWeightsFit(spec: ModelSpec, weights: readonly NamedWeight[], where: string): void {
  const layers = new Set<string>();
  for (const w of weights) {
    const m = /^layers\.(\d+)\./.exec(w.name);
    if (m) layers.add(m[1]!);
  }
  const asked = layerCount(spec);
  if (asked > layers.size) {
    throw new Error(`${where}: the spec asks for ${asked} layers, the file's tensors hold ${layers.size}`);
  }
  const given = new Map(weights.map((w) => [w.name, w]));
  for (const { name, shape } of modelParams(spec)) {
    const w = given.get(name);
    if (!w) throw new Error(`${where}: tensor ${name} is missing (the spec needs it with shape [${shape}])`);
    if (w.shape.length !== shape.length || w.shape.some((n, i) => n !== shape[i])) {
      throw new Error(`${where}: tensor ${name} has shape [${w.shape}], the spec needs [${shape}]`);
    }
    if (w.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(
        `${where}: tensor ${name} holds ${w.data.length} values, its shape [${shape}] needs more or fewer`,
      );
    }
    given.delete(name);
  }
  const extra = [...given.keys()];
  if (extra.length > 0) {
    const more = extra.length > 1 ? ` (and ${extra.length - 1} more)` : '';
    throw new Error(`${where}: tensor ${extra[0]} is not part of the model its spec describes${more}`);
  }
}

/** The built-in encoder's spec for the training form's model fields (its other fields do not shape the model). */
export function modelSpecFor(
  config: {
    maxLength: number;
    dModel: number;
    nLayers: number;
    nHeads: number;
    pooling: Pooling;
    lengthReward?: LengthReward;
  },
  vocabSize: number,
): BuiltinModelSpec {
  return {
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    ...(config.lengthReward && config.lengthReward !== 'off' ? { length: config.lengthReward } : {}),
    transformer: {
      vocabSize,
      maxLength: config.maxLength,
      dModel: config.dModel,
      nLayers: config.nLayers,
      nHeads: config.nHeads,
      dFF: 4 * config.dModel,
      pooling: config.pooling,
    },
  };
}
