// Model files on disk: RM Lab's one-file format (src/core/model/model-file.ts), read into a
// RewardModel with its tokenizer and the sequence length it was trained with.
import { readFileSync } from 'node:fs';
import { maxLengthOf } from '../core/eval/score.ts';
import { decodeModelFile, type RewardModelFile } from '../core/model/model-file.ts';
import { RewardModel } from '../core/model/reward-model.ts';
import { checkModelFile } from '../core/model/model-check.ts';
import type { PairTokenizer } from '../core/model/tokenizer.ts';

export interface LoadedModel {
  file: RewardModelFile;
  model: RewardModel;
  tokenizer: PairTokenizer;
  /** The longest sequence the model was trained on: longer pairs are truncated to it as in training. */
  maxLength: number;
}

/** A model file read and checked whole (spec, tensors, tokenizer) before anything is built from it. */
export function readModelFile(path: string): { file: RewardModelFile; tokenizer: PairTokenizer | undefined } {
  let bytes: Uint8Array;
  try {
    // Node's Buffer as it is, not copied (a copy doubled the peak memory of reading a model): the
    // safetensors reader copies each tensor's own bytes, so a Buffer from the shared pool is safe.
    bytes = readFileSync(path);
  } catch {
    throw new Error(`${path}: no such file`);
  }
  const file = decodeModelFile(bytes, path);
  // Spec, tensors and tokenizer checked before anything is allocated from the spec.
  return { file, tokenizer: checkModelFile(file, path) };
}

/** A model file's RewardModel; a quick head (no tokenizer of its own) is refused, for the commands that need a model. */
export function loadModelFile(path: string, read = readModelFile(path)): LoadedModel {
  const { file, tokenizer } = read;
  if (!tokenizer) {
    throw new Error(
      `${path} is a quick head on a frozen Hub encoder (${file.spec.encoder === 'frozen-hub' ? file.spec.embedding.model : ''}); ` +
        'this command needs an RM Lab model: score it with rmlab score, which loads its encoder through Transformers.js',
    );
  }
  const model = RewardModel.fromWeights(file.spec, file.weights);
  const trained = file.meta.trainConfig?.maxLength;
  const maxLength = maxLengthOf(file.spec, typeof trained === 'number' ? { maxLength: trained } : undefined);
  return { file, model, tokenizer, maxLength };
}
