// The model a run starts from, for the worker and the CLI alike: the built-in encoder (its word
// embeddings seeded with the bundled vectors under embeddingInit 'glove'), a pretrained encoder
// (opened by the caller, who knows where files come from: the browser's cache, a picked folder, the
// disk), or a resumed run's checkpoint. The weights are made by `create`, once the caller has chosen
// the tfjs backend they must live on.
import { checkMaxLength, type PretrainedEncoder } from './pretrained.ts';
import { modelSpecFor, RewardModel, type ModelSpec, type NamedWeight, type TokenizerFiles } from './reward-model.ts';
import { builtinTokenizer, tokenizerFor, type PairTokenizer } from './tokenizer.ts';
import { loadBuiltinWordVectors } from './word-vectors.ts';
import { parseEncoderSource, type TrainConfig } from '../train/config.ts';

export interface StartingModel {
  spec: ModelSpec;
  tokenizer: PairTokenizer;
  /** A pretrained encoder's tokenizer files: they travel with its checkpoints and model file. */
  tokenizerFiles?: TokenizerFiles;
  /** The reward model's weights on the current backend: call once, after choosing the backend. */
  create(): Promise<RewardModel>;
}

export interface StartingModelOptions {
  /** Reads a pretrained encoder's folder, wherever the caller finds it. */
  openPretrained(encoder: string, pooling: TrainConfig['pooling']): Promise<PretrainedEncoder>;
  /** How the caller's user names Max tokens, for the message when it outgrows the encoder ('--max-length'). */
  maxLengthName: string;
  /** A resumed run's checkpoint: spec, tokenizer and weights all come from it (no file is read). */
  checkpoint?: { spec: ModelSpec; tokenizer?: TokenizerFiles; weights: NamedWeight[] };
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
  if (parseEncoderSource(config.encoder).kind === 'builtin') {
    const tokenizer = builtinTokenizer();
    const spec = modelSpecFor(config, tokenizer.vocabSize);
    return {
      spec,
      tokenizer,
      create: async () => {
        const wordVectors = config.embeddingInit === 'glove' ? await loadBuiltinWordVectors() : undefined;
        return RewardModel.create(spec, config.seed, { wordVectors });
      },
    };
  }
  const encoder = await options.openPretrained(config.encoder, config.pooling);
  checkMaxLength(encoder.spec, config.maxLength, options.maxLengthName);
  return {
    spec: encoder.spec,
    tokenizer: tokenizerFor(encoder.spec, encoder.tokenizer),
    tokenizerFiles: encoder.tokenizer,
    create: async () => RewardModel.fromPretrained(encoder.spec, encoder.weights, config.seed),
  };
}
