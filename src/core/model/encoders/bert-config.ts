// The shape of a BERT-style encoder, as read from a checkpoint's config.json by its family
// (families/: BERT, MiniLM, BGE-small, GTE-small; DistilBERT; RoBERTa and XLM-RoBERTa; ELECTRA).
// They share BERT's post-LayerNorm layers and differ in their embeddings and in the head their
// *ForSequenceClassification puts on the first token; the optional fields below say how, and are
// absent for BERT (so models stored before the other families read as BERT still).

export interface BertConfig {
  /** config.json's model_type, e.g. 'bert', 'roberta': the family (families/registry.ts) is found by it. */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  /** max_position_embeddings: the rows of the position table (see positionOffset for the longest sequence). */
  maxPositions: number;
  /**
   * type_vocab_size: segment (token type) embeddings; 2 for BERT, prompt = 0 and response = 1;
   * 1 for RoBERTa (every token type 0); 0 for DistilBERT, which has no such table.
   */
  typeVocabSize: number;
  layerNormEps: number;
  /** 'gelu' is the exact erf form (BERT's), 'gelu_new' the tanh approximation. */
  hiddenAct: 'gelu' | 'gelu_new' | 'relu';
  /** The tokenizer's [SEP] id: token type ids are 0 up to the first [SEP] and 1 after it. */
  sepTokenId: number;
  padTokenId: number;
  /**
   * The first position id (RoBERTa, XLM-RoBERTa: padding_idx + 1, as create_position_ids_from_input_ids
   * numbers tokens after the padding row). A sequence reads at most maxPositions - positionOffset
   * tokens. Absent: 0.
   */
  positionOffset?: number;
  /**
   * ELECTRA's embedding_size when it differs from hidden_size: the embeddings are that wide and
   * embeddings_project maps them to the hidden size. Absent: hiddenSize.
   */
  embeddingSize?: number;
  /**
   * The activation on the first token's dense layer that *ForSequenceClassification puts before its
   * output: tanh (BERT's pooler, RoBERTa's classifier.dense), gelu (ELECTRA's), relu (DistilBERT's
   * pre_classifier). Absent: tanh.
   */
  poolerActivation?: 'tanh' | 'gelu' | 'relu';
  /**
   * DistilBERT's sinusoidal_pos_embds: the position table is the fixed sine/cosine table
   * (sinusoidalPositions), never trained, as HF sets requires_grad False on it. Absent: learned.
   */
  fixedPositions?: 'sinusoidal';
}

/**
 * HF's create_sinusoidal_embeddings (modeling_distilbert.py): for position p and column j,
 * angle = p / 10000^(2 (j // 2) / dim); even columns take sin, odd ones cos. [positions, dim], row-major.
 */
export function sinusoidalPositions(positions: number, dim: number): Float32Array {
  const out = new Float32Array(positions * dim);
  for (let p = 0; p < positions; p++) {
    for (let j = 0; j < dim; j++) {
      const angle = p / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[p * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

/** The longest sequence an encoder of this config reads: its position table less the offset. */
export function longestSequence(config: BertConfig): number {
  return config.maxPositions - (config.positionOffset ?? 0);
}
