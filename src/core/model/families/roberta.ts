// RoBERTa and XLM-RoBERTa (model_type 'roberta', 'xlm-roberta'): BERT's layers under 'roberta.',
// with three differences that change the numbers. Positions start at padding_idx + 1 (RoBERTa's
// create_position_ids_from_input_ids), so its 514-row table reads 512 tokens; there is one token
// type (type_vocab_size 1); and RobertaForSequenceClassification ignores the pooler, putting its
// own head on the first token (<s>): out_proj(tanh(dense(x[:, 0]))). The tokenizer is byte-level
// BPE (RoBERTa: tokenizer.json, or vocab.json + merges.txt) or SentencePiece Unigram (XLM-RoBERTa:
// tokenizer.json), and a pair reads "<s> prompt </s></s> response </s>" (its post-processor's).
import type { BertConfig } from '../encoders/bert-config.ts';
import { BertEncoder, bertParams } from '../encoders/bert.ts';
import { bertStyleExport, bertStyleTable, POOLED_THROUGH_CLS, readBertStyleConfig } from './bert.ts';
import { byteLevelBpeTokenizerJson } from './byte-level-bpe.ts';
import { configFields, type EncoderFamily } from './family.ts';

/** config.json -> BertConfig with RoBERTa's position offset and first-token head. */
function readConfig(modelType: 'roberta' | 'xlm-roberta') {
  return (c: Record<string, unknown>, special: { sepTokenId: number; padTokenId: number }): BertConfig => {
    // RobertaConfig's defaults differ from BertConfig's only in the special token ids.
    const config = readBertStyleConfig(c, special, modelType, modelType === 'roberta' ? 'RoBERTa' : 'XLM-RoBERTa');
    const paddingIdx = configFields(c).int('pad_token_id', 1, 0);
    if (paddingIdx + 1 >= config.maxPositions) {
      throw new Error(
        `config.json: max_position_embeddings ${config.maxPositions} leaves no position after the padding offset ${paddingIdx + 1}`,
      );
    }
    return { ...config, positionOffset: paddingIdx + 1 };
  };
}

function family(modelType: 'roberta' | 'xlm-roberta', architecture: string, covers: string): EncoderFamily<BertConfig> {
  return {
    modelTypes: [modelType],
    covers,
    architecture,
    basePrefix: 'roberta.',
    defaultPooling: 'cls',
    tokenizerClass: modelType === 'roberta' ? 'RobertaTokenizerFast' : 'XLMRobertaTokenizerFast',
    specialTokens: {
      cls_token: '<s>',
      sep_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      mask_token: '<mask>',
    },
    ...(modelType === 'xlm-roberta' ? { sentencePieceFile: 'sentencepiece.bpe.model' } : {}),
    tokenizerFiles:
      modelType === 'roberta'
        ? [{ files: ['vocab.json', 'merges.txt'], build: (files, config) => byteLevelBpeTokenizerJson(files, config) }]
        : [],
    readConfig: readConfig(modelType),
    params: bertParams,
    table: (config, pooling) =>
      bertStyleTable(config, pooling, {
        pooler: { hfName: 'classifier.dense', part: 'head' },
        head: 'classifier.out_proj',
      }),
    build: (config, pooling, seed, weights) => new BertEncoder(config, pooling, seed, weights),
    exportConfig(b, pooling) {
      if (pooling !== 'cls') return { refused: POOLED_THROUGH_CLS(architecture) };
      // max_position_embeddings is the table's rows (514 for 512 tokens); pad_token_id sets the offset.
      return { ...bertStyleExport(b), pad_token_id: (b.positionOffset ?? 1) - 1, bos_token_id: 0, eos_token_id: 2 };
    },
  };
}

export const roberta = family(
  'roberta',
  'RobertaForSequenceClassification',
  'RoBERTa, DistilRoBERTa and their reward models',
);

export const xlmRoberta = family(
  'xlm-roberta',
  'XLMRobertaForSequenceClassification',
  'XLM-RoBERTa, multilingual, with its tokenizer.json',
);
