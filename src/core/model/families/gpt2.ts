// GPT-2 (model_type 'gpt2': GPT-2 and its distilled and fine-tuned checkpoints, GPT2LMHeadModel or
// GPT2ForSequenceClassification): config.json -> Gpt2Config, the tensor table (under 'transformer.'),
// the encoder (encoders/gpt2.ts), and the export as GPT2ForSequenceClassification with pad_token_id
// set (GPT-2 has no pad token: eos pads, as HF requires of a decoder reward model's config).
import { readGpt2Config, type Gpt2Config } from '../encoders/decoder-config.ts';
import { Gpt2Encoder, gpt2Params } from '../encoders/gpt2.ts';
import { decoderTable, encoderParams } from './decoder-table.ts';
import type { EncoderFamily } from './family.ts';

export const gpt2: EncoderFamily<Gpt2Config> = {
  modelTypes: ['gpt2'],
  covers: 'GPT-2 and its fine-tunes, read at the last token as GPT2ForSequenceClassification',
  architecture: 'GPT2ForSequenceClassification',
  basePrefix: 'transformer.',
  defaultPooling: 'last',
  onlyPooling: 'last',
  headBias: false,
  // Its eos and pad come from its own tokenizer files (export/hf-zip.ts), never a fixed name.
  tokenizerClass: 'PreTrainedTokenizerFast',
  specialTokens: {},
  tokenizerFiles: [],
  readConfig: (c, special) => readGpt2Config(c, special.padTokenId),
  params: (config) => encoderParams(gpt2Params(config)),
  table: (config) => decoderTable(gpt2Params(config)),
  build: (config, _pooling, seed, weights) => new Gpt2Encoder(config, seed, weights),
  exportConfig: (g) => ({
    vocab_size: g.vocabSize,
    n_embd: g.hiddenSize,
    n_layer: g.numLayers,
    n_head: g.numHeads,
    n_inner: g.intermediateSize,
    n_positions: g.maxPositions,
    n_ctx: g.maxPositions,
    layer_norm_epsilon: g.layerNormEps,
    activation_function: g.hiddenAct,
    pad_token_id: g.padTokenId,
    eos_token_id: g.eosTokenId,
    bos_token_id: g.eosTokenId,
    scale_attn_weights: true,
    initializer_range: 0.02,
    // RM Lab trained with dropout off; saying so keeps further training in Python the same model.
    resid_pdrop: 0.0,
    embd_pdrop: 0.0,
    attn_pdrop: 0.0,
    summary_first_dropout: 0.0,
  }),
};
