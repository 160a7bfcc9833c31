// A reward model: an encoder plus a linear head that maps its pooled vector to one scalar,
// the reward r(prompt, response).
import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from './encoders/bert-config.ts';
import type { Encoder, Pooling } from './encoders/encoder.ts';
import { TransformerEncoder, type TransformerConfig } from './encoders/transformer.ts';

/** Everything needed to rebuild a model's shape; its weights travel separately. */
export type ModelSpec = BuiltinModelSpec | BertModelSpec;

/** The built-in transformer over the built-in WordPiece vocabulary (bundled: no download). */
export interface BuiltinModelSpec {
  encoder: 'builtin-transformer';
  tokenizer: 'builtin';
  transformer: TransformerConfig;
}

/**
 * A pretrained BERT-family encoder. Its tokenizer (tokenizer.json and tokenizer_config.json) is
 * not bundled: it travels with the weights as TokenizerFiles (ModelRecord, checkpoints, model files).
 */
export interface BertModelSpec {
  encoder: 'bert';
  tokenizer: 'embedded';
  bert: BertConfig;
  pooling: Pooling;
  /** Where the pretrained encoder came from: a Hub model id, a URL or 'folder:<name>'. */
  source: string;
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
    // Small head (std 1/sqrt(D+1), as TRL's reward models start) so the first rewards sit near 0.
    const headInit = tf.randomNormal([D, 1], 0, 1 / Math.sqrt(D + 1), 'float32', seed + 7919);
    const biasInit = tf.zeros([1]);
    this.params.set('head.weight', tf.variable(headInit));
    this.params.set('head.bias', tf.variable(biasInit));
    tf.dispose([headInit, biasInit]); // the variables hold their own copies
  }

  static create(spec: ModelSpec, seed: number): RewardModel {
    if (spec.encoder === 'bert') throw new Error('BERT-family encoders are not built yet'); // issue 4, in progress
    return new RewardModel(spec, new TransformerEncoder(spec.transformer, seed), seed);
  }

  /** A stored or imported model: its shape from the spec, every weight from `weights`. */
  static fromWeights(spec: ModelSpec, weights: NamedWeight[]): RewardModel {
    const model = RewardModel.create(spec, 0);
    try {
      model.setWeights(weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /** ids [B, T], mask [B, T] -> rewards [B] */
  rewards(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor1D {
    const pooled = this.encoder.encode(ids, mask); // [B, D]
    const r = tf.add(tf.matMul(pooled, this.param('head.weight')), this.param('head.bias')); // [B, 1]
    return tf.reshape(r, [-1]);
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
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const [name, v] of this.params) {
      const w = byName.get(name);
      if (!w) throw new Error(`weights have no tensor ${name}`);
      if (w.shape.join('x') !== v.shape.join('x')) {
        throw new Error(`tensor ${name} has shape [${w.shape}], the model expects [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.data, w.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }

  private param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }
}
