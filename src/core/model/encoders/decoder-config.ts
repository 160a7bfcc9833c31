// The shapes of the decoder families, as read from a checkpoint's config.json: GPT-2 (model_type
// 'gpt2') and the Llama family (model_type 'llama', which SmolLM2 is, and 'qwen2'). Every reader
// refuses, with the field and the reason, what it cannot build the same as transformers would.

export interface Gpt2Config {
  modelType: 'gpt2';
  vocabSize: number;
  /** n_embd */
  hiddenSize: number;
  /** n_layer */
  numLayers: number;
  /** n_head */
  numHeads: number;
  /** n_inner, or 4 x n_embd when null (GPT-2's rule). */
  intermediateSize: number;
  /** n_positions: the learned position table's length. */
  maxPositions: number;
  /** layer_norm_epsilon (GPT-2's 1e-5). */
  layerNormEps: number;
  /** activation_function: 'gelu_new' (GPT-2's tanh approximation), 'gelu' (exact) or 'relu'. */
  hiddenAct: 'gelu' | 'gelu_new' | 'relu';
  /** The token whose id pads; GPT-2 has none, so HF's reward models set it to eos (pad_token_id = eos_token_id). */
  padTokenId: number;
  eosTokenId: number;
}

export interface LlamaConfig {
  modelType: 'llama' | 'qwen2';
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** num_key_value_heads: grouped-query attention's shared key/value heads (= numHeads without GQA). */
  numKvHeads: number;
  /** head_dim, or hidden_size / num_attention_heads. */
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** Biases on the q, k and v projections (Qwen2 always; Llama with attention_bias). */
  qkvBias: boolean;
  /** A bias on the output projection (Llama with attention_bias; never Qwen2). */
  outBias: boolean;
  /** Biases on gate, up and down (Llama's mlp_bias). */
  mlpBias: boolean;
  padTokenId: number;
  eosTokenId: number;
}

export type DecoderConfig = Gpt2Config | LlamaConfig;

/**
 * The decoder model_types (families/gpt2.ts, families/llama.ts): their pairs are read as
 * prompt + response (+ eos), not BERT's [CLS] prompt [SEP] response [SEP] (tokenizer.ts).
 */
export const DECODER_MODEL_TYPES: readonly string[] = ['gpt2', 'llama', 'qwen2'];

type Json = Record<string, unknown>;

