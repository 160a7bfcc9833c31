// A BERT-style encoder, computing what Hugging Face's BertModel computes (every model_type 'bert'
// checkpoint: BERT, MiniLM, BGE-small, GTE-small), and with the config's optional fields what
// DistilBertModel, RobertaModel / XLMRobertaModel and ElectraModel compute: they share BERT's
// post-LayerNorm layers. Written with tfjs core ops like transformer.ts so every weight is a named
// variable. Shapes: B sequences, T tokens, E embedding width (ELECTRA's embedding_size; D elsewhere),
// D hidden, H heads, hs = D / H, I intermediate, o the position offset (RoBERTa: padding_idx + 1).
//
//   e      = LN(E_word[ids] + E_pos[o:o+T] + E_type[token types])  [B, T, E]; no E_type when typeVocabSize 0
//   x      = e W_proj + b_proj  (ELECTRA with E != D)  else e          [B, T, D]
//   per layer:
//     x    = LN(x + SelfAttention(x) W_o + b_o)       separate query, key and value Linear layers
//     x    = LN(x + act(x W_i + b_i) W_out + b_out)
//   'cls'  -> f(x[:, 0] W_pool + b_pool)               the dense layer each family's *ForSequenceClassification
//                                                      puts on the first token before its output: f = tanh
//                                                      (BERT's pooler, RoBERTa's classifier.dense), gelu
//                                                      (ELECTRA's classifier.dense), relu (DistilBERT's
//                                                      pre_classifier); so an export scores the same
//   'mean' / 'last' -> pool() over x                   no pooler (sentence-transformers' way)
//
// RoBERTa numbers positions from padding_idx + 1 (create_position_ids_from_input_ids counts the
// non-padding tokens); with padding on the right, as here, that is o + t for every real token t.
// What a padding position reads does not matter: it is masked as a key and never pooled.
//
// No dropout anywhere: RM Lab fine-tunes reward models with dropout off (HF's BertModel in eval
// mode), which keeps a training step deterministic and a reward the same function of the weights
// in training and in scoring.
import * as tf from '@tensorflow/tfjs';
import { NamedLayers } from './named-layers.ts';
import { linear } from '../ops/linear.ts';
import { pool } from '../ops/pool.ts';
import { embeddingLookup, embeddingRows } from '../embedding.ts';
import { attentionMask, multiHeadAttention, type AttentionMask } from '../ops/attention.ts';
import { geluErf, geluTanh } from '../ops/gelu.ts';
import { longestSequence, type BertConfig } from './bert-config.ts';
import type { Encoder, Pooling } from './encoder.ts';
import type { EncoderParam, InitialWeight } from '../families/family.ts';

/** HF's initializer_range: BERT's linear and embedding weights start as N(0, 0.02^2). */
const INIT_STD = 0.02;

/**
 * Every parameter of the encoder, by RM Lab's name, in tfjs orientation (dense weights [in, out]).
 * The pooler exists only for 'cls' pooling. families/bert.ts maps these names to HF's. Parameters
 * start as HF's BertPreTrainedModel._init_weights starts them.
 */
