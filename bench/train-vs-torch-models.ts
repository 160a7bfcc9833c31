// The shapes bench/train-vs-torch.ts times against PyTorch, and bench/wasm-step-profile.ts profiles:
// the built-in transformer (the Transformer preset: 2 layers, 64 wide, 4 heads, [CLS] pooling, no
// length term) at 128 and 256 tokens, and a bert-tiny-sized BERT (2 layers, hidden 128, 2 heads,
// intermediate 512, BERT's 30,522-word vocabulary, [CLS] through the pooler), with the fixed
// synthetic token ids both sides train on: every batch is `batchSize` pairs of sequences exactly
// `length` tokens long ([CLS] a [SEP] b [SEP], no padding).
import type { BertConfig } from '../src/core/model/encoders/bert-config.ts';
import { modelSpecFor, type ModelSpec } from '../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import type { TokenizedPair } from '../src/core/train/batch.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/core/train/config.ts';
import type { TrainingData } from '../src/core/train/data.ts';
import { mulberry32 as random } from '../src/core/train/shuffle.ts';

export interface BenchModel {
  name: string;
  spec: ModelSpec;
  /** Sequence length: every sequence is exactly this long. */
  length: number;
  cls: number;
  sep: number;
  pad: number;
  vocabSize: number;
  /** For the Python side: the reference's config and kind. */
  torch: { kind: 'builtin' | 'bert'; config: object; pooling: string };
}

export const config: TrainConfig = DEFAULT_TRAIN_CONFIG;
const B = config.batchSize;
const builtin = builtinTokenizer();
/** The Transformer preset's encoder (2 layers, [CLS]), without a length term: the reference has none. */
const transformerSpec = (length: number) =>
  modelSpecFor({ ...config, maxLength: length, nLayers: 2, pooling: 'cls', lengthReward: 'off' }, builtin.vocabSize);
const builtinModel = (name: string, length: number): BenchModel => {
  const spec = transformerSpec(length);
  return {
    name,
    spec,
    length,
    cls: builtin.special.cls,
    sep: builtin.special.sep,
    pad: builtin.special.pad,
    vocabSize: builtin.vocabSize,
    torch: { kind: 'builtin', config: spec.transformer, pooling: spec.transformer.pooling },
  };
};

const bertTiny: BertConfig = {
  modelType: 'bert',
  vocabSize: 30522,
  hiddenSize: 128,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 512,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenAct: 'gelu',
  sepTokenId: 102,
  padTokenId: 0,
};

export const ALL_MODELS: BenchModel[] = [
  builtinModel('builtin-transformer', config.maxLength),
  builtinModel('builtin-transformer-256', 2 * config.maxLength),
  {
    name: 'bert-tiny-sized',
    spec: { encoder: 'bert', tokenizer: 'embedded', bert: bertTiny, pooling: 'cls', source: 'bench:bert-tiny-sized' },
    length: config.maxLength,
    cls: 101,
    sep: 102,
    pad: 0,
    vocabSize: bertTiny.vocabSize,
    torch: { kind: 'bert', config: bertTiny, pooling: 'cls' },
  },
];

/** The models named in a comma-separated list (a --models argument). */
export function modelsNamed(list: string): BenchModel[] {
  return list.split(',').map((name) => {
    const m = ALL_MODELS.find((x) => x.name === name);
    if (!m) throw new Error(`--models: no model ${name} (${ALL_MODELS.map((x) => x.name).join(', ')})`);
    return m;
  });
}

/** [CLS] prompt [SEP] response [SEP], exactly `length` tokens, ids drawn above the special tokens. */
function sequence(m: BenchModel, next: () => number): Int32Array {
  const ids = new Int32Array(m.length);
  const promptEnd = Math.floor(m.length / 3);
  for (let t = 0; t < m.length; t++) ids[t] = 1000 + Math.floor(next() * (m.vocabSize - 1000));
  ids[0] = m.cls;
  ids[promptEnd] = m.sep;
  ids[m.length - 1] = m.sep;
  return ids;
}

/** The pairs of every step, in the order the trainer takes them (and the Python side's [steps, 2B, T] ids). */
export function pairsFor(m: BenchModel, steps: number): TokenizedPair[] {
  const next = random(42);
  return Array.from({ length: steps * B }, () => ({
    chosen: sequence(m, next),
    rejected: sequence(m, next),
    margin: 0,
  }));
}

/** Training data of only these pairs (no held-out pairs: nothing is evaluated). */
export function dataOf(pairs: TokenizedPair[]): TrainingData {
  return {
    train: pairs,
    heldOut: [],
    heldOutTies: [],
    counts: {
      total: pairs.length,
      train: pairs.length,
      heldOut: 0,
      heldOutScored: 0,
      ties: 0,
      bothBad: 0,
      truncated: 0,
    },
  };
}
