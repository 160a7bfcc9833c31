// What `rmlab train --model` names, opened in Node: the built-in encoder (with GloVe-style word
// vectors under --embedding-init glove), a model folder on disk,
// a Hugging Face Hub id or a URL of a model folder. Pretrained folders go through the same loader
// as the app's (loadModelFolder and the family registry, pretrainedEncoder), so the same models are
// accepted and refused with the same messages; the Hub is read with Node's fetch, from
// $HF_ENDPOINT when set (the Hugging Face tools' variable: a mirror, or a test's server).
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { diskFolder } from './folder-node.ts';
import { DEFAULT_HUB_ENDPOINT, hubFolder, urlFolder, type FolderReader } from '../core/model/hub.ts';
import { loadModelFolder, pretrainedEncoder, type LoadProgress } from '../core/model/pretrained.ts';
import type { ModelSpec, RewardModel, TokenizerFiles } from '../core/model/reward-model.ts';
import { openStartingModel } from '../core/model/starting-model.ts';
import type { PairTokenizer } from '../core/model/tokenizer.ts';
import { parseEncoderSource, type TrainConfig } from '../core/train/config.ts';

export interface OpenedModel {
  model: RewardModel;
  tokenizer: PairTokenizer;
  /** A pretrained encoder's tokenizer files: they travel inside the model file. */
  tokenizerFiles?: TokenizerFiles;
  spec: ModelSpec;
  /** The training split's running tokens with a bundled word vector (StartingModel.vectorCoverage). */
  vectorCoverage?: () => Promise<{ tokens: number; covered: number }>;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The encoder field's value for --model: a folder on disk is named as the app names a picked
 * folder ('folder:<name>'), so the run's config says what it was; anything else is as given.
 */
export function encoderField(model: string): { encoder: string; folderPath?: string } {
  if (model !== 'builtin' && isFolder(model)) return { encoder: `folder:${basename(model)}`, folderPath: model };
  return { encoder: model };
}

/** The reward model a run starts from, with its tokenizer; `onProgress` hears a download's bytes. */
export async function openModel(
  config: TrainConfig,
  folderPath: string | undefined,
  onProgress: (p: LoadProgress) => void,
  trainingTexts?: () => Promise<Iterable<string>>,
): Promise<OpenedModel> {
  const start = await openStartingModel(config, {
    maxLengthName: '--max-length',
    ...(trainingTexts ? { trainingTexts } : {}),
    openPretrained: async (encoder, pooling) => {
      const source = parseEncoderSource(encoder);
      let reader: FolderReader;
      if (folderPath !== undefined) reader = await diskFolder(folderPath);
      else if (source.kind === 'hub')
        reader = hubFolder(source.id, source.revision, process.env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT);
      else if (source.kind === 'url') reader = urlFolder(source.url);
      else throw new Error(`--model ${source.kind === 'folder' ? source.name : encoder}: no such folder`);
      const folder = await loadModelFolder(reader, { onProgress });
      return pretrainedEncoder(folder, pooling, encoder);
    },
  });
  return {
    model: await start.create(),
    tokenizer: start.tokenizer,
    tokenizerFiles: start.tokenizerFiles,
    spec: start.spec,
    ...(start.vectorCoverage ? { vectorCoverage: () => start.vectorCoverage!() } : {}),
  };
}
