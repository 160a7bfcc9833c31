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

export function loadModelFile(path: string): LoadedModel {
  let bytes: Uint8Array;
  try {
    // A plain copy, not Node's Buffer: Buffer.prototype.slice() is a view, and the safetensors
    // reader's raw.slice().buffer would then read the whole of Node's shared buffer pool.
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new Error(`${path}: no such file`);
  }
  const file = decodeModelFile(bytes, path);
  // Spec, tensors and tokenizer checked before anything is allocated from the spec.
  const tokenizer = checkModelFile(file, path);
  const model = RewardModel.fromWeights(file.spec, file.weights);
  const trained = file.meta.trainConfig?.maxLength;
  const maxLength = maxLengthOf(file.spec, typeof trained === 'number' ? { maxLength: trained } : undefined);
  return { file, model, tokenizer, maxLength };
}
