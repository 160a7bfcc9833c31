// BERT (model_type 'bert': BERT, MiniLM, BGE-small, GTE-small and other BertModel checkpoints):
// config.json -> BertConfig, HF's tensor names, the encoder (encoders/bert.ts), the export as
// BertForSequenceClassification, and the tokenizer built from vocab.txt when a repository has no
// tokenizer.json. A reward reads "[CLS] prompt [SEP] response [SEP]" with segment ids 0 then 1.
import { bertTokenizerJson, bertTokenizerOptions, readVocabTxt } from '../bert-tokenizer.ts';
import type { BertConfig } from '../encoders/bert-config.ts';
import { BertEncoder, bertParams } from '../encoders/bert.ts';
import type { Pooling } from '../encoders/encoder.ts';
import { checkSpecialIds, configFields, readActivation, type EncoderFamily, type TensorMapping } from './family.ts';

/**
 * config.json (model_type 'bert') -> BertConfig. Defaults are HF BertConfig's for the optional
 * fields checkpoints sometimes omit; `special` holds the tokenizer's [SEP] and [PAD] ids.
 */
function readConfig(c: Record<string, unknown>, special: { sepTokenId: number; padTokenId: number }): BertConfig {
  const { int, positive } = configFields(c);
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`config.json: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);
  }
  const positionType = c.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw new Error(
      `config.json: position_embedding_type ${JSON.stringify(positionType)} is not supported; RM Lab builds 'absolute' position embeddings only`,
    );
  }
  if (c.is_decoder === true) throw new Error('config.json: is_decoder is true; RM Lab builds BERT as an encoder only');
  const hiddenAct = readActivation('hidden_act', c.hidden_act ?? 'gelu');
  const layerNormEps = positive('layer_norm_eps', 1e-12);
  const vocabSize = int('vocab_size');
  checkSpecialIds(special, vocabSize);
  return {
    modelType: 'bert',
    vocabSize,
    hiddenSize,
    numLayers: int('num_hidden_layers'),
    numHeads,
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps,
    hiddenAct,
    sepTokenId: special.sepTokenId,
    padTokenId: special.padTokenId,
  };
}

/**
 * BertModel's tensor names for a config and pooling, in HF's state_dict order: embeddings, each
 * layer, the pooler ('cls' only), then the classifier (RM Lab's head).
 */
export function bertTable(config: BertConfig, pooling: Pooling): TensorMapping[] {
  const rows: TensorMapping[] = [];
  const same = (name: string, hfName: string) => rows.push({ name, hfName, transpose: false, part: 'encoder' });
  const linear = (name: string, hf: string, fresh = false) => {
    rows.push({ name: `${name}.weight`, hfName: `${hf}.weight`, transpose: true, part: 'encoder', fresh });
    rows.push({ name: `${name}.bias`, hfName: `${hf}.bias`, transpose: false, part: 'encoder', fresh });
  };
  const layerNorm = (name: string, hf: string) => {
    same(`${name}.gamma`, `${hf}.weight`);
    same(`${name}.beta`, `${hf}.bias`);
  };
  same('embeddings.word', 'embeddings.word_embeddings.weight');
  same('embeddings.position', 'embeddings.position_embeddings.weight');
  same('embeddings.token_type', 'embeddings.token_type_embeddings.weight');
  layerNorm('embeddings.ln', 'embeddings.LayerNorm');
  for (let l = 0; l < config.numLayers; l++) {
    const [p, hf] = [`layers.${l}`, `encoder.layer.${l}`];
    linear(`${p}.attn.query`, `${hf}.attention.self.query`);
    linear(`${p}.attn.key`, `${hf}.attention.self.key`);
    linear(`${p}.attn.value`, `${hf}.attention.self.value`);
    linear(`${p}.attn.out`, `${hf}.attention.output.dense`);
    layerNorm(`${p}.attn.ln`, `${hf}.attention.output.LayerNorm`);
    linear(`${p}.mlp.in`, `${hf}.intermediate.dense`);
    linear(`${p}.mlp.out`, `${hf}.output.dense`);
    layerNorm(`${p}.mlp.ln`, `${hf}.output.LayerNorm`);
  }
  // Some sentence-embedding checkpoints have no pooler: it then starts fresh, as HF's does.
  if (pooling === 'cls') linear('pooler', 'pooler.dense', true);
  rows.push({ name: 'head.weight', hfName: 'classifier.weight', transpose: true, part: 'head' });
  rows.push({ name: 'head.bias', hfName: 'classifier.bias', transpose: false, part: 'head' });
  return rows;
}

export const bert: EncoderFamily<BertConfig> = {
  modelTypes: ['bert'],
  covers: 'BERT, MiniLM, BGE-small, GTE-small and other BertModel checkpoints',
  architecture: 'BertForSequenceClassification',
  basePrefix: 'bert.',
  defaultPooling: 'cls',
  tokenizerFiles: [
    {
      files: ['vocab.txt'],
      build: (files, tokenizerConfig) =>
        bertTokenizerJson(readVocabTxt(files.get('vocab.txt')!), bertTokenizerOptions(tokenizerConfig)),
    },
  ],
  readConfig,
  params: bertParams,
  table: bertTable,
  build: (config, pooling, seed, weights) => new BertEncoder(config, pooling, seed, weights),
  exportConfig(b, pooling) {
    // BertForSequenceClassification pools through [CLS] and its pooler only.
    if (pooling !== 'cls')
      return { refused: "HF's BertForSequenceClassification pools through [CLS] and its pooler only" };
    return {
      vocab_size: b.vocabSize,
      hidden_size: b.hiddenSize,
      num_hidden_layers: b.numLayers,
      num_attention_heads: b.numHeads,
      intermediate_size: b.intermediateSize,
      hidden_act: b.hiddenAct,
      max_position_embeddings: b.maxPositions,
      type_vocab_size: b.typeVocabSize,
      layer_norm_eps: b.layerNormEps,
      pad_token_id: b.padTokenId,
      position_embedding_type: 'absolute',
      initializer_range: 0.02,
      // RM Lab trained with dropout off; saying so keeps further training in Python the same model.
      hidden_dropout_prob: 0.0,
      attention_probs_dropout_prob: 0.0,
      classifier_dropout: null,
    };
  },
};