export function bertParams(config: BertConfig, pooling: Pooling): EncoderParam[] {
  const { vocabSize: V, hiddenSize: D, maxPositions: P, typeVocabSize: TV, intermediateSize: I } = config;
  const E = config.embeddingSize ?? D;
  const linear = (name: string, inDim: number, outDim: number): EncoderParam[] => [
    { name: `${name}.weight`, shape: [inDim, outDim], init: 'normal' },
    { name: `${name}.bias`, shape: [outDim], init: 'zeros' },
  ];
  const layerNorm = (name: string, width = D): EncoderParam[] => [
    { name: `${name}.gamma`, shape: [width], init: 'ones' },
    { name: `${name}.beta`, shape: [width], init: 'zeros' },
  ];
  const params: EncoderParam[] = [
    { name: 'embeddings.word', shape: [V, E], init: 'normal' },
    { name: 'embeddings.position', shape: [P, E], init: 'normal' },
    ...(TV > 0 ? [{ name: 'embeddings.token_type', shape: [TV, E], init: 'normal' as const }] : []),
    ...layerNorm('embeddings.ln', E),
    ...(E !== D ? linear('embeddings.project', E, D) : []),
  ];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `layers.${l}`;
    params.push(
      ...linear(`${p}.attn.query`, D, D),
      ...linear(`${p}.attn.key`, D, D),
      ...linear(`${p}.attn.value`, D, D),
      ...linear(`${p}.attn.out`, D, D),
      ...layerNorm(`${p}.attn.ln`),
      ...linear(`${p}.mlp.in`, D, I),
      ...linear(`${p}.mlp.out`, I, D),
      ...layerNorm(`${p}.mlp.ln`),
    );
  }
  if (pooling === 'cls') params.push(...linear('pooler', D, D));
  return params;
}

export class BertEncoder extends NamedLayers implements Encoder {
  readonly hiddenSize: number;

  /**
   * Random weights as HF initialises a BERT (seeded), or, with `weights`, those weights: every
   * parameter must then be there with its shape (nothing half-loads).
   */
  constructor(
    readonly config: BertConfig,
    readonly pooling: Pooling,
    seed: number,
    weights?: ReadonlyMap<string, InitialWeight>,
  ) {
    super(config.layerNormEps);
    const { hiddenSize: D, numHeads, padTokenId } = config;
    if (D % numHeads !== 0) throw new Error(`hidden size ${D} must be divisible by the ${numHeads} attention heads`);
    this.hiddenSize = D;
    let s = seed;
    try {
      for (const { name, shape, init } of bertParams(config, pooling)) {
        const given = weights?.get(name);
        if (weights && !given) throw new Error(`the encoder's weights have no tensor ${name}`);
        if (given && given.shape.join('x') !== shape.join('x')) {
          throw new Error(`tensor ${name} has shape [${given.shape}], the encoder expects [${shape}]`);
        }
        const value = tf.tidy(() => {
          if (given) return tf.tensor(given.data, shape, 'float32');
          if (init === 'ones') return tf.ones(shape);
          if (init === 'zeros') return tf.zeros(shape);
          // tfjs takes seed 0 for "no seed" (Math.random): seed 0 draws with 0.5 instead.
          const drawn = tf.randomNormal(shape, 0, INIT_STD, 'float32', s++ || 0.5);
          // HF's word embedding has padding_idx = pad_token_id, and _init_weights zeroes that row.
          if (name !== 'embeddings.word' || padTokenId < 0 || padTokenId >= shape[0]!) return drawn;
          const isPad = tf.reshape(tf.oneHot(tf.tensor1d([padTokenId], 'int32'), shape[0]!), [shape[0]!, 1]);
          return tf.mul(drawn, tf.sub(1, isPad));
        });
        this.params.set(name, tf.variable(value, true));
        value.dispose(); // the variable holds its own copy
      }
    } catch (error) {
      for (const v of this.params.values()) v.dispose();
      throw error;
    }
  }

