// BERT (model_type 'bert': BERT, MiniLM, BGE-small, GTE-small and other BertModel checkpoints):
// config.json -> BertConfig, HF's tensor names, the encoder (encoders/bert.ts), the export as
// BertForSequenceClassification, and the tokenizer built from vocab.txt when a repository has no
// tokenizer.json. A reward reads "[CLS] prompt [SEP] response [SEP]" with segment ids 0 then 1.
import { bertTokenizerJson, bertTokenizerOptions, readVocabTxt } from '../bert-tokenizer.ts';
import type { BertConfig } from '../encoders/bert-config.ts';
import { BertEncoder, bertParams } from '../encoders/bert.ts';
import type { Pooling } from '../encoders/encoder.ts';
import {
  checkSpecialIds,
  configFields,
  readActivation,
  type EncoderFamily,
  type SpecialIds,
  type TensorMapping,
} from './family.ts';

/**
 * config.json (model_type 'bert') -> BertConfig. Defaults are HF BertConfig's for the optional
 * fields checkpoints sometimes omit; `special` holds the tokenizer's [SEP] and [PAD] ids.
 */
function readConfig(c: Record<string, unknown>, special: SpecialIds): BertConfig {
  return readBertStyleConfig(c, special, 'bert', 'BERT');
}

/**
 * A BertConfig-shaped config.json (BERT, RoBERTa, ELECTRA use BertConfig's field names and
 * defaults): the shared fields, checked, with HF's defaults for those checkpoints omit.
 */
export function readBertStyleConfig(
  c: Record<string, unknown>,
  special: SpecialIds,
  modelType: string,
  name: string,
): BertConfig {
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
  if (c.is_decoder === true)
    throw new Error(`config.json: is_decoder is true; RM Lab builds ${name} as an encoder only`);
  const hiddenAct = readActivation('hidden_act', c.hidden_act ?? 'gelu');
  const layerNormEps = positive('layer_norm_eps', 1e-12);
  const vocabSize = int('vocab_size');
  checkSpecialIds(special, vocabSize);
  return {
    modelType,
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

/** Where a BERT-style family keeps what BertModel keeps elsewhere (HF names). */
export interface BertStyleNames {
  /** The first-token dense layer of 'cls' pooling: BERT's pooler inside the base model, or a head's dense layer at the top. */
  pooler: { hfName: string; part: 'encoder' | 'head' };
  /** The reward head: the last Linear of *ForSequenceClassification. */
  head: string;
  /** ELECTRA's embeddings_project, inside the base model, when the config has one. */
  projection?: string;
}

/** Appends a Linear's two rows (weight transposed) to a table. */
export function linearRows(rows: TensorMapping[], name: string, hf: string, part: 'encoder' | 'head', fresh = false) {
  rows.push({ name: `${name}.weight`, hfName: `${hf}.weight`, transpose: true, part, ...(fresh ? { fresh } : {}) });
  rows.push({ name: `${name}.bias`, hfName: `${hf}.bias`, transpose: false, part, ...(fresh ? { fresh } : {}) });
}

/**
 * The tensor table of a BertModel-shaped encoder (BERT, RoBERTa, ELECTRA) in HF's state_dict order:
 * embeddings, each layer, the first-token dense layer ('cls' only), then the head.
 */
export function bertStyleTable(config: BertConfig, pooling: Pooling, names: BertStyleNames): TensorMapping[] {
  const rows: TensorMapping[] = [];
  const same = (name: string, hfName: string) => rows.push({ name, hfName, transpose: false, part: 'encoder' });
  const linear = (name: string, hf: string) => linearRows(rows, name, hf, 'encoder');
  const layerNorm = (name: string, hf: string) => {
    same(`${name}.gamma`, `${hf}.weight`);
    same(`${name}.beta`, `${hf}.bias`);
  };
  same('embeddings.word', 'embeddings.word_embeddings.weight');
  same('embeddings.position', 'embeddings.position_embeddings.weight');
  if (config.typeVocabSize > 0) same('embeddings.token_type', 'embeddings.token_type_embeddings.weight');
  layerNorm('embeddings.ln', 'embeddings.LayerNorm');
  const E = config.embeddingSize ?? config.hiddenSize;
  if (E !== config.hiddenSize) {
    if (!names.projection) throw new Error(`${config.modelType} has no projection from embedding_size to hidden_size`);
    linear('embeddings.project', names.projection);
  }
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
  // A bare-model checkpoint may lack it (BERT sentence-embedding exports; every RoBERTa or ELECTRA
  // base model, whose classification head is not pretrained): it then starts fresh, as HF's does.
  if (pooling === 'cls') linearRows(rows, 'pooler', names.pooler.hfName, names.pooler.part, true);
  linearRows(rows, 'head', names.head, 'head');
  return rows;
}

/** BertModel's tensor names: the pooler inside the base model, the classifier at the top. */
export function bertTable(config: BertConfig, pooling: Pooling): TensorMapping[] {
  return bertStyleTable(config, pooling, { pooler: { hfName: 'pooler.dense', part: 'encoder' }, head: 'classifier' });
}

/** BERT's WordPiece special tokens, which DistilBERT and ELECTRA share. */
export const BERT_SPECIAL_TOKENS = {
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  mask_token: '[MASK]',
};

export const bert: EncoderFamily<BertConfig> = {
  modelTypes: ['bert'],
  covers: 'BERT, MiniLM, BGE-small, GTE-small and other BertModel checkpoints',
  architecture: 'BertForSequenceClassification',
  basePrefix: 'bert.',
  defaultPooling: 'cls',
  tokenizerClass: 'BertTokenizerFast',
  specialTokens: BERT_SPECIAL_TOKENS,
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
    if (pooling !== 'cls') return { refused: POOLED_THROUGH_CLS('BertForSequenceClassification') };
    return bertStyleExport(b);
  },
};

/** Why a mean- or last-pooled model has no *ForSequenceClassification: those classes read the first token only. */
export const POOLED_THROUGH_CLS = (architecture: string) =>
  `HF's ${architecture} pools through [CLS] and its pooler only`;

/** BertConfig's fields as transformers writes them, with dropout off as RM Lab trained. */
export function bertStyleExport(b: BertConfig): Record<string, unknown> {
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
}
