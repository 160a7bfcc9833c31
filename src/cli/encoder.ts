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
import {
  familyPooling,
  loadModelFolder,
  pretrainedEncoder,
  type ConfigCheck,
  type LoadProgress,
} from '../core/model/pretrained.ts';
import { RewardModel, type ModelSpec, type TokenizerFiles } from '../core/model/reward-model.ts';
import { openStartingModel } from '../core/model/starting-model.ts';
import { tokenizerFor, type PairTokenizer } from '../core/model/tokenizer.ts';
import { longestSequence } from '../core/model/encoders/bert-config.ts';
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

/** Where a --model that is not the built-in encoder is read from: a folder on disk, the Hub ($HF_ENDPOINT) or a URL. */
async function folderReader(encoder: string, folderPath: string | undefined): Promise<FolderReader> {
  const source = parseEncoderSource(encoder);
  if (folderPath !== undefined) return diskFolder(folderPath);
  if (source.kind === 'hub')
    return hubFolder(source.id, source.revision, process.env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT);
  if (source.kind === 'url') return urlFolder(source.url);
  throw new Error(`--model ${source.kind === 'folder' ? source.name : encoder}: no such folder`);
}

/**
 * A reward model shared as a Hugging Face folder (a *ForSequenceClassification checkpoint with one
 * label, e.g. OpenAssistant's, or a folder RM Lab exported), opened to score as it is: its family's
 * pooling, its own head. It reads at most its position table's tokens, and 512 at most.
 */
export async function openReadyRewardModel(
  model: string,
  onProgress: (p: LoadProgress) => void = () => {},
): Promise<{ model: RewardModel; tokenizer: PairTokenizer; maxLength: number }> {
  const { encoder, folderPath } = encoderField(model);
  const folder = await loadModelFolder(await folderReader(encoder, folderPath), { onProgress });
  const opened = pretrainedEncoder(folder, familyPooling(folder), encoder);
  if (!opened.head) {
    throw new Error(
      `--model ${model} has no reward head (a *ForSequenceClassification classifier with one label)` +
        `${opened.summary.headNote ? `: ${opened.summary.headNote.replace(/: a fresh head$/, '')}` : ''}; ` +
        `train one first: rmlab train --model ${model} --data <pairs>`,
    );
  }
  return {
    model: RewardModel.fromPretrained(opened.spec, opened.weights, 0, opened.head),
    tokenizer: tokenizerFor(opened.spec, opened.tokenizer),
    maxLength: Math.min(longestSequence(opened.spec.bert), 512),
  };
}

/**
 * The reward model a run starts from, with its tokenizer; `onProgress` hears a download's bytes,
 * `onConfig` a pretrained model's config.json before anything else is read (the memory plan).
 */
export async function openModel(
  config: TrainConfig,
  folderPath: string | undefined,
  onProgress: (p: LoadProgress) => void,
  trainingTexts?: () => Promise<Iterable<string>>,
  onConfig?: (check: ConfigCheck) => void | Promise<void>,
): Promise<OpenedModel> {
  const start = await openStartingModel(config, {
    maxLengthName: '--max-length',
    ...(trainingTexts ? { trainingTexts } : {}),
    openPretrained: async (encoder, pooling) => {
      const folder = await loadModelFolder(await folderReader(encoder, folderPath), {
        onProgress,
        ...(onConfig ? { onConfig } : {}),
      });
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
