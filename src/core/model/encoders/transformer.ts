// The built-in encoder: a small pre-LayerNorm transformer trained from scratch, written with
// tfjs core ops (no Layers API) so every weight is a named variable we can save, compare with a
// reference and later export. Shapes follow nanoGPT's names: B batch, T tokens, D model width,
// H heads, hs = D / H.
import * as tf from '@tensorflow/tfjs';
import { attentionMask, packedAttention, type AttentionMask } from '../ops/attention.ts';
import { geluTanh } from '../ops/gelu.ts';
import { layerNorm } from '../ops/layer-norm.ts';
import { linear } from '../ops/linear.ts';
import { pool } from '../ops/pool.ts';
import { embeddingLookup, embeddingRows } from '../embedding.ts';
import { embeddingFromWordVectors, type WordVectors } from '../word-vectors.ts';
import type { Encoder, NamedParams, Pooling } from './encoder.ts';
import type { LoraAdapters } from '../lora.ts';

export interface TransformerConfig {
  vocabSize: number;
  /** Longest sequence the position table covers. */
  maxLength: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Width of the feed-forward layer; 4 x dModel as in BERT and GPT-2. */
  dFF: number;
  pooling: Pooling;
}

/** Where the encoder's weights start, beyond the seed: pretrained word vectors for embeddings.word, if any. */
export interface TransformerInit {
  wordVectors?: WordVectors;
  /** Standard deviation the word vectors are scaled to; the random init's (0.02) unless set. */
  wordVectorStd?: number;
}

const LN_EPS = 1e-5;
/** GPT-2's std for every initial weight matrix; pretrained word vectors are scaled to it too. */
const INIT_STD = 0.02;

/**
 * Every weight the encoder builds, by name and shape, in the order it builds them, without building
 * any: a stored model's tensors are checked against this before anything is allocated from its spec.
 * A test keeps it equal to what the constructor makes.
 */
export function transformerParams(config: TransformerConfig): { name: string; shape: number[] }[] {
  const { vocabSize, maxLength, dModel: D, nLayers, dFF } = config;
  const params = [
    { name: 'embeddings.word', shape: [vocabSize, D] },
    { name: 'embeddings.position', shape: [maxLength, D] },
  ];
  for (let l = 0; l < nLayers; l++) {
    const p = `layers.${l}`;
    params.push(
      { name: `${p}.ln1.gamma`, shape: [D] },
      { name: `${p}.ln1.beta`, shape: [D] },
      { name: `${p}.attn.qkv.weight`, shape: [D, 3 * D] },
      { name: `${p}.attn.qkv.bias`, shape: [3 * D] },
      { name: `${p}.attn.out.weight`, shape: [D, D] },
      { name: `${p}.attn.out.bias`, shape: [D] },
      { name: `${p}.ln2.gamma`, shape: [D] },
      { name: `${p}.ln2.beta`, shape: [D] },
      { name: `${p}.mlp.in.weight`, shape: [D, dFF] },
      { name: `${p}.mlp.in.bias`, shape: [dFF] },
      { name: `${p}.mlp.out.weight`, shape: [dFF, D] },
      { name: `${p}.mlp.out.bias`, shape: [D] },
    );
  }
  params.push({ name: 'ln_f.gamma', shape: [D] }, { name: 'ln_f.beta', shape: [D] });
  return params;
}

export class TransformerEncoder implements Encoder {
  readonly params: NamedParams = new Map();
  readonly hiddenSize: number;
  lora?: LoraAdapters;

  constructor(
    readonly config: TransformerConfig,
    seed: number,
    init: TransformerInit = {},
  ) {
    const { vocabSize, maxLength, dModel: D, nLayers, nHeads, dFF } = config;
    if (D % nHeads !== 0) throw new Error(`dModel ${D} must be divisible by nHeads ${nHeads}`);
    this.hiddenSize = D;
    let s = seed;
    // GPT-2's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 * layers) so
    // the residual stream's variance does not grow with depth.
    // tfjs takes seed 0 for "no seed" (Math.random): seed 0, the default, draws with 0.5 instead.
    const normal = (shape: number[], std = INIT_STD) => tf.randomNormal(shape, 0, std, 'float32', s++ || 0.5);
    const residualStd = INIT_STD / Math.sqrt(2 * nLayers);
    const add = (name: string, init: tf.Tensor) => {
      this.params.set(name, tf.variable(init, true));
      init.dispose(); // the variable holds its own copy
    };

    add('embeddings.word', this.wordEmbeddings(normal([vocabSize, D]) as tf.Tensor2D, init));
    add('embeddings.position', normal([maxLength, D]));
    for (let l = 0; l < nLayers; l++) {
      const p = `layers.${l}`;
      add(`${p}.ln1.gamma`, tf.ones([D]));
      add(`${p}.ln1.beta`, tf.zeros([D]));
      add(`${p}.attn.qkv.weight`, normal([D, 3 * D]));
      add(`${p}.attn.qkv.bias`, tf.zeros([3 * D]));
      add(`${p}.attn.out.weight`, normal([D, D], residualStd));
      add(`${p}.attn.out.bias`, tf.zeros([D]));
      add(`${p}.ln2.gamma`, tf.ones([D]));
      add(`${p}.ln2.beta`, tf.zeros([D]));
      add(`${p}.mlp.in.weight`, normal([D, dFF]));
      add(`${p}.mlp.in.bias`, tf.zeros([dFF]));
      add(`${p}.mlp.out.weight`, normal([dFF, D], residualStd));
      add(`${p}.mlp.out.bias`, tf.zeros([D]));
    }
    add('ln_f.gamma', tf.ones([D]));
    add('ln_f.beta', tf.zeros([D]));
  }

