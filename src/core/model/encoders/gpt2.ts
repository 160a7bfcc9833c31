// GPT-2 as a reward model's encoder: what Hugging Face's GPT2Model computes (eval mode, no dropout),
// read at the last real token as GPT2ForSequenceClassification reads it. Shapes: B sequences,
// T tokens, D hidden, H heads, hs = D / H, I inner width.
//
//   x    = E_word[ids] + E_pos[0:T]                       positions count from the first column
//   per layer (pre-LayerNorm):
//     x  = x + CausalSelfAttention(LN_1(x)) W_proj + b    q, k, v from one [D, 3D] projection (c_attn)
//     x  = x + act(LN_2(x) W_fc + b_fc) W_proj + b        act: gelu_new (GPT-2's tanh GELU)
//   x    = LN_f(x)
//   out  = x[last real token]                             (the score head sits in reward-model.ts)
//
// HF stores GPT-2's projections as Conv1D, already [in, out]: unlike nn.Linear, nothing is transposed.
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup, embeddingRows } from '../embedding.ts';
import { attentionBias } from '../ops/attention.ts';
import { causalAttention, causalBias } from '../ops/causal-attention.ts';
import { geluErf, geluTanh } from '../ops/gelu.ts';
import { lastTokenPool } from '../ops/last-token.ts';
import { layerNorm } from '../ops/layer-norm.ts';
import { linear } from '../ops/linear.ts';
import type { Gpt2Config } from './decoder-config.ts';
import { decoderVariables, param, type DecoderParam, type DecoderWeight } from './decoder-params.ts';
import type { Encoder, NamedParams } from './encoder.ts';
import type { LoraAdapters } from '../lora.ts';

/** GPT-2's initializer_range. */
const INIT_STD = 0.02;

/** Every parameter, by RM Lab's name and GPT2Model's, in tfjs orientation. */
export function gpt2Params(config: Gpt2Config): DecoderParam[] {
  const { vocabSize: V, hiddenSize: D, maxPositions: P, intermediateSize: I } = config;
  const conv = (name: string, hf: string, inDim: number, outDim: number): DecoderParam[] => [
    { name: `${name}.weight`, hfName: `${hf}.weight`, shape: [inDim, outDim], init: 'normal', transposed: false },
    { name: `${name}.bias`, hfName: `${hf}.bias`, shape: [outDim], init: 'zeros', transposed: false },
  ];
  const ln = (name: string, hf: string): DecoderParam[] => [
    { name: `${name}.gamma`, hfName: `${hf}.weight`, shape: [D], init: 'ones', transposed: false },
    { name: `${name}.beta`, hfName: `${hf}.bias`, shape: [D], init: 'zeros', transposed: false },
  ];
  const params: DecoderParam[] = [
    { name: 'embeddings.word', hfName: 'wte.weight', shape: [V, D], init: 'normal', transposed: false },
    { name: 'embeddings.position', hfName: 'wpe.weight', shape: [P, D], init: 'normal', transposed: false },
  ];
  for (let l = 0; l < config.numLayers; l++) {
    const [p, h] = [`layers.${l}`, `h.${l}`];
    params.push(
      ...ln(`${p}.ln1`, `${h}.ln_1`),
      ...conv(`${p}.attn.qkv`, `${h}.attn.c_attn`, D, 3 * D),
      ...conv(`${p}.attn.out`, `${h}.attn.c_proj`, D, D),
      ...ln(`${p}.ln2`, `${h}.ln_2`),
      ...conv(`${p}.mlp.in`, `${h}.mlp.c_fc`, D, I),
      ...conv(`${p}.mlp.out`, `${h}.mlp.c_proj`, I, D),
    );
  }
  params.push(...ln('final_ln', 'ln_f'));
  return params;
}

export class Gpt2Encoder implements Encoder {
  readonly params: NamedParams;
  readonly hiddenSize: number;
  lora?: LoraAdapters;

  /** Random weights as HF initialises GPT-2 (seeded), or, with `weights`, exactly those. */
  constructor(
    readonly config: Gpt2Config,
    seed: number,
    weights?: ReadonlyMap<string, DecoderWeight>,
  ) {
    this.hiddenSize = config.hiddenSize;
    this.params = decoderVariables(gpt2Params(config), seed, INIT_STD, weights);
  }

  /** ids [B, T] int32, mask [B, T] float (1 = token, 0 = padding, on either side) -> [B, D]. */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const T = ids.shape[1];
    if (T > this.config.maxPositions) {
      throw new Error(`sequence length ${T} exceeds GPT-2's ${this.config.maxPositions} positions`);
    }
    const word = embeddingLookup(this.p('embeddings.word') as tf.Tensor2D, ids); // [B, T, D]
    const position = embeddingRows(this.p('embeddings.position') as tf.Tensor2D, 0, T); // [T, D]
    let x = tf.add(word, position) as tf.Tensor3D; // [B, T, D]
    const padding = attentionBias(mask); // [B, 1, 1, T]
    const causal = causalBias(T); // [T, T]
    // One tidy per layer frees its intermediates; the gradient tape keeps what backward needs.
    for (let l = 0; l < this.config.numLayers; l++) x = tf.tidy(() => this.layer(x, causal, padding, l));
    return lastTokenPool(this.layerNorm(x, 'final_ln'), mask); // [B, D]
  }

  private layer(x: tf.Tensor3D, causal: tf.Tensor2D, padding: tf.Tensor4D, l: number): tf.Tensor3D {
    const p = `layers.${l}`;
    const attended = tf.add(x, this.attention(this.layerNorm(x, `${p}.ln1`), causal, padding, l)) as tf.Tensor3D;
    const h = this.activation(this.linear(this.layerNorm(attended, `${p}.ln2`), `${p}.mlp.in`)); // [B, T, I]
    return tf.add(attended, this.linear(h, `${p}.mlp.out`));
  }

  private attention(x: tf.Tensor3D, causal: tf.Tensor2D, padding: tf.Tensor4D, l: number): tf.Tensor3D {
    const [B, T, D] = x.shape;
    const H = this.config.numHeads;
    const hs = D / H;
    const qkv = tf.split(this.linear(x, `layers.${l}.attn.qkv`), 3, 2); // 3 x [B, T, D]
    const [q, k, v] = qkv.map((t) => tf.transpose(tf.reshape(t, [B, T, H, hs]), [0, 2, 1, 3]) as tf.Tensor4D); // [B, H, T, hs]
    const y = causalAttention(q!, k!, v!, causal, padding); // [B, H, T, hs]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, D]) as tf.Tensor3D; // [B, T, D]
    return this.linear(merged, `layers.${l}.attn.out`);
  }

  private activation(x: tf.Tensor3D): tf.Tensor3D {
    switch (this.config.hiddenAct) {
      case 'gelu_new':
        return geluTanh(x);
      case 'gelu':
        return geluErf(x);
      case 'relu':
        return tf.relu(x);
    }
  }

  /** x [B, T, in] @ weight [in, out] + bias (+ its LoRA update, where it has one) -> [B, T, out] */
  private linear(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const y = linear(x, this.p(`${name}.weight`) as tf.Tensor2D, this.p(`${name}.bias`) as tf.Tensor1D);
    return this.lora ? this.lora.adapt(name, x, y) : y;
  }

  private layerNorm(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const [gamma, beta] = [this.p(`${name}.gamma`) as tf.Tensor1D, this.p(`${name}.beta`) as tf.Tensor1D];
    return layerNorm(x, gamma, beta, this.config.layerNormEps);
  }

  private p(name: string): tf.Variable {
    return param(this.params, name);
  }
}
