// The Llama family as a reward model's encoder: what Hugging Face's LlamaModel and Qwen2Model compute
// (SmolLM2 is a LlamaModel), eval mode, read at the last real token as *ForSequenceClassification
// reads it. Shapes: B sequences, T tokens, D hidden, H query heads, Hkv key/value heads, hd head
// size, I intermediate.
//
//   x    = E[ids]                                         no position table: positions are rotary
//   per layer (pre-RMSNorm):
//     h  = RMSNorm(x)
//     q  = rope(h W_q + b_q)   [B, H, T, hd]             b_q, b_k, b_v: Qwen2 (and attention_bias)
//     k  = rope(h W_k + b_k)   [B, Hkv, T, hd]           rope: half-split, positions 0..T-1
//     v  = h W_v + b_v         [B, Hkv, T, hd]
//     x  = x + CausalAttention(q, k, v) W_o               query head j reads kv head j // (H / Hkv)
//     x  = x + (silu(RMSNorm(x) W_gate) * (RMSNorm(x) W_up)) W_down
//   x    = RMSNorm_f(x)
//   out  = x[last real token]                             (the score head sits in reward-model.ts)
//
// lm_head is not part of it (tied or not, a reward model does not predict tokens).
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from '../embedding.ts';
import { attentionBias } from '../ops/attention.ts';
import { causalAttention, causalBias } from '../ops/causal-attention.ts';
import { lastTokenPool } from '../ops/last-token.ts';
import { linear } from '../ops/linear.ts';
import { rmsNorm } from '../ops/rms-norm.ts';
import { applyRotary, rotaryTables, type RotaryTables } from '../ops/rotary.ts';
import { swiGLU } from '../ops/swiglu.ts';
import type { LlamaConfig } from './decoder-config.ts';
import { decoderVariables, param, type DecoderParam, type DecoderWeight } from './decoder-params.ts';
import type { Encoder, NamedParams } from './encoder.ts';
import type { LoraAdapters } from '../lora.ts';

/** Llama's and Qwen2's initializer_range. */
const INIT_STD = 0.02;

/** Every parameter, by RM Lab's name and LlamaModel's, in tfjs orientation (nn.Linear transposed). */
export function llamaParams(config: LlamaConfig): DecoderParam[] {
  const { vocabSize: V, hiddenSize: D, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I } = config;
  const proj = (name: string, hf: string, inDim: number, outDim: number, bias: boolean): DecoderParam[] => [
    { name: `${name}.weight`, hfName: `${hf}.weight`, shape: [inDim, outDim], init: 'normal', transposed: true },
    ...(bias
      ? [{ name: `${name}.bias`, hfName: `${hf}.bias`, shape: [outDim], init: 'zeros' as const, transposed: false }]
      : []),
  ];
  const norm = (name: string, hf: string): DecoderParam => ({
    name: `${name}.weight`,
    hfName: `${hf}.weight`,
    shape: [D],
    init: 'ones',
    transposed: false,
  });
  const params: DecoderParam[] = [
    { name: 'embeddings.word', hfName: 'embed_tokens.weight', shape: [V, D], init: 'normal', transposed: false },
  ];
  for (let l = 0; l < config.numLayers; l++) {
    const [p, h] = [`layers.${l}`, `layers.${l}`];
    params.push(
      norm(`${p}.attn_norm`, `${h}.input_layernorm`),
      ...proj(`${p}.attn.query`, `${h}.self_attn.q_proj`, D, H * hd, config.qkvBias),
      ...proj(`${p}.attn.key`, `${h}.self_attn.k_proj`, D, Hkv * hd, config.qkvBias),
      ...proj(`${p}.attn.value`, `${h}.self_attn.v_proj`, D, Hkv * hd, config.qkvBias),
      ...proj(`${p}.attn.out`, `${h}.self_attn.o_proj`, H * hd, D, config.outBias),
      norm(`${p}.mlp_norm`, `${h}.post_attention_layernorm`),
      ...proj(`${p}.mlp.gate`, `${h}.mlp.gate_proj`, D, I, config.mlpBias),
      ...proj(`${p}.mlp.up`, `${h}.mlp.up_proj`, D, I, config.mlpBias),
      ...proj(`${p}.mlp.down`, `${h}.mlp.down_proj`, I, D, config.mlpBias),
    );
  }
  params.push(norm('final_norm', 'norm'));
  return params;
}

