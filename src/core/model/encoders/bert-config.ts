// The shape of a BERT-family encoder (BERT, MiniLM, BGE-small, GTE-small), as read from a
// checkpoint's config.json. Filled by readBertConfig (hf-checkpoint.ts), which refuses
// architectures it cannot build.

export interface BertConfig {
  /** config.json's model_type, e.g. 'bert'. */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  /** max_position_embeddings: the longest sequence the position table covers. */
  maxPositions: number;
  /** type_vocab_size: segment (token type) embeddings; 2 for BERT, prompt = 0 and response = 1. */
  typeVocabSize: number;
  layerNormEps: number;
  /** 'gelu' is the exact erf form (BERT's), 'gelu_new' the tanh approximation. */
  hiddenAct: 'gelu' | 'gelu_new' | 'relu';
  /** The tokenizer's [SEP] id: token type ids are 0 up to the first [SEP] and 1 after it. */
  sepTokenId: number;
  padTokenId: number;
}
