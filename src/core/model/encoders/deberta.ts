// A DeBERTa-v2/v3 encoder, computing what Hugging Face's DebertaV2Model computes (eval mode, no
// dropout), with the ContextPooler that DebertaV2ForSequenceClassification puts on [CLS]. Shapes:
// B sequences, T tokens, E embedding width, D hidden, H heads, hs = D / H, S the attention span
// (attentionSpan: position_buckets, or max_relative_positions), R = 2 S relative embeddings (of
// which only the rows a sequence of T tokens reads are computed with: attentionInputs).
//
//   e      = E_word[ids] (+ E_pos[0:T] if position_biased_input) (+ E_type[types])     [B, T, E]
//   x      = LN(e W_proj)  (no bias; only where E != D)  else LN(e), then x * mask      [B, T, D]
//   P      = LN_rel(E_rel)  (norm_rel_ebd 'layer_norm')  else E_rel                   [R, D]
//   per layer (post-LayerNorm, as BERT):
//     q, k, v = x W_q + b_q, ...                      [B, H, T, hs]
//     pk, pq  = P W_k + b_k, P W_q + b_q  (share_att_key)  else P W_pk + b_pk, P W_pq + b_pq  [H, R, hs]
//     s(i, j) = q_i.k_j + q_i.pk[c2p(i, j)] + k_j.pq[p2c(i, j)]     the c2p and p2c terms as pos_att_type has them
//     a       = softmax(s / sqrt(hs * (1 + |pos_att_type|)) + padding) v
//     x       = LN(x + a W_o + b_o);  x = LN(x + act(x W_i + b_i) W_out + b_out)
//   'cls'  -> act_pool(x[:, 0] W_pool + b_pool)       ContextPooler (pooler_hidden_act, gelu by default)
//   'mean' / 'last' -> pool() over x
// c2p(i, j) = clamp(rel(i, j) + S, 0, 2S - 1) and p2c the same with the key's row gathered and
// transposed, as disentangled_attention_bias does (ops/relative-position.ts).
import * as tf from '@tensorflow/tfjs';
import { NamedLayers } from './named-layers.ts';
import { embeddingLookup } from '../embedding.ts';
import type { EncoderParam, InitialWeight } from '../families/family.ts';
import { attentionBias, maskedSoftmax } from '../ops/attention.ts';
import { geluErf, geluTanh } from '../ops/gelu.ts';
import { layerNorm } from '../ops/layer-norm.ts';
import { linear } from '../ops/linear.ts';
import { pool } from '../ops/pool.ts';
import { gatherRelative, gatherRows, relativeIndex, relativePositions } from '../ops/relative-position.ts';
import { bertTokenTypes } from './bert.ts';
import { attentionSpan, type DebertaConfig } from './deberta-config.ts';
import type { Encoder, Pooling } from './encoder.ts';

/** HF's initializer_range. */
const INIT_STD = 0.02;

