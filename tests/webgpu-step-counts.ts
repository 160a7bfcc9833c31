// Training steps counted on the counting WebGPU device (webgpu-counting-device.ts): the models
// bench/webgpu-dispatches.ts measures and tests/unit/webgpu-dispatches.test.ts bounds.
//
// Every batch is 16 pairs of synthetic sequences exactly `length` tokens long ([CLS] a [SEP] b
// [SEP], as bench/train-vs-torch.ts builds them), trained through trainRewardModel with the
// default training configuration (gradient clipping at 1, AdamW, linear decay), no held-out split.
// Counts are taken between the trainer's shouldStop polls, so each step's figure includes its share
// of the trainer's own work (the read-back of the step metrics every 5 steps falls on one step in 5).
import type { BertConfig } from '../src/core/model/encoders/bert-config.ts';
import { modelSpecFor, RewardModel, type ModelSpec } from '../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../src/core/model/tokenizer.ts';
import type { TokenizedPair } from '../src/core/train/batch.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/core/train/config.ts';
import type { TrainingData } from '../src/core/train/data.ts';
import { mulberry32 } from '../src/core/train/shuffle.ts';
import { trainRewardModel } from '../src/core/train/trainer.ts';
import { counts, countsBetween, type GpuCounts } from './webgpu-counting-device.ts';

export interface CountedModel {
  name: string;
  spec: ModelSpec;
  length: number;
  cls: number;
  sep: number;
  pad: number;
}

const bert = (hiddenSize: number, numLayers: number, numHeads: number, vocabSize: number): BertConfig => ({
  modelType: 'bert',
  vocabSize,
  hiddenSize,
  numLayers,
  numHeads,
  intermediateSize: 4 * hiddenSize,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenAct: 'gelu',
  sepTokenId: 102,
  padTokenId: 0,
});

/**
 * The default built-in model (a bag of words with a length term since issue 10's measurement), the
 * built-in transformer (the Transformer preset: 2 layers, cls pooling, the default before; the shape
 * issue 12's targets were set on), and BERTs shaped as bert-tiny (2 x 128) and MiniLM-L6 (6 x 384).
 */
export function countedModels(config: TrainConfig = DEFAULT_TRAIN_CONFIG): CountedModel[] {
  const tok = builtinTokenizer();
  const s = tok.special;
  // A smaller vocabulary than BERT's 30,522: the count of GPU operations does not depend on it.
  const V = 4096;
  const bertModel = (name: string, c: BertConfig): CountedModel => ({
    name,
    spec: { encoder: 'bert', tokenizer: 'embedded', bert: c, pooling: 'cls', source: `bench:${name}` },
    length: config.maxLength,
    cls: 101,
    sep: 102,
    pad: 0,
  });
  return [
    {
      name: 'builtin-default',
      spec: modelSpecFor(config, tok.vocabSize),
      length: config.maxLength,
      cls: s.cls,
      sep: s.sep,
      pad: s.pad,
    },
    {
      name: 'builtin-transformer',
      spec: modelSpecFor({ ...config, nLayers: 2, pooling: 'cls' }, tok.vocabSize),
      length: config.maxLength,
      cls: s.cls,
      sep: s.sep,
      pad: s.pad,
    },
    bertModel('bert-tiny-sized', bert(128, 2, 2, V)),
    bertModel('minilm-sized', bert(384, 6, 12, V)),
  ];
}

function vocabOf(spec: ModelSpec): number {
  if (spec.encoder === 'frozen-hub') throw new Error('not an RM Lab encoder');
  return spec.encoder === 'bert' ? spec.bert.vocabSize : spec.transformer.vocabSize;
}

function pairs(m: CountedModel, n: number): TokenizedPair[] {
  const next = mulberry32(42);
  const V = vocabOf(m.spec);
  const seq = () => {
    const ids = new Int32Array(m.length);
    for (let t = 0; t < m.length; t++) ids[t] = 200 + Math.floor(next() * (V - 200));
    ids[0] = m.cls;
    ids[Math.floor(m.length / 3)] = m.sep;
    ids[m.length - 1] = m.sep;
    return ids;
  };
  // Response token counts for a length term (models without one ignore them).
  const length = Math.floor((2 * m.length) / 3);
  return Array.from({ length: n }, () => ({
    chosen: seq(),
    rejected: seq(),
    chosenLength: length,
    rejectedLength: length,
    margin: 0,
  }));
}

/** `n` synthetic training pairs for `m`, no held-out split. */
export function syntheticData(m: CountedModel, n: number): TrainingData {
  const train = pairs(m, n);
  return {
    train,
    heldOut: [],
    heldOutTies: [],
    counts: {
      total: train.length,
      train: train.length,
      heldOut: 0,
      heldOutScored: 0,
      ties: 0,
      bothBad: 0,
      truncated: 0,
    },
  };
}

export interface StepCounts extends GpuCounts {
  /** Host time of the step: issuing the work (nothing is computed on the counting device). */
  jsMs: number;
}

/**
 * Trains `warmup + steps` steps of `m` on the current (counting) backend and returns the counts of
 * the last `steps`, one entry a step. The warm-up compiles every pipeline and creates Adam's state.
 */
export async function countSteps(
  m: CountedModel,
  steps: number,
  warmup = 2,
  config: TrainConfig = DEFAULT_TRAIN_CONFIG,
  /** Called once, when the warm-up steps are done and the counted ones begin. */
  onCounting?: () => void,
): Promise<StepCounts[]> {
  const total = warmup + steps;
  const data = syntheticData(m, total * config.batchSize);
  const model = RewardModel.create(m.spec, config.seed);
  const out: StepCounts[] = [];
  let step = 0;
  let before = { ...counts };
  let t0 = performance.now();
  try {
    await trainRewardModel(
      model,
      data,
      { ...config, maxLength: m.length, maxSteps: total, epochs: 1, evalEvery: 1e9 },
      m.pad,
      {
        onEvent: () => {},
        shouldStop: () => {
          const now = { ...counts };
          const t1 = performance.now();
          if (++step > warmup) out.push({ ...countsBetween(before, now), jsMs: t1 - t0 });
          if (step === warmup) onCounting?.();
          before = now;
          t0 = t1;
          return false;
        },
      },
    );
  } finally {
    model.dispose();
  }
  return out;
}

/** Mean of each field over the steps. */
export function meanCounts(steps: StepCounts[]): StepCounts {
  const out = { ...steps[0]! };
  for (const k of Object.keys(out) as (keyof StepCounts)[]) out[k] = steps.reduce((a, s) => a + s[k], 0) / steps.length;
  return out;
}
