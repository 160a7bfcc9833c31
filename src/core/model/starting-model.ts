// The model a run starts from, for the worker and the CLI alike: the built-in encoder (its word
// embeddings seeded with the bundled vectors under embeddingInit 'glove'), a pretrained encoder
// (opened by the caller, who knows where files come from: the browser's cache, a picked folder, the
// disk), or a resumed run's checkpoint. The weights are made by `create`, once the caller has chosen
// the tfjs backend they must live on.
import { checkMaxLength, type PretrainedEncoder } from './pretrained.ts';
import {
  modelSpecFor,
  RewardModel,
  withLengthReward,
  type ModelSpec,
  type NamedWeight,
  type TokenizerFiles,
} from './reward-model.ts';
import { builtinTokenizer, PairTokenizer, tokenizerFor } from './tokenizer.ts';
import { buildRunTokenizer } from './run-vocabulary.ts';
import {
  builtinVocabulary,
  loadWordVectorTable,
  wordVectorCoverage,
  wordVectorsFor,
  type WordVectors,
} from './word-vectors.ts';
import { parseEncoderSource, TrainConfigError, type TrainConfig } from '../train/config.ts';
import { withLora } from './lora.ts';

export interface StartingModel {
  spec: ModelSpec;
  tokenizer: PairTokenizer;
  /** A pretrained encoder's tokenizer files: they travel with its checkpoints and model file. */
  tokenizerFiles?: TokenizerFiles;
  /** The reward model's weights on the current backend: call once, after choosing the backend. */
  create(): Promise<RewardModel>;
  /**
   * The share of the training split's running tokens that start from a bundled word vector (the
   * built-in encoder under GloVe word vectors; absent otherwise).
   */
  vectorCoverage?(): Promise<{ tokens: number; covered: number }>;
}

export interface StartingModelOptions {
  /** Reads a pretrained encoder's folder, wherever the caller finds it. */
  openPretrained(encoder: string, pooling: TrainConfig['pooling']): Promise<PretrainedEncoder>;
  /** How the caller's user names Max tokens, for the message when it outgrows the encoder ('--max-length'). */
  maxLengthName: string;
  /** A resumed run's checkpoint: spec, tokenizer and weights all come from it (no file is read). */
  checkpoint?: { spec: ModelSpec; tokenizer?: TokenizerFiles; weights: NamedWeight[] };
  /**
   * The prompts and responses of the run's training split: the built-in encoder's own vocabulary is
   * built from them when config.vocabularySize > 0 (never from held-out text).
   */
  trainingTexts?: () => Promise<Iterable<string>>;
}

export async function openStartingModel(config: TrainConfig, options: StartingModelOptions): Promise<StartingModel> {
  const { checkpoint } = options;
  if (checkpoint) {
    const { spec, weights } = checkpoint;
    return {
      spec,
      tokenizer: tokenizerFor(spec, checkpoint.tokenizer),
      tokenizerFiles: checkpoint.tokenizer,
      // A built-in model takes its checkpoint's weights from the trainer's resume state.
      create: async () =>
        spec.encoder === 'bert' ? RewardModel.fromWeights(spec, weights) : RewardModel.create(spec, config.seed),
    };
  }
  if (parseEncoderSource(config.encoder).kind === 'builtin') return builtinStart(config, options);
  const encoder = await options.openPretrained(config.encoder, config.pooling);
  checkMaxLength(encoder.spec, config.maxLength, options.maxLengthName);
  const spec = loraSpec(withLengthReward(encoder.spec, config.lengthReward), config);
  return {
    spec,
    tokenizer: tokenizerFor(spec, encoder.tokenizer),
    tokenizerFiles: encoder.tokenizer,
    // A reward model from the Hub trains further from its own head; any other starts a fresh one.
    create: async () => RewardModel.fromPretrained(spec, encoder.weights, config.seed, encoder.head),
  };
}

/** The built-in encoder over the bundled vocabulary, or over one built from the training split. */
async function builtinStart(config: TrainConfig, options: StartingModelOptions): Promise<StartingModel> {
  let tokenizerFiles: TokenizerFiles | undefined;
  if (config.vocabularySize > 0) {
    if (!options.trainingTexts) throw new Error("a run vocabulary needs the training split's text");
    tokenizerFiles = { json: buildRunTokenizer(await options.trainingTexts(), { maxWords: config.vocabularySize }) };
  }
  const tokenizer = tokenizerFiles ? new PairTokenizer(tokenizerFiles.json) : builtinTokenizer();
  const spec: ModelSpec = loraSpec(
    { ...modelSpecFor(config, tokenizer.vocabSize), ...(tokenizerFiles ? { tokenizer: 'embedded' as const } : {}) },
    config,
  );
  // The bundled table is read only here, when the model is made or its coverage counted (lazily).
  const vectorsFor = async (): Promise<WordVectors> =>
    wordVectorsFor(await loadWordVectorTable(), builtinVocabulary(tokenizerFiles?.json));
  return {
    spec,
    tokenizer,
    ...(tokenizerFiles ? { tokenizerFiles } : {}),
    create: async () => {
      const wordVectors = config.embeddingInit === 'glove' ? await vectorsFor() : undefined;
      return RewardModel.create(spec, config.seed, { wordVectors });
    },
    ...(config.embeddingInit === 'glove' && options.trainingTexts
      ? {
          vectorCoverage: async () =>
            wordVectorCoverage(await options.trainingTexts!(), (t) => tokenizer.encodeText(t), await vectorsFor()),
        }
      : {}),
  };
}

/** The spec with the form's LoRA choice (lora.ts withLora); a choice the model cannot take is the LoRA field's error. */
export function loraSpec<S extends ModelSpec>(spec: S, config: TrainConfig): S {
  try {
    return withLora(spec, config);
  } catch (error) {
    const field = (error as Error).message.startsWith('LoRA targets') ? 'loraTargets' : 'loraRank';
    throw new TrainConfigError(field, (error as Error).message);
  }
}