function positiveInt(c: Json, field: string, fallback?: number): number {
  const v = c[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new Error(`config.json: ${field} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function positiveNumber(c: Json, field: string, fallback: number): number {
  const v = c[field] ?? fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new Error(`config.json: ${field} must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** eos_token_id may be a list (Llama 3's); the first is the one a sequence ends with. */
function tokenId(c: Json, field: string): number | undefined {
  const raw = Array.isArray(c[field]) ? (c[field] as unknown[])[0] : c[field];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
    throw new Error(`config.json: ${field} must be a token id, got ${JSON.stringify(c[field])}`);
  }
  return raw;
}

/**
 * pad_token_id, else the tokenizer's pad token (`tokenizerPad`, which tokenizer.ts takes from
 * pad_token or else eos_token), else eos_token_id: HF asks a decoder reward model's config for a
 * pad id, and GPT-2's reward models use eos for it.
 */
function padAndEos(c: Json, vocabSize: number, tokenizerPad?: number): { padTokenId: number; eosTokenId: number } {
  const eos = tokenId(c, 'eos_token_id') ?? tokenizerPad;
  const pad = tokenId(c, 'pad_token_id') ?? (tokenizerPad !== undefined && tokenizerPad >= 0 ? tokenizerPad : eos);
  if (pad === undefined || eos === undefined) {
    throw new Error('config.json: neither pad_token_id nor eos_token_id is set; a decoder reward model needs one');
  }
  for (const [field, id] of [
    ['pad_token_id', pad],
    ['eos_token_id', eos],
  ] as const) {
    if (id >= vocabSize) throw new Error(`config.json: ${field} ${id} is outside the ${vocabSize}-token vocabulary`);
  }
  return { padTokenId: pad, eosTokenId: eos };
}

function activation(c: Json, field: string, fallback: string): Gpt2Config['hiddenAct'] {
  const act = c[field] ?? fallback;
  const known = act === 'gelu_pytorch_tanh' ? 'gelu_new' : act; // the same tanh approximation, named by torch
  if (known !== 'gelu' && known !== 'gelu_new' && known !== 'relu') {
    throw new Error(
      `config.json: ${field} ${JSON.stringify(act)} is not supported; RM Lab supports gelu_new, gelu and relu`,
    );
  }
  return known;
}

export function readGpt2Config(c: Json, tokenizerPad?: number): Gpt2Config {
  for (const flag of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention']) {
    if (c[flag] === true) throw new Error(`config.json: ${flag} is true; RM Lab builds GPT-2 without it`);
  }
  if (c.scale_attn_weights === false)
    throw new Error('config.json: scale_attn_weights is false; RM Lab scales by 1/sqrt(head size)');
  const hiddenSize = positiveInt(c, 'n_embd');
  const numHeads = positiveInt(c, 'n_head');
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`config.json: n_embd ${hiddenSize} is not divisible by n_head ${numHeads}`);
  }
  const vocabSize = positiveInt(c, 'vocab_size');
  return {
    modelType: 'gpt2',
    vocabSize,
    hiddenSize,
    numLayers: positiveInt(c, 'n_layer'),
    numHeads,
    intermediateSize: c.n_inner === null || c.n_inner === undefined ? 4 * hiddenSize : positiveInt(c, 'n_inner'),
    maxPositions: positiveInt(c, 'n_positions', 1024),
    layerNormEps: positiveNumber(c, 'layer_norm_epsilon', 1e-5),
    hiddenAct: activation(c, 'activation_function', 'gelu_new'),
    ...padAndEos(c, vocabSize, tokenizerPad),
  };
}

export function readLlamaConfig(c: Json, tokenizerPad?: number): LlamaConfig {
  const modelType = c.model_type;
  if (modelType !== 'llama' && modelType !== 'qwen2')
    throw new Error(`config.json: model_type ${JSON.stringify(modelType)} is not a Llama-family type`);
  if ((c.hidden_act ?? 'silu') !== 'silu') {
    throw new Error(
      `config.json: hidden_act ${JSON.stringify(c.hidden_act)} is not supported; the Llama family uses silu`,
    );
  }
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
    throw new Error(
      `config.json: rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported; RM Lab builds the default rotary positions`,
    );
  }
  if (modelType === 'qwen2' && c.use_sliding_window === true) {
    throw new Error('config.json: use_sliding_window is true; RM Lab builds full attention only');
  }
  const hiddenSize = positiveInt(c, 'hidden_size');
  const numHeads = positiveInt(c, 'num_attention_heads');
  const numKvHeads = positiveInt(c, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new Error(
      `config.json: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  if (c.head_dim === undefined && hiddenSize % numHeads !== 0) {
    throw new Error(`config.json: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);
  }
  const headDim = positiveInt(c, 'head_dim', hiddenSize / numHeads);
  if (headDim % 2 !== 0) throw new Error(`config.json: head_dim ${headDim} must be even for rotary positions`);
  const vocabSize = positiveInt(c, 'vocab_size');
  const attentionBias = c.attention_bias === true;
  return {
    modelType,
    vocabSize,
    hiddenSize,
    numLayers: positiveInt(c, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: positiveInt(c, 'intermediate_size'),
    maxPositions: positiveInt(c, 'max_position_embeddings', 2048),
    rmsNormEps: positiveNumber(c, 'rms_norm_eps', 1e-6),
    ropeTheta: positiveNumber(c, 'rope_theta', 10000),
    qkvBias: modelType === 'qwen2' || attentionBias,
    outBias: modelType === 'llama' && attentionBias,
    mlpBias: modelType === 'llama' && c.mlp_bias === true,
    ...padAndEos(c, vocabSize, tokenizerPad),
  };
}