export class LlamaEncoder implements Encoder {
  readonly params: NamedParams;
  readonly hiddenSize: number;
  lora?: LoraAdapters;

  /** Random weights as HF initialises a Llama (seeded), or, with `weights`, exactly those. */
  constructor(
    readonly config: LlamaConfig,
    seed: number,
    weights?: ReadonlyMap<string, DecoderWeight>,
  ) {
    this.hiddenSize = config.hiddenSize;
    this.params = decoderVariables(llamaParams(config), seed, INIT_STD, weights);
  }

  /** ids [B, T] int32, mask [B, T] float (1 = token, 0 = padding, on either side) -> [B, D]. */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const T = ids.shape[1];
    let x = embeddingLookup(this.p('embeddings.word') as tf.Tensor2D, ids); // [B, T, D]
    const padding = attentionBias(mask); // [B, 1, 1, T]
    const causal = causalBias(T); // [T, T]
    const rotary = rotaryTables(T, this.config.headDim, this.config.ropeTheta); // [T, hd] each
    // One tidy per layer frees its intermediates; the gradient tape keeps what backward needs.
    for (let l = 0; l < this.config.numLayers; l++) x = tf.tidy(() => this.layer(x, causal, padding, rotary, l));
    return lastTokenPool(this.norm(x, 'final_norm'), mask); // [B, D]
  }

  private layer(x: tf.Tensor3D, causal: tf.Tensor2D, padding: tf.Tensor4D, rotary: RotaryTables, l: number) {
    const p = `layers.${l}`;
    const attended = tf.add(x, this.attention(this.norm(x, `${p}.attn_norm`), causal, padding, rotary, l));
    const h = this.norm(attended as tf.Tensor3D, `${p}.mlp_norm`); // [B, T, D]
    const gated = swiGLU(this.linear(h, `${p}.mlp.gate`), this.linear(h, `${p}.mlp.up`)); // [B, T, I]
    return tf.add(attended, this.linear(gated, `${p}.mlp.down`)) as tf.Tensor3D;
  }

  private attention(
    x: tf.Tensor3D,
    causal: tf.Tensor2D,
    padding: tf.Tensor4D,
    rotary: RotaryTables,
    l: number,
  ): tf.Tensor3D {
    const [B, T] = x.shape;
    const { numHeads: H, numKvHeads: Hkv, headDim: hd } = this.config;
    const heads = (name: string, n: number) =>
      tf.transpose(tf.reshape(this.linear(x, `layers.${l}.attn.${name}`), [B, T, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, n, T, hd]
    const q = applyRotary(heads('query', H), rotary); // [B, H, T, hd]
    const k = applyRotary(heads('key', Hkv), rotary); // [B, Hkv, T, hd]
    const y = causalAttention(q, k, heads('value', Hkv), causal, padding); // [B, H, T, hd]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, H * hd]) as tf.Tensor3D; // [B, T, H hd]
    return this.linear(merged, `layers.${l}.attn.out`);
  }

  /** x [B, T, in] @ weight [in, out] (+ bias where the checkpoint has one, + its LoRA update where it has one) -> [B, T, out] */
  private linear(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const bias = this.params.get(`${name}.bias`) as tf.Tensor1D | undefined;
    const y = linear(x, this.p(`${name}.weight`) as tf.Tensor2D, bias);
    return this.lora ? this.lora.adapt(name, x, y) : y;
  }

  private norm(x: tf.Tensor3D, name: string): tf.Tensor3D {
    return rmsNorm(x, this.p(`${name}.weight`) as tf.Tensor1D, this.config.rmsNormEps);
  }

  private p(name: string): tf.Variable {
    return param(this.params, name);
  }
}
