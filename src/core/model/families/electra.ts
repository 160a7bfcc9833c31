// ELECTRA discriminators (model_type 'electra'): BERT's layers under 'electra.', with embeddings
// embedding_size wide (128 in electra-small, against a hidden size of 256) projected to the hidden
// size by embeddings_project, and no pooler: ElectraForSequenceClassification puts
// out_proj(gelu(dense(x[:, 0]))) on the first token ([CLS]), gelu where BERT's pooler has tanh.
// The tokenizer is BERT's WordPiece (tokenizer.json or vocab.txt), pairs "[CLS] A [SEP] B [SEP]".
import type { BertConfig } from '../encoders/bert-config.ts';
import { BertEncoder, bertParams } from '../encoders/bert.ts';
import {
  bert,
  BERT_SPECIAL_TOKENS,
  bertStyleExport,
  bertStyleTable,
  POOLED_THROUGH_CLS,
  readBertStyleConfig,
} from './bert.ts';
import { configFields, type EncoderFamily } from './family.ts';

const ARCHITECTURE = 'ElectraForSequenceClassification';

export const electra: EncoderFamily<BertConfig> = {
  modelTypes: ['electra'],
  covers: 'ELECTRA discriminators and their classifiers',
  architecture: ARCHITECTURE,
  basePrefix: 'electra.',
  defaultPooling: 'cls',
  tokenizerClass: 'ElectraTokenizerFast',
  specialTokens: BERT_SPECIAL_TOKENS,
  tokenizerFiles: bert.tokenizerFiles,
  readConfig(c, special) {
    const config = readBertStyleConfig(c, special, 'electra', 'ELECTRA');
    // ElectraConfig's default embedding_size is 128; checkpoints write it.
    const embeddingSize = configFields(c).int('embedding_size', 128);
    return {
      ...config,
      poolerActivation: 'gelu',
      ...(embeddingSize !== config.hiddenSize ? { embeddingSize } : {}),
    };
  },
  params: bertParams,
  table: (config, pooling) =>
    bertStyleTable(config, pooling, {
      pooler: { hfName: 'classifier.dense', part: 'head' },
      head: 'classifier.out_proj',
      projection: 'embeddings_project',
    }),
  build: (config, pooling, seed, weights) => new BertEncoder(config, pooling, seed, weights),
  exportConfig(b, pooling) {
    if (pooling !== 'cls') return { refused: POOLED_THROUGH_CLS(ARCHITECTURE) };
    return { ...bertStyleExport(b), embedding_size: b.embeddingSize ?? b.hiddenSize, summary_type: 'first' };
  },
};
