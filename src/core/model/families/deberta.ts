// DeBERTa-v2 and DeBERTa-v3 (model_type 'deberta-v2'; OpenAssistant's reward-model-deberta-v3-*):
// config.json -> DebertaConfig (encoders/deberta-config.ts), HF's tensor names under 'deberta.', the
// encoder (encoders/deberta.ts) and the export as DebertaV2ForSequenceClassification, whose
// ContextPooler ('pooler.dense', at the top of the checkpoint, not inside the base model) and
// `classifier` read [CLS]. The tokenizer is the repository's tokenizer.json (SentencePiece Unigram,
// its post-processor "[CLS] A [SEP] B [SEP]"); a repository with only spm.model is refused, naming
// the file RM Lab needs.
import type { Pooling } from '../encoders/encoder.ts';
import { readDebertaConfig, type DebertaConfig } from '../encoders/deberta-config.ts';
import { DebertaEncoder, debertaParams } from '../encoders/deberta.ts';
import { BERT_SPECIAL_TOKENS, linearRows, POOLED_THROUGH_CLS } from './bert.ts';
import type { EncoderFamily, TensorMapping } from './family.ts';

const ARCHITECTURE = 'DebertaV2ForSequenceClassification';

/** DebertaV2Model's tensor names in its state_dict order, then the pooler ('cls') and the classifier. */
function table(config: DebertaConfig, pooling: Pooling): TensorMapping[] {
  const rows: TensorMapping[] = [];
  const same = (name: string, hfName: string) => rows.push({ name, hfName, transpose: false, part: 'encoder' });
  const linear = (name: string, hf: string) => linearRows(rows, name, hf, 'encoder');
  const layerNorm = (name: string, hf: string) => {
    same(`${name}.gamma`, `${hf}.weight`);
    same(`${name}.beta`, `${hf}.bias`);
  };
  const names = new Set(debertaParams(config, pooling).map((p) => p.name));
  same('embeddings.word', 'embeddings.word_embeddings.weight');
  if (names.has('embeddings.position')) same('embeddings.position', 'embeddings.position_embeddings.weight');
  if (names.has('embeddings.token_type')) same('embeddings.token_type', 'embeddings.token_type_embeddings.weight');
  if (names.has('embeddings.project.weight')) {
    rows.push({
      name: 'embeddings.project.weight',
      hfName: 'embeddings.embed_proj.weight',
      transpose: true,
      part: 'encoder',
    });
  }
  layerNorm('embeddings.ln', 'embeddings.LayerNorm');
  for (let l = 0; l < config.numLayers; l++) {
    const [p, hf] = [`layers.${l}`, `encoder.layer.${l}`];
    linear(`${p}.attn.query`, `${hf}.attention.self.query_proj`);
    linear(`${p}.attn.key`, `${hf}.attention.self.key_proj`);
    linear(`${p}.attn.value`, `${hf}.attention.self.value_proj`);
    if (names.has(`${p}.attn.pos_key.weight`)) linear(`${p}.attn.pos_key`, `${hf}.attention.self.pos_key_proj`);
    if (names.has(`${p}.attn.pos_query.weight`)) linear(`${p}.attn.pos_query`, `${hf}.attention.self.pos_query_proj`);
    linear(`${p}.attn.out`, `${hf}.attention.output.dense`);
    layerNorm(`${p}.attn.ln`, `${hf}.attention.output.LayerNorm`);
    linear(`${p}.mlp.in`, `${hf}.intermediate.dense`);
    linear(`${p}.mlp.out`, `${hf}.output.dense`);
    layerNorm(`${p}.mlp.ln`, `${hf}.output.LayerNorm`);
  }
  if (names.has('relative.embeddings')) same('relative.embeddings', 'encoder.rel_embeddings.weight');
  if (names.has('relative.ln.gamma')) layerNorm('relative.ln', 'encoder.LayerNorm');
  // A bare DebertaV2Model (deberta-v3-base is a masked LM) has no pooler: it starts fresh, as HF's does.
  if (pooling === 'cls') linearRows(rows, 'pooler', 'pooler.dense', 'head', true);
  linearRows(rows, 'head', 'classifier', 'head');
  return rows;
}

/** DebertaV2Config's fields as transformers writes them, with dropout off as RM Lab trained. */
function exportConfig(c: DebertaConfig): Record<string, unknown> {
  return {
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: c.hiddenAct,
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: c.padTokenId,
    embedding_size: c.embeddingSize ?? c.hiddenSize,
    position_biased_input: c.positionBiasedInput,
    relative_attention: c.relativeAttention,
    max_relative_positions: c.maxRelativePositions,
    position_buckets: c.positionBuckets,
    pos_att_type: c.posAttTypes,
    share_att_key: c.shareAttKey,
    norm_rel_ebd: c.normRelEmbeddings ? 'layer_norm' : 'none',
    pooler_hidden_size: c.hiddenSize,
    pooler_hidden_act: c.poolerActivation,
    initializer_range: 0.02,
    // RM Lab trained with dropout off; saying so keeps further training in Python the same model.
    hidden_dropout_prob: 0.0,
    attention_probs_dropout_prob: 0.0,
    pooler_dropout: 0,
  };
}

export const deberta: EncoderFamily<DebertaConfig> = {
  modelTypes: ['deberta-v2'],
  covers: 'DeBERTa-v2 and DeBERTa-v3 with their tokenizer.json, and their reward models',
  architecture: ARCHITECTURE,
  basePrefix: 'deberta.',
  defaultPooling: 'cls',
  tokenizerClass: 'DebertaV2TokenizerFast',
  specialTokens: BERT_SPECIAL_TOKENS,
  // Only spm.model (SentencePiece's protobuf) besides tokenizer.json: RM Lab reads tokenizer.json.
  tokenizerFiles: [],
  sentencePieceFile: 'spm.model',
  readConfig: readDebertaConfig,
  params: debertaParams,
  table,
  build: (config, pooling, seed, weights) => new DebertaEncoder(config, pooling, seed, weights),
  exportConfig(c, pooling) {
    if (pooling !== 'cls') return { refused: POOLED_THROUGH_CLS(ARCHITECTURE) };
    return exportConfig(c);
  },
};