  /**
   * The word table starts from `random` (drawn first either way, so every other weight gets the
   * same numbers from the same seed), with the rows that have a pretrained vector replaced by it at
   * the random draw's std: see embeddingFromWordVectors. Only step 0 depends on this; a resumed run's weights
   * come from its checkpoint.
   */
  private wordEmbeddings(random: tf.Tensor2D, init: TransformerInit): tf.Tensor2D {
    const words = init.wordVectors;
    if (!words) return random;
    const { vocabSize, dModel } = this.config;
    if (words.vocabSize !== vocabSize) {
      random.dispose();
      throw new Error(`word vectors cover a vocabulary of ${words.vocabSize}, the encoder has ${vocabSize}`);
    }
    // Chosen on the device, not read back: dataSync() on WebGPU stalls and breaks later reads (GUIDE).
    const { values, set } = embeddingFromWordVectors(words, dModel, init.wordVectorStd ?? INIT_STD);
    return tf.tidy(() => {
      const table = tf.where(
        tf.tensor2d(set, [vocabSize, dModel], 'bool'),
        tf.tensor2d(values, [vocabSize, dModel]),
        random,
      );
      random.dispose();
      return table;
    });
  }

  /** ids [B, T] int32, mask [B, T] float (1 = token, 0 = padding) -> one vector per sequence [B, D]. */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const T = ids.shape[1];
    const { nLayers } = this.config;
    if (T > this.config.maxLength) throw new Error(`sequence length ${T} exceeds maxLength ${this.config.maxLength}`);
    const tok = embeddingLookup(this.p('embeddings.word') as tf.Tensor2D, ids); // [B, T, D]
    const pos = embeddingRows(this.p('embeddings.position') as tf.Tensor2D, 0, T); // [T, D]
    let x: tf.Tensor3D = tf.add(tok, pos);
    const padding = attentionMask(mask);
    for (let l = 0; l < nLayers; l++) {
      x = tf.add(x, this.attention(this.layerNorm(x, `layers.${l}.ln1`), padding, l));
      x = tf.add(x, this.mlp(this.layerNorm(x, `layers.${l}.ln2`), l));
    }
    x = this.layerNorm(x, 'ln_f');
    return pool(x, mask, this.config.pooling);
  }

  private attention(x: tf.Tensor3D, padding: AttentionMask, l: number): tf.Tensor3D {
    const qkv = this.linear(x, `layers.${l}.attn.qkv`); // [B, T, 3D]: q, k, v side by side (packed QKV)
    const y = packedAttention(qkv, padding, this.config.nHeads); // [B, T, D]
    return this.linear(y, `layers.${l}.attn.out`);
  }

  private mlp(x: tf.Tensor3D, l: number): tf.Tensor3D {
    return this.linear(geluTanh(this.linear(x, `layers.${l}.mlp.in`)), `layers.${l}.mlp.out`);
  }

  /** x [B, T, in] @ weight [in, out] + bias (+ its LoRA update, where it has one) -> [B, T, out] */
  private linear(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const y = linear(x, this.p(`${name}.weight`) as tf.Tensor2D, this.p(`${name}.bias`) as tf.Tensor1D);
    return this.lora ? this.lora.adapt(name, x, y) : y;
  }

  private layerNorm(x: tf.Tensor3D, name: string): tf.Tensor3D {
    return layerNorm(x, this.p(`${name}.gamma`) as tf.Tensor1D, this.p(`${name}.beta`) as tf.Tensor1D, LN_EPS);
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }
}
