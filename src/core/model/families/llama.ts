// The Llama family, two families of the registry sharing one encoder: model_type 'llama' (Llama,
// SmolLM2, TinyLlama) and 'qwen2' (Qwen2, Qwen2.5: q/k/v biases), as
// *ForCausalLM or *ForSequenceClassification checkpoints: config.json -> LlamaConfig, the tensor table
// (under 'model.'; lm_head ignored, tied or not), the encoder (encoders/llama.ts), and the export as
// LlamaForSequenceClassification / Qwen2ForSequenceClassification with pad_token_id set.
import { readLlamaConfig, type LlamaConfig } from '../encoders/decoder-config.ts';
import { LlamaEncoder, llamaParams } from '../encoders/llama.ts';
import { decoderTable, encoderParams } from './decoder-table.ts';
import type { EncoderFamily, InitialWeight } from './family.ts';

function exportConfig(c: LlamaConfig): Record<string, unknown> {
  const common = {
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    // No lm_head is written: with tied embeddings transformers does not look for one.
    tie_word_embeddings: true,
    pad_token_id: c.padTokenId,
    eos_token_id: c.eosTokenId,
    initializer_range: 0.02,
    attention_dropout: 0.0,
  };
  if (c.modelType === 'qwen2') return { ...common, use_sliding_window: false };
  return { ...common, attention_bias: c.qkvBias, mlp_bias: c.mlpBias };
}

const shared = {
  basePrefix: 'model.',
  defaultPooling: 'last',
  onlyPooling: 'last',
  headBias: false,
  // Its eos and pad come from its own tokenizer files (export/hf-zip.ts), never a fixed name.
  tokenizerClass: 'PreTrainedTokenizerFast',
  specialTokens: {},
  tokenizerFiles: [],
  // Llama 2 repositories carry a SentencePiece tokenizer.model beside (or instead of) tokenizer.json.
  sentencePieceFile: 'tokenizer.model',
  readConfig: (c: Record<string, unknown>, special: { padTokenId: number }) => readLlamaConfig(c, special.padTokenId),
  params: (config: LlamaConfig) => encoderParams(llamaParams(config)),
  table: (config: LlamaConfig) => decoderTable(llamaParams(config)),
  build: (config: LlamaConfig, _pooling: unknown, seed: number, weights?: ReadonlyMap<string, InitialWeight>) =>
    new LlamaEncoder(config, seed, weights),
  exportConfig,
} as const;

export const llama: EncoderFamily<LlamaConfig> = {
  ...shared,
  modelTypes: ['llama'],
  covers: 'Llama, SmolLM2 and TinyLlama, read at the last token as LlamaForSequenceClassification',
  architecture: 'LlamaForSequenceClassification',
};

export const qwen2: EncoderFamily<LlamaConfig> = {
  ...shared,
  modelTypes: ['qwen2'],
  covers: 'Qwen2 and Qwen2.5, read at the last token as Qwen2ForSequenceClassification',
  architecture: 'Qwen2ForSequenceClassification',
};
