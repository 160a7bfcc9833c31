// DistilBERT (model_type 'distilbert'): BERT's post-LayerNorm layers under its own names
// ('distilbert.transformer.layer.N.attention.q_lin', 'ffn.lin1', 'sa_layer_norm', ...), config.json
// in its own words (dim, n_layers, n_heads, hidden_dim, activation), no token-type embeddings and no
// pooler: DistilBertForSequenceClassification puts classifier(relu(pre_classifier(x[:, 0]))) on the
// first token. LayerNorm eps is 1e-12, fixed in modeling_distilbert.py. The tokenizer is BERT's
// WordPiece (tokenizer.json or vocab.txt); a pair reads "[CLS] A [SEP] B [SEP]" with no segment ids.
// With sinusoidal_pos_embds the position table is HF's fixed sine/cosine table (the checkpoint's,
// or built when it has none, as HF's _init_weights builds it) and never trains (freezing.ts).
import type { BertConfig } from '../encoders/bert-config.ts';
import { BertEncoder, bertParams } from '../encoders/bert.ts';
import type { Pooling } from '../encoders/encoder.ts';
import { bert, BERT_SPECIAL_TOKENS, linearRows, POOLED_THROUGH_CLS } from './bert.ts';
import { checkSpecialIds, configFields, readActivation, type EncoderFamily, type TensorMapping } from './family.ts';

const ARCHITECTURE = 'DistilBertForSequenceClassification';

function readConfig(c: Record<string, unknown>, special: { sepTokenId: number; padTokenId: number }): BertConfig {
  const { int } = configFields(c);
  // DistilBertConfig's defaults, for the fields a checkpoint may omit.
  const hiddenSize = int('dim', 768);
  const numHeads = int('n_heads', 12);
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`config.json: dim ${hiddenSize} is not divisible by n_heads ${numHeads}`);
  }
  const vocabSize = int('vocab_size', 30522);
  checkSpecialIds(special, vocabSize);
  return {
    modelType: 'distilbert',
    vocabSize,
    hiddenSize,
    numLayers: int('n_layers', 6),
    numHeads,
    intermediateSize: int('hidden_dim', 3072),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: 0,
    layerNormEps: 1e-12,
    hiddenAct: readActivation('activation', c.activation ?? 'gelu'),
    sepTokenId: special.sepTokenId,
    padTokenId: special.padTokenId,
    poolerActivation: 'relu',
    ...(c.sinusoidal_pos_embds === true ? { fixedPositions: 'sinusoidal' as const } : {}),
  };
}

/** DistilBertModel's tensor names in its state_dict order, then pre_classifier ('cls') and classifier. */
function table(config: BertConfig, pooling: Pooling): TensorMapping[] {
  const rows: TensorMapping[] = [];
  const same = (name: string, hfName: string) => rows.push({ name, hfName, transpose: false, part: 'encoder' });
  const layerNorm = (name: string, hf: string) => {
    same(`${name}.gamma`, `${hf}.weight`);
    same(`${name}.beta`, `${hf}.bias`);
  };
  same('embeddings.word', 'embeddings.word_embeddings.weight');
  same('embeddings.position', 'embeddings.position_embeddings.weight');
  layerNorm('embeddings.ln', 'embeddings.LayerNorm');
  for (let l = 0; l < config.numLayers; l++) {
    const [p, hf] = [`layers.${l}`, `transformer.layer.${l}`];
    linearRows(rows, `${p}.attn.query`, `${hf}.attention.q_lin`, 'encoder');
    linearRows(rows, `${p}.attn.key`, `${hf}.attention.k_lin`, 'encoder');
    linearRows(rows, `${p}.attn.value`, `${hf}.attention.v_lin`, 'encoder');
    linearRows(rows, `${p}.attn.out`, `${hf}.attention.out_lin`, 'encoder');
    layerNorm(`${p}.attn.ln`, `${hf}.sa_layer_norm`);
    linearRows(rows, `${p}.mlp.in`, `${hf}.ffn.lin1`, 'encoder');
    linearRows(rows, `${p}.mlp.out`, `${hf}.ffn.lin2`, 'encoder');
    layerNorm(`${p}.mlp.ln`, `${hf}.output_layer_norm`);
  }
  // A bare DistilBertModel has no pre_classifier: it starts fresh, as HF's does.
  if (pooling === 'cls') linearRows(rows, 'pooler', 'pre_classifier', 'head', true);
  linearRows(rows, 'head', 'classifier', 'head');
  return rows;
}

export const distilbert: EncoderFamily<BertConfig> = {
  modelTypes: ['distilbert'],
  covers: 'DistilBERT and its classifiers',
  architecture: ARCHITECTURE,
  basePrefix: 'distilbert.',
  defaultPooling: 'cls',
  tokenizerClass: 'DistilBertTokenizerFast',
  specialTokens: BERT_SPECIAL_TOKENS,
  tokenizerFiles: bert.tokenizerFiles,
  readConfig,
  params: bertParams,
  table,
  build: (config, pooling, seed, weights) => new BertEncoder(config, pooling, seed, weights),
  exportConfig(b, pooling) {
    if (pooling !== 'cls') return { refused: POOLED_THROUGH_CLS(ARCHITECTURE) };
    return {
      vocab_size: b.vocabSize,
      dim: b.hiddenSize,
      n_layers: b.numLayers,
      n_heads: b.numHeads,
      hidden_dim: b.intermediateSize,
      activation: b.hiddenAct,
      max_position_embeddings: b.maxPositions,
      sinusoidal_pos_embds: b.fixedPositions === 'sinusoidal',
      pad_token_id: b.padTokenId,
      initializer_range: 0.02,
      // RM Lab trained with dropout off.
      dropout: 0.0,
      attention_dropout: 0.0,
      seq_classif_dropout: 0.0,
    };
  },
};
