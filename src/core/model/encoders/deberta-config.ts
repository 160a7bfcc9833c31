// The shape of a DeBERTa-v2/v3 encoder (model_type 'deberta-v2', which DeBERTa-v3 checkpoints and
// OpenAssistant's reward-model-deberta-v3-* carry), read from config.json as transformers'
// DebertaV2Config and modeling_deberta_v2.py read it. It is a BertConfig (the same post-LayerNorm
// layers, embeddings and first-token head), with the fields of the disentangled attention beside it.
import type { BertConfig } from './bert-config.ts';
import { checkSpecialIds, configFields, readActivation, type SpecialIds } from '../families/family.ts';

/** The relative-position terms of the attention score (pos_att_type): content->position and position->content. */
export type PositionAttention = 'c2p' | 'p2c';

export interface DebertaConfig extends BertConfig {
  modelType: 'deberta-v2';
  /** position_biased_input: absolute position embeddings added to the word embeddings (v2: true; v3: false). */
  positionBiasedInput: boolean;
  /** relative_attention: the c2p / p2c terms over the shared relative embeddings (v3: true). */
  relativeAttention: boolean;
  /** max_relative_positions, or max_position_embeddings where config.json has it < 1 (HF's rule). */
  maxRelativePositions: number;
  /** position_buckets (v3: 256): log-bucketed relative positions; -1 for none. */
  positionBuckets: number;
  /** pos_att_type ("p2c|c2p" in v3's config.json). Its count also widens the scale: sqrt(hs * (1 + count)). */
  posAttTypes: PositionAttention[];
  /** share_att_key: the relative embeddings go through the layer's own query and key projections (v3). */
  shareAttKey: boolean;
  /** norm_rel_ebd contains 'layer_norm': the relative embeddings pass a LayerNorm first (v3). */
  normRelEmbeddings: boolean;
  /** DeBERTa's LayerNorm eps and pooler activation are its own defaults (1e-7, gelu); typeVocabSize defaults to 0. */
  poolerActivation: 'tanh' | 'gelu' | 'relu';
}

/**
 * The rows of the relative embedding table, which is 2 x this (HF's pos_ebd_size): the bucket
 * count where positions are bucketed, else max_relative_positions. Relative positions are clamped
 * to [-span, span) before they index it.
 */
export function attentionSpan(c: DebertaConfig): number {
  return c.positionBuckets > 0 ? c.positionBuckets : c.maxRelativePositions;
}

/** pos_att_type as DebertaV2Config reads it: a list, or "p2c|c2p" split on '|'; refuses what v2 does not compute. */
function readPosAttTypes(value: unknown): PositionAttention[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? value.toLowerCase().split('|') : value;
  if (!Array.isArray(list))
    throw new Error(`config.json: pos_att_type must be a list or "p2c|c2p", got ${JSON.stringify(value)}`);
  const types = list.map((t) => String(t).trim().toLowerCase()).filter((t) => t !== '');
  for (const t of types) {
    if (t !== 'c2p' && t !== 'p2c') {
      throw new Error(
        `config.json: pos_att_type ${JSON.stringify(t)} is not supported; DeBERTa-v2 computes c2p and p2c`,
      );
    }
  }
  return [...new Set(types)] as PositionAttention[];
}

function flag(c: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const v = c[field] ?? fallback;
  if (typeof v !== 'boolean') throw new Error(`config.json: ${field} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** A whole number that may be -1 or 0 for "none" (max_relative_positions, position_buckets). */
function optionalCount(c: Record<string, unknown>, field: string): number {
  const v = c[field] ?? -1;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new Error(`config.json: ${field} must be a whole number (-1 for none), got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * config.json (model_type 'deberta-v2') -> DebertaConfig, with DebertaV2Config's defaults for what a
 * checkpoint omits. What RM Lab does not build is refused by name: the convolution layer of
 * deberta-v2-xlarge (conv_kernel_size), a head size or pooler width other than the hidden size's.
 */
export function readDebertaConfig(c: Record<string, unknown>, special: SpecialIds): DebertaConfig {
  const { int, positive } = configFields(c);
  const hiddenSize = int('hidden_size', 1536);
  const numHeads = int('num_attention_heads', 24);
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`config.json: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);
  }
  if (c.attention_head_size !== undefined && c.attention_head_size !== hiddenSize / numHeads) {
    throw new Error(
      `config.json: attention_head_size ${JSON.stringify(c.attention_head_size)} is not hidden_size / num_attention_heads; RM Lab builds that head size only`,
    );
  }
  if (((c.conv_kernel_size as number | undefined) ?? 0) > 0) {
    throw new Error(
      `config.json: conv_kernel_size ${JSON.stringify(c.conv_kernel_size)} asks for DeBERTa-v2's convolution layer, which RM Lab does not build`,
    );
  }
  if (c.pooler_hidden_size !== undefined && c.pooler_hidden_size !== hiddenSize) {
    throw new Error(
      `config.json: pooler_hidden_size ${JSON.stringify(c.pooler_hidden_size)} differs from hidden_size ${hiddenSize}; RM Lab builds the pooler as wide as the model`,
    );
  }
  const vocabSize = int('vocab_size', 128100);
  checkSpecialIds(special, vocabSize);
  const maxPositions = int('max_position_embeddings', 512);
  const maxRelative = optionalCount(c, 'max_relative_positions');
  const embeddingSize = int('embedding_size', hiddenSize);
  const normRel = String(c.norm_rel_ebd ?? 'none')
    .toLowerCase()
    .split('|')
    .map((s) => s.trim());
  const poolerActivation = readActivation('pooler_hidden_act', c.pooler_hidden_act ?? 'gelu');
  if (poolerActivation === 'gelu_new') {
    throw new Error('config.json: pooler_hidden_act "gelu_new" is not supported; RM Lab supports gelu, tanh and relu');
  }
  return {
    modelType: 'deberta-v2',
    vocabSize,
    hiddenSize,
    numLayers: int('num_hidden_layers', 24),
    numHeads,
    intermediateSize: int('intermediate_size', 6144),
    maxPositions,
    typeVocabSize: int('type_vocab_size', 0, 0),
    layerNormEps: positive('layer_norm_eps', 1e-7),
    hiddenAct: readActivation('hidden_act', c.hidden_act ?? 'gelu'),
    sepTokenId: special.sepTokenId,
    padTokenId: special.padTokenId,
    ...(embeddingSize !== hiddenSize ? { embeddingSize } : {}),
    poolerActivation,
    positionBiasedInput: flag(c, 'position_biased_input', true),
    relativeAttention: flag(c, 'relative_attention', false),
    maxRelativePositions: maxRelative < 1 ? maxPositions : maxRelative,
    positionBuckets: optionalCount(c, 'position_buckets'),
    posAttTypes: readPosAttTypes(c.pos_att_type),
    shareAttKey: flag(c, 'share_att_key', false),
    normRelEmbeddings: normRel.includes('layer_norm'),
  };
}

/** Whether a config (a stored spec's) is DeBERTa's. */
export function isDebertaConfig(c: BertConfig): c is DebertaConfig {
  return c.modelType === 'deberta-v2';
}