  /** ids [B, T] int32, mask [B, T] float (1 = token, 0 = padding, padded on the right) -> [B, D]. */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = ids.shape;
    const D = this.hiddenSize;
    if (T > longestSequence(this.config)) {
      throw new Error(`sequence length ${T} exceeds the encoder's ${longestSequence(this.config)} positions`);
    }
    let x = this.embed(ids, mask); // [B, T, D]
    const padding = attentionMask(mask);
    // One tidy per layer frees the layer's intermediates as soon as it is done; what the backward
    // pass needs survives, because the gradient tape keeps its own references to those tensors.
    for (let l = 0; l < this.config.numLayers; l++) x = tf.tidy(() => this.layer(x, padding, l));
    if (this.pooling !== 'cls') return pool(x, mask, this.pooling);
    const first = tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, D]), [B, D]) as tf.Tensor2D; // [B, D]: the [CLS] token
    const pooled = this.linear2d(first, 'pooler'); // [B, D]
    const act = this.config.poolerActivation ?? 'tanh';
    return act === 'tanh' ? tf.tanh(pooled) : act === 'gelu' ? geluErf(pooled) : tf.relu(pooled);
  }

  /** Word + position (+ segment) embeddings, LayerNorm, and ELECTRA's projection: [B, T] -> [B, T, D]. */
  private embed(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor3D {
    const T = ids.shape[1];
    const word = embeddingLookup(this.p('embeddings.word') as tf.Tensor2D, ids); // [B, T, E]
    const offset = this.config.positionOffset ?? 0;
    const position = embeddingRows(this.p('embeddings.position') as tf.Tensor2D, offset, T); // [T, E]
    let sum = tf.add(word, position) as tf.Tensor3D; // [B, T, E]
    if (this.config.typeVocabSize > 0) {
      const types = bertTokenTypes(ids, mask, this.config); // [B, T]
      sum = tf.add(sum, embeddingLookup(this.p('embeddings.token_type') as tf.Tensor2D, types)); // [B, T, E]
    }
    const e = this.layerNorm(sum, 'embeddings.ln'); // [B, T, E]
    return this.params.has('embeddings.project.weight') ? this.linear(e, 'embeddings.project') : e; // [B, T, D]
  }

  /** One post-LayerNorm transformer layer: [B, T, D] -> [B, T, D]. */
  private layer(input: tf.Tensor3D, padding: AttentionMask, l: number): tf.Tensor3D {
    const x = this.addLayerNorm(input, this.attention(input, padding, l), `layers.${l}.attn.ln`);
    const h = this.activation(this.linear(x, `layers.${l}.mlp.in`)); // [B, T, I]
    return this.addLayerNorm(x, this.linear(h, `layers.${l}.mlp.out`), `layers.${l}.mlp.ln`);
  }

  private attention(x: tf.Tensor3D, padding: AttentionMask, l: number): tf.Tensor3D {
    const [q, k, v] = ['query', 'key', 'value'].map((name) => this.linear(x, `layers.${l}.attn.${name}`)); // [B, T, D] each
    // q / sqrt(hs) before the product in the composition, not the [B, H, T, T] scores after it: the
    // same numbers, one tensor of T x T per head fewer kept for the backward pass.
    const y = multiHeadAttention(q!, k!, v!, padding, this.config.numHeads, true); // [B, T, D]
    return this.linear(y, `layers.${l}.attn.out`);
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

  /** x [B, in] @ weight [in, out] + bias -> [B, out] */
  private linear2d(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return linear(x, this.p(`${name}.weight`) as tf.Tensor2D, this.p(`${name}.bias`) as tf.Tensor1D);
  }
}

/**
 * Segment ids computed on the device from the ids, as BERT's pair encoding sets them: 0 for
 * [CLS] prompt [SEP] (up to and including the first [SEP]), 1 for the response after it, 0 on
 * padding (as HF tokenizers pad). The exclusive cumulative sum counts the [SEP]s strictly before
 * each position. Cumsum runs on the cpu, wasm and webgpu backends (tests/unit/bert-reference.test.ts,
 * tests/browser/reference-bert-webgpu.test.ts). ids [B, T] int32, mask [B, T] -> [B, T] int32.
 */
export function bertTokenTypes(ids: tf.Tensor2D, mask: tf.Tensor2D, config: BertConfig): tf.Tensor2D {
  return tf.tidy(() => {
    if (config.typeVocabSize === 1) return tf.zerosLike(ids); // one segment: everything is type 0
    const isSep = tf.cast(tf.equal(ids, config.sepTokenId), 'float32'); // [B, T]
    const sepsBefore = tf.cumsum(isSep, 1, true); // [B, T]
    return tf.cast(tf.mul(tf.minimum(sepsBefore, 1), mask), 'int32') as tf.Tensor2D; // [B, T]
  });
}