/** Every parameter by RM Lab's name, tfjs orientation (dense weights [in, out]); families/deberta.ts maps them to HF's. */
export function debertaParams(config: DebertaConfig, pooling: Pooling): EncoderParam[] {
  const { vocabSize: V, hiddenSize: D, maxPositions: P, typeVocabSize: TV, intermediateSize: I } = config;
  const E = config.embeddingSize ?? D;
  const linear = (name: string, inDim: number, outDim: number): EncoderParam[] => [
    { name: `${name}.weight`, shape: [inDim, outDim], init: 'normal' },
    { name: `${name}.bias`, shape: [outDim], init: 'zeros' },
  ];
  const layerNorm = (name: string): EncoderParam[] => [
    { name: `${name}.gamma`, shape: [D], init: 'ones' },
    { name: `${name}.beta`, shape: [D], init: 'zeros' },
  ];
  const params: EncoderParam[] = [
    { name: 'embeddings.word', shape: [V, E], init: 'normal' },
    ...(config.positionBiasedInput ? [{ name: 'embeddings.position', shape: [P, E], init: 'normal' as const }] : []),
    ...(TV > 0 ? [{ name: 'embeddings.token_type', shape: [TV, E], init: 'normal' as const }] : []),
    ...(E !== D ? [{ name: 'embeddings.project.weight', shape: [E, D], init: 'normal' as const }] : []),
    ...layerNorm('embeddings.ln'),
  ];
  const separate = config.relativeAttention && !config.shareAttKey;
  for (let l = 0; l < config.numLayers; l++) {
    const p = `layers.${l}`;
    params.push(
      ...linear(`${p}.attn.query`, D, D),
      ...linear(`${p}.attn.key`, D, D),
      ...linear(`${p}.attn.value`, D, D),
    );
    if (separate && config.posAttTypes.includes('c2p')) params.push(...linear(`${p}.attn.pos_key`, D, D));
    if (separate && config.posAttTypes.includes('p2c')) params.push(...linear(`${p}.attn.pos_query`, D, D));
    params.push(
      ...linear(`${p}.attn.out`, D, D),
      ...layerNorm(`${p}.attn.ln`),
      ...linear(`${p}.mlp.in`, D, I),
      ...linear(`${p}.mlp.out`, I, D),
      ...layerNorm(`${p}.mlp.ln`),
    );
  }
  if (config.relativeAttention) {
    // Shared by every layer, so freezing.ts leaves it training with the unfrozen layers.
    params.push({ name: 'relative.embeddings', shape: [2 * attentionSpan(config), D], init: 'normal' });
    if (config.normRelEmbeddings) params.push(...layerNorm('relative.ln'));
  }
  if (pooling === 'cls') params.push(...linear('pooler', D, D));
  return params;
}

/**
 * Which rows of the relative embedding table T tokens read: the first (lo) and how many, with the
 * c2p and p2c index tables (relativeIndex's); undefined without relative attention. The encoder
 * computes with these rows only, and the memory plan counts them.
 */
export function relativeRowsRead(
  c: DebertaConfig,
  T: number,
): { lo: number; rows: number; c2p?: Int32Array; p2c?: Int32Array } | undefined {
  if (!c.relativeAttention || c.posAttTypes.length === 0) return undefined;
  const span = attentionSpan(c);
  const rel = relativePositions(T, c.positionBuckets, c.maxRelativePositions);
  const c2p = c.posAttTypes.includes('c2p') ? relativeIndex(rel, span, 1) : undefined;
  const p2c = c.posAttTypes.includes('p2c') ? relativeIndex(rel, span, -1) : undefined;
  const read = [c2p, p2c].filter((t): t is Int32Array => t !== undefined);
  const lo = Math.min(...read.map((t) => t.reduce((a, b) => Math.min(a, b))));
  const hi = Math.max(...read.map((t) => t.reduce((a, b) => Math.max(a, b))));
  return { lo, rows: hi - lo + 1, ...(c2p ? { c2p } : {}), ...(p2c ? { p2c } : {}) };
}

/** What every layer's attention shares in one forward pass: the padding bias and the relative-position inputs. */
interface AttentionInputs {
  bias: tf.Tensor4D;
  /** [R, D]: the relative embeddings, through their LayerNorm. */
  relative?: tf.Tensor2D;
  /** Row numbers for gatherRelative: c2p's, and p2c's (before its transpose). */
  c2pRows?: tf.Tensor2D;
  p2cRows?: tf.Tensor2D;
}

export class DebertaEncoder extends NamedLayers implements Encoder {
  readonly hiddenSize: number;

  /** Random weights as HF initialises them (seeded), or `weights` for every parameter (nothing half-loads). */
  constructor(
    readonly config: DebertaConfig,
    readonly pooling: Pooling,
    seed: number,
    weights?: ReadonlyMap<string, InitialWeight>,
  ) {
    super(config.layerNormEps);
    this.hiddenSize = config.hiddenSize;
    let s = seed;
    try {
      for (const { name, shape, init } of debertaParams(config, pooling)) {
        const given = weights?.get(name);
        if (weights && !given) throw new Error(`the encoder's weights have no tensor ${name}`);
        if (given && given.shape.join('x') !== shape.join('x')) {
          throw new Error(`tensor ${name} has shape [${given.shape}], the encoder expects [${shape}]`);
        }
        const value = tf.tidy(() => {
          if (given) return tf.tensor(given.data, shape, 'float32');
          if (init === 'ones') return tf.ones(shape);
          if (init === 'zeros') return tf.zeros(shape);
          return tf.randomNormal(shape, 0, INIT_STD, 'float32', s++ || 0.5); // seed 0 would mean Math.random
        });
        this.params.set(name, tf.variable(value, true));
        value.dispose();
      }
    } catch (error) {
      for (const v of this.params.values()) v.dispose();
      throw error;
    }
  }

