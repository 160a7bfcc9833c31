// RM Lab's own model file: one .safetensors file that holds a trained reward model whole. The
// weights are its tensors (by RM Lab's parameter names); the model's shape, its tokenizer and where
// it came from ride in the header's __metadata__ string map, which the format reserves for this.
// One file, readable by any safetensors reader, that the app, the CLI and Python can all open.
import type { ModelSpec, NamedWeight, TokenizerFiles } from './reward-model.ts';
import { checkSpec } from './model-check.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';

export const MODEL_FILE_FORMAT = 'rm-lab/reward-model';
export const MODEL_FILE_VERSION = '1';
/** Suggested file name ending: still a .safetensors file to every other tool. */
export const MODEL_FILE_SUFFIX = '.rmlab.safetensors';

/** Where a model came from, for the person who opens it later. */
export interface ModelMeta {
  name: string;
  /** ISO time of the export. */
  createdAt: string;
  runId?: string;
  datasetName?: string;
  /** The run's training options, as TRAIN_FIELDS names them. */
  trainConfig?: Record<string, unknown>;
  steps?: number;
  heldOutAccuracy?: number;
  /** Held-out pairs that accuracy was measured on. */
  heldOutPairs?: number;
  /** The run's baselines on the same held-out pairs (src/core/eval/baselines/), as stored with the run. */
  baselines?: unknown;
  /** Which of the run's weights: its lowest held-out loss, or its last. */
  checkpoint?: 'best' | 'final';
  /** A quick head's fit (src/core/quick-head/spec.ts), and in words the frozen encoder it needs. */
  quickHead?: unknown;
  needs?: string;
}

export interface RewardModelFile {
  spec: ModelSpec;
  /** Present for models whose tokenizer is not bundled (spec.tokenizer === 'embedded'). */
  tokenizer?: TokenizerFiles;
  weights: NamedWeight[];
  meta: ModelMeta;
}

export function encodeModelFile(model: RewardModelFile): Uint8Array {
  const metadata: Record<string, string> = {
    format: MODEL_FILE_FORMAT,
    version: MODEL_FILE_VERSION,
    spec: JSON.stringify(model.spec),
    meta: JSON.stringify(model.meta),
  };
  if (model.tokenizer) metadata.tokenizer = JSON.stringify(model.tokenizer);
  return writeSafetensors(
    model.weights.map((w) => ({ name: w.name, shape: w.shape, data: w.data })),
    metadata,
  );
}

/** Reads a model file; anything that is not one gets an error saying what the file is instead. */
export function decodeModelFile(bytes: Uint8Array, fileName = 'the file'): RewardModelFile {
  const { tensors, metadata } = readSafetensors(bytes, fileName);
  if (metadata.format !== MODEL_FILE_FORMAT) {
    throw new Error(
      `${fileName} is a safetensors file but not an RM Lab model (no "${MODEL_FILE_FORMAT}" in its metadata); ` +
        'to train from a pretrained checkpoint, give its folder or Hub id as the encoder instead',
    );
  }
  if (metadata.version !== MODEL_FILE_VERSION) {
    throw new Error(
      `${fileName} is an RM Lab model of format version ${metadata.version}; this app reads version ${MODEL_FILE_VERSION}`,
    );
  }
  const parse = <T>(key: string): T => {
    try {
      return JSON.parse(metadata[key] ?? '') as T;
    } catch {
      throw new Error(`${fileName}: its "${key}" metadata is missing or not JSON`);
    }
  };
  const spec = checkSpec(parse<unknown>('spec'), fileName);
  const meta = parse<ModelMeta>('meta');
  const tokenizer = metadata.tokenizer === undefined ? undefined : parse<TokenizerFiles>('tokenizer');
  if (spec.tokenizer === 'embedded' && !tokenizer) throw new Error(`${fileName}: the model's tokenizer is missing`);
  const weights: NamedWeight[] = [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  return { spec, meta, weights, ...(tokenizer ? { tokenizer } : {}) };
}