  /** ids [B, T] int32, mask [B, T] float (1 = token, 0 = padding, padded on the right) -> [B, D]. */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = ids.shape;
    if (this.config.positionBiasedInput && T > this.config.maxPositions) {
      throw new Error(`sequence length ${T} exceeds the encoder's ${this.config.maxPositions} positions`);
    }
    let x = this.embed(ids, mask); // [B, T, D]
    const inputs = this.attentionInputs(mask);
    for (let l = 0; l < this.config.numLayers; l++) x = tf.tidy(() => this.layer(x, inputs, l));
    if (this.pooling !== 'cls') return pool(x, mask, this.pooling);
    const first = tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, this.hiddenSize]), [B, this.hiddenSize]) as tf.Tensor2D; // [B, D]: [CLS]
    const pooled = linear(first, this.p('pooler.weight') as tf.Tensor2D, this.p('pooler.bias') as tf.Tensor1D); // [B, D]
    const act = this.config.poolerActivation;
    return act === 'gelu' ? geluErf(pooled) : act === 'tanh' ? tf.tanh(pooled) : tf.relu(pooled);
  }

  /** Word (+ position) (+ segment) embeddings, the projection, LayerNorm, padding zeroed: [B, T] -> [B, T, D]. */
  private embed(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor3D {
    const T = ids.shape[1];
    const E = this.config.embeddingSize ?? this.hiddenSize;
    let sum = embeddingLookup(this.p('embeddings.word') as tf.Tensor2D, ids); // [B, T, E]
    if (this.config.positionBiasedInput) sum = tf.add(sum, tf.slice(this.p('embeddings.position'), [0, 0], [T, E]));
    if (this.config.typeVocabSize > 0) {
      const types = bertTokenTypes(ids, mask, this.config); // [B, T]
      sum = tf.add(sum, embeddingLookup(this.p('embeddings.token_type') as tf.Tensor2D, types)); // [B, T, E]
    }
    const projected = this.params.has('embeddings.project.weight')
      ? linear(sum, this.p('embeddings.project.weight') as tf.Tensor2D) // [B, T, D], no bias (embed_proj)
      : sum;
    const e = this.layerNorm(projected, 'embeddings.ln'); // [B, T, D]
    return tf.mul(e, tf.expandDims(mask, 2)); // DebertaV2Embeddings zeroes the padding positions
  }

  /**
   * The padding bias, and the relative embeddings and index tables every layer reads (built once a
   * pass). Only the rows some (query, key) reads are kept: a short sequence reads few of them (64
   * tokens read 127 of v3's 512), and a row nobody reads adds nothing to a score and gets no
   * gradient, so leaving it out changes no number and saves most of the c2p / p2c products.
   */
  private attentionInputs(mask: tf.Tensor2D): AttentionInputs {
    const inputs: AttentionInputs = { bias: attentionBias(mask) };
    const c = this.config;
    const T = mask.shape[1];
    const read = relativeRowsRead(c, T);
    if (!read) return inputs;
    const { lo, rows } = read;
    const table = tf.slice(this.p('relative.embeddings'), [lo, 0], [rows, this.hiddenSize]) as tf.Tensor2D; // [R', D]
    inputs.relative = c.normRelEmbeddings
      ? layerNorm(
          table,
          this.p('relative.ln.gamma') as tf.Tensor1D,
          this.p('relative.ln.beta') as tf.Tensor1D,
          c.layerNormEps,
        )
      : table;
    const shifted = (index: Int32Array) =>
      gatherRows(
        index.map((r) => r - lo),
        T,
        rows,
      );
    if (read.c2p) inputs.c2pRows = shifted(read.c2p);
    if (read.p2c) inputs.p2cRows = shifted(read.p2c);
    return inputs;
  }

  /** One post-LayerNorm layer: [B, T, D] -> [B, T, D]. */
  private layer(input: tf.Tensor3D, inputs: AttentionInputs, l: number): tf.Tensor3D {
    const x = this.addLayerNorm(input, this.attention(input, inputs, l), `layers.${l}.attn.ln`);
    const h = this.activation(this.linear(x, `layers.${l}.mlp.in`)); // [B, T, I]
    return this.addLayerNorm(x, this.linear(h, `layers.${l}.mlp.out`), `layers.${l}.mlp.ln`);
  }

  /** DisentangledSelfAttention with its output dense layer: [B, T, D] -> [B, T, D]. */
  private attention(x: tf.Tensor3D, inputs: AttentionInputs, l: number): tf.Tensor3D {
    const [B, T, D] = x.shape;
    const H = this.config.numHeads;
    const hs = D / H;
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hs]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, T, hs]
    const [q, k, v] = ['query', 'key', 'value'].map((m) => heads(this.linear(x, `layers.${l}.attn.${m}`)));
    let scores: tf.Tensor4D = tf.matMul(q!, k!, false, true); // [B, H, T, T]
    if (inputs.relative) scores = tf.add(scores, this.relativeScores(q!, k!, inputs, l));
    // HF divides each term by sqrt(hs * scale_factor), scale_factor = 1 + the number of relative terms.
    const scale = 1 / Math.sqrt(hs * (1 + this.config.posAttTypes.length));
    const probs = maskedSoftmax(scores, inputs.bias, scale); // [B, H, T, T]
    const y = tf.reshape(tf.transpose(tf.matMul(probs, v!), [0, 2, 1, 3]), [B, T, D]) as tf.Tensor3D; // [B, T, D]
    return this.linear(y, `layers.${l}.attn.out`);
  }

  /** The c2p and p2c terms (unscaled) of disentangled_attention_bias: q, k [B, H, T, hs] -> [B, H, T, T]. */
  private relativeScores(q: tf.Tensor4D, k: tf.Tensor4D, inputs: AttentionInputs, l: number): tf.Tensor4D {
    const [B, H, T, hs] = q.shape;
    const P = inputs.relative!; // [R, D]
    const R = P.shape[0];
    const shared = this.config.shareAttKey;
    // Relative embeddings through a projection, as heads: [R, D] -> [H, hs, R] (transposed for the product).
    const project = (name: string) =>
      tf.transpose(tf.reshape(this.linear(P, `layers.${l}.attn.${name}`), [R, H, hs]), [1, 2, 0]) as tf.Tensor3D;
    // x [B, H, T, hs] against every relative position of its head: [B, H, T, R].
    const against = (x: tf.Tensor4D, pos: tf.Tensor3D) => {
      const rows = tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [H, B * T, hs]); // [H, B*T, hs]
      const s = tf.reshape(tf.matMul(rows, pos), [H, B, T, R]); // [H, B, T, R]
      return tf.transpose(s, [1, 0, 2, 3]) as tf.Tensor4D; // [B, H, T, R]
    };
    let score: tf.Tensor4D | undefined;
    if (inputs.c2pRows) {
      const c2p = gatherRelative(against(q, project(shared ? 'key' : 'pos_key')), inputs.c2pRows); // [B, H, T, T]
      score = c2p;
    }
    if (inputs.p2cRows) {
      const byKey = gatherRelative(against(k, project(shared ? 'query' : 'pos_query')), inputs.p2cRows); // [B, H, Tk, Tq]
      const p2c = tf.transpose(byKey, [0, 1, 3, 2]); // [B, H, Tq, Tk]
      score = score ? (tf.add(score, p2c) as tf.Tensor4D) : p2c;
    }
    return score!;
  }

  private activation(x: tf.Tensor3D): tf.Tensor3D {
    switch (this.config.hiddenAct) {
      case 'gelu':
        return geluErf(x);
      case 'gelu_new':
        return geluTanh(x);
      case 'relu':
        return tf.relu(x);
    }
  }
}
