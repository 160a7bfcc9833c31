// Every training option in one typed table: its default, bounds and one line of plain-words help.
// The form in the app, validation of untrusted input (a stored run, a worker message) and, later,
// the CLI's --help and share links are all generated from this table, never from a second list.

import type { Stratify } from '../data/split.ts';

// Each choice field's values, declared once: the table's `choices` and the types below are both these.
const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
const POOLINGS = ['cls', 'mean', 'last'] as const;
const EMBEDDING_INITS = ['random', 'glove'] as const;
const TIE_CHOICES = ['drop', 'davidson'] as const;
const SOFT_TARGETS = ['off', 'votes'] as const;
const SAMPLE_WEIGHTS = ['pair', 'off'] as const;
const SCHEDULES = ['linear', 'cosine', 'constant'] as const;
const STRATIFY_CHOICES = ['none', 'task_type'] as const satisfies readonly Stratify[];
const LENGTH_REWARDS = ['off', 'term', 'odin'] as const;
const EMBEDDING_TRAINING = ['train', 'freeze'] as const;
const FROZEN_PRECISIONS = ['f32', 'f16'] as const;

export type BackendChoice = (typeof BACKENDS)[number];
export type PoolingChoice = (typeof POOLINGS)[number];
export type EmbeddingInit = (typeof EMBEDDING_INITS)[number];
export type TieChoice = (typeof TIE_CHOICES)[number];
export type SoftTargetChoice = (typeof SOFT_TARGETS)[number];
export type SampleWeightChoice = (typeof SAMPLE_WEIGHTS)[number];
export type ScheduleChoice = (typeof SCHEDULES)[number];
export type LengthRewardChoice = (typeof LENGTH_REWARDS)[number];
export type EmbeddingTraining = (typeof EMBEDDING_TRAINING)[number];
export type FrozenPrecision = (typeof FROZEN_PRECISIONS)[number];

export interface TrainConfig {
  // model
  /** 'builtin', a Hugging Face Hub model id, an http(s) URL of a model folder, or 'folder:<name>' (see parseEncoderSource). */
  encoder: string;
  embeddingInit: EmbeddingInit;
  dModel: number;
  nLayers: number;
  nHeads: number;
  maxLength: number;
  pooling: PoolingChoice;
  lengthReward: LengthRewardChoice;
  embeddingTraining: EmbeddingTraining;
  frozenLayers: number;
  // data
  heldOutFraction: number;
  splitSeed: number;
  stratify: Stratify;
  validationFraction: number;
  // training
  batchSize: number;
  gradAccumulation: number;
  learningRate: number;
  lrSchedule: ScheduleChoice;
  warmupRatio: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  ties: TieChoice;
  tieNu: number;
  softTargets: SoftTargetChoice;
  sampleWeights: SampleWeightChoice;
  centerRewards: number;
  odinWeight: number;
  epochs: number;
  maxSteps: number;
  seed: number;
  evalEvery: number;
  maxHeldOutPairs: number;
  checkpointEvery: number;
  backend: BackendChoice;
  patience: number;
  vocabularySize: number;
  frozenWeights: FrozenPrecision;
  loraRank: number;
  loraAlpha: number;
  /** PEFT's target_modules names, comma-separated; empty: the family's default (the attention's query and value). */
  loraTargets: string;
}

export type FieldGroup = 'model' | 'data' | 'loss' | 'optimizer' | 'training';

/** The groups the form (and the CLI's --help) show the fields in, in this order. */
export const FIELD_GROUPS: readonly { id: FieldGroup; title: string }[] = [
  { id: 'model', title: 'Model' },
  { id: 'data', title: 'Held-out split' },
  { id: 'loss', title: 'Loss' },
  { id: 'optimizer', title: 'Optimizer' },
  { id: 'training', title: 'Training' },
];

interface BaseField {
  group: FieldGroup;
  label: string;
  help: string;
  /** Shapes only the built-in encoder: a pretrained one brings its own (the form greys it out). */
  builtinOnly?: true;
  /** What the option means in the CLI where that differs from the browser the help speaks of. */
  inNode?: string;
  /** A preset leaves the user's value as it is (the held-out split, the backend: not a recipe's business). */
  keptByPresets?: true;
  /** Runs on the WebGPU backend only: refused with another backend named, greyed out in the form then. */
  webgpuOnly?: true;
}
export interface NumberField extends BaseField {
  kind: 'int' | 'float';
  default: number;
  min: number;
  max: number;
}
export interface ChoiceField<T extends string = string> extends BaseField {
  kind: 'choice';
  default: T;
  choices: readonly T[];
}
/** Free text, checked by `validate` (which returns why a value is wrong, or undefined). */
export interface TextField extends BaseField {
  kind: 'text';
  default: string;
  placeholder: string;
  validate: (value: string) => string | undefined;
}
export type FieldSpec = NumberField | ChoiceField | TextField;

type FieldTable = {
  [K in keyof TrainConfig]: TrainConfig[K] extends number
    ? NumberField
    : string extends TrainConfig[K]
      ? TextField
      : ChoiceField<TrainConfig[K] & string>;
};

/** What the encoder field names: the built-in encoder, a Hub model, a model folder at a URL, or a folder the user picked. */
export type EncoderSource =
  | { kind: 'builtin' }
  | { kind: 'hub'; id: string; revision: string }
  | { kind: 'url'; url: string }
  | { kind: 'folder'; name: string };

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** Reads the encoder field; throws a plain-words error for anything it cannot name. */
export function parseEncoderSource(value: string): EncoderSource {
  const v = value.trim();
  if (v === 'builtin') return { kind: 'builtin' };
  if (v.startsWith('folder:') && v.length > 'folder:'.length)
    return { kind: 'folder', name: v.slice('folder:'.length) };
  if (/^https?:\/\//i.test(v)) {
    try {
      return { kind: 'url', url: new URL(v).href.replace(/\/$/, '') };
    } catch {
      throw new Error(`"${v}" is not a valid URL`);
    }
  }
  const [id, revision = 'main'] = v.split('@') as [string, string | undefined];
  if (HUB_ID.test(id) && !id.includes('..') && /^[\w./-]+$/.test(revision)) return { kind: 'hub', id, revision };
  throw new Error(
    `"${v}" is not an encoder RM Lab can load: give "builtin", a Hugging Face model id such as ` +
      '"prajjwal1/bert-tiny" (optionally "@revision"), an https:// URL of a model folder, or pick a folder',
  );
}

export const TRAIN_FIELDS: FieldTable = {
  encoder: {
    group: 'model',
    kind: 'text',
    default: 'builtin',
    placeholder: 'builtin, or a Hub id like prajjwal1/bert-tiny',
    label: 'Encoder',
    help: 'builtin: a small transformer trained from scratch, no download. Or a pretrained BERT-family model: a Hugging Face id (e.g. prajjwal1/bert-tiny), a URL of a model folder, or a folder you pick.',
    validate: (value) => {
      try {
        parseEncoderSource(value);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  },
  embeddingInit: {
    group: 'model',
    kind: 'choice',
    default: 'glove',
    choices: EMBEDDING_INITS,
    builtinOnly: true,
    label: 'Word vectors',
    help: 'Built-in encoder only: start its word embeddings from random numbers, or from GloVe-style word vectors (bundled).',
  },
  dModel: {
    group: 'model',
    kind: 'int',
    default: 64,
    min: 8,
    max: 512,
    builtinOnly: true,
    label: 'Model width',
    help: 'Size of each token vector. Wider learns more but trains slower.',
  },
  nLayers: {
    group: 'model',
    kind: 'int',
    default: 0,
    min: 0,
    max: 12,
    builtinOnly: true,
    label: 'Layers',
    help: 'Transformer blocks stacked in the encoder. 0: no attention, the reward reads the pooled word vectors (a bag of words: fast, and hard to overfit).',
  },
  nHeads: {
    group: 'model',
    kind: 'int',
    default: 4,
    min: 1,
    max: 16,
    builtinOnly: true,
    label: 'Attention heads',
    help: 'Heads per attention layer; must divide the model width.',
  },
  maxLength: {
    group: 'model',
    kind: 'int',
    default: 128,
    min: 16,
    max: 512,
    label: 'Max tokens',
    help: 'Longest prompt + response read; longer pairs keep the end of the prompt and the start of the response.',
  },
  pooling: {
    group: 'model',
    kind: 'choice',
    default: 'mean',
    choices: POOLINGS,
    label: 'Pooling',
    help: "How a sequence becomes one vector: the first ([CLS]) token (for BERT models, through the checkpoint's pooler, as its sequence classifier does), the mean of all tokens, or the last token.",
  },
  lengthReward: {
    group: 'model',
    kind: 'choice',
    default: 'term',
    choices: LENGTH_REWARDS,
    label: 'Length term',
    help: 'term: the reward adds a learned weight times log(response tokens), counted before truncation, so length is learned even when text is cut. odin: the same, with the rest of the reward trained to be uncorrelated with length (ODIN, Chen et al. 2024); scoring can then leave length out.',
  },
  embeddingTraining: {
    group: 'model',
    kind: 'choice',
    default: 'train',
    choices: EMBEDDING_TRAINING,
    builtinOnly: true,
    label: 'Word embeddings',
    help: 'Built-in encoder only: train the word embeddings with the rest, or keep them as they start (frozen GloVe vectors cannot memorise the training pairs).',
  },
  frozenLayers: {
    group: 'model',
    kind: 'int',
    default: 0,
    min: 0,
    max: 64,
    label: 'Frozen layers',
    help: "Keep the embeddings and this many of the encoder's lowest layers at their starting weights: they get no gradients and no optimizer state, so a large model needs far less memory. The model's layer count or more trains the reward head alone. 0: train everything.",
  },
  heldOutFraction: {
    group: 'data',
    kind: 'float',
    default: 0.1,
    min: 0.01,
    max: 0.5,
    keptByPresets: true,
    label: 'Held-out fraction',
    help: 'Share of prompts kept out of training to measure accuracy honestly. A prompt is never on both sides.',
  },
  splitSeed: {
    group: 'data',
    kind: 'int',
    default: 1,
    min: 0,
    max: 2 ** 31 - 1,
    keptByPresets: true,
    label: 'Split seed',
    help: 'Which prompts are held out. The same seed gives the same split.',
  },
  stratify: {
    group: 'data',
    kind: 'choice',
    default: 'none',
    choices: STRATIFY_CHOICES,
    keptByPresets: true,
    label: 'Stratify by',
    help: 'task_type: hold out the same share of every task type, so small ones are measured too.',
  },
  validationFraction: {
    group: 'data',
    kind: 'float',
    // bench/results/checkpoint-choice.json: at the default (1 epoch) the lowest held-out loss is the last step's, so the choice adds no optimism there
    default: 0,
    min: 0,
    max: 0.5,
    keptByPresets: true,
    label: 'Validation fraction',
    help: "Share of the training split's prompts kept out of training to choose the best checkpoint and stop early on, so the held-out pairs choose nothing and their accuracy is not flattered. 0: chosen on held-out loss.",
  },
  batchSize: {
    group: 'training',
    kind: 'int',
    default: 16,
    min: 1,
    max: 256,
    label: 'Batch size',
    help: 'Pairs per micro-batch. Each pair runs two sequences (chosen and rejected) through the encoder.',
  },
  gradAccumulation: {
    group: 'optimizer',
    kind: 'int',
    default: 1,
    min: 1,
    max: 64,
    label: 'Accumulation steps',
    help: 'Micro-batches whose gradients add up before one optimizer step: the step sees batch size x this many pairs, in the memory of one batch.',
  },
  learningRate: {
    group: 'optimizer',
    kind: 'float',
    default: 5e-4,
    min: 1e-6,
    max: 1e-1,
    label: 'Learning rate',
    help: 'Peak step size of the AdamW optimizer. Too high and the loss jumps; too low and it barely moves.',
  },
  lrSchedule: {
    group: 'optimizer',
    kind: 'choice',
    default: 'linear',
    choices: SCHEDULES,
    label: 'Schedule',
    help: "After warmup the learning rate falls to 0 by the last step in a straight line (Hugging Face Trainer's default) or a half cosine, or stays constant.",
  },
  warmupRatio: {
    group: 'optimizer',
    kind: 'float',
    default: 0,
    min: 0,
    max: 0.5,
    label: 'Warmup share',
    help: 'Share of the steps over which the learning rate climbs from 0 to its peak (ignored when warmup steps is set).',
  },
  warmupSteps: {
    group: 'optimizer',
    kind: 'int',
    default: 0,
    min: 0,
    max: 1_000_000,
    label: 'Warmup steps',
    help: 'Steps over which the learning rate climbs from 0 to its peak; 0: use the warmup share.',
  },
  weightDecay: {
    group: 'optimizer',
    kind: 'float',
    default: 0,
    min: 0,
    max: 1,
    label: 'Weight decay',
    help: "AdamW's decoupled weight decay: each step shrinks weights by learning rate x this. Biases and LayerNorm weights are not decayed.",
  },
  maxGradNorm: {
    group: 'optimizer',
    kind: 'float',
    default: 1,
    min: 0,
    max: 1000,
    label: 'Clip gradients at',
    help: "Largest global norm of a step's gradients; larger ones are scaled down to it (0: no clipping). The charts show the norm before clipping.",
  },
  ties: {
    group: 'loss',
    kind: 'choice',
    default: 'drop',
    choices: TIE_CHOICES,
    label: 'Ties',
    help: "drop: train on pairs with a winner only (Bradley-Terry, as TRL). davidson: also train on ties, with Davidson's tie-aware Bradley-Terry model.",
  },
  tieNu: {
    group: 'loss',
    kind: 'float',
    default: 1,
    min: 0.01,
    max: 100,
    label: 'Tie strength (ν)',
    help: "Davidson's ν: how likely equal rewards are a tie (ν / (2 + ν); 1 gives one in three). The dataset statistics' leaderboard fits it from the data.",
  },
  softTargets: {
    group: 'loss',
    kind: 'choice',
    default: 'off',
    choices: SOFT_TARGETS,
    label: 'Soft targets',
    help: "votes: a pair with several annotators' votes trains on their share for each side (a tie vote counts half) instead of the majority's hard label.",
  },
  sampleWeights: {
    group: 'loss',
    kind: 'choice',
    default: 'pair',
    choices: SAMPLE_WEIGHTS,
    label: 'Sample weights',
    help: "pair: a pair with a weight (pairs derived from implicit feedback carry their rule's) counts that much in the loss, a weighted mean over the step. off: every pair counts the same.",
  },
  centerRewards: {
    group: 'loss',
    kind: 'float',
    default: 0,
    min: 0,
    max: 10,
    label: 'Reward centering',
    help: "TRL's center_rewards_coefficient: adds this x mean((r_chosen + r_rejected)^2) to the loss, keeping rewards near zero (0: off; TRL suggests 0.01).",
  },
  odinWeight: {
    group: 'loss',
    kind: 'float',
    default: 1,
    min: 0,
    max: 100,
    label: 'ODIN penalty',
    help: "Length term odin only: adds this x |Pearson correlation| of the quality reward with log length over each batch to the loss (ODIN's decorrelation penalty).",
  },
  epochs: {
    group: 'training',
    kind: 'int',
    default: 1,
    min: 1,
    max: 100,
    label: 'Epochs',
    help: 'Passes over the training pairs.',
  },
  maxSteps: {
    group: 'training',
    kind: 'int',
    default: 0,
    min: 0,
    max: 1_000_000,
    label: 'Max steps',
    help: 'Stop after this many steps (0: run all epochs). Handy for a quick look.',
  },
  seed: {
    group: 'training',
    kind: 'int',
    default: 0,
    min: 0,
    max: 2 ** 31 - 1,
    label: 'Seed',
    help: 'Starting weights and data order. The same seed on the same backend repeats a run.',
  },
  evalEvery: {
    group: 'training',
    kind: 'int',
    default: 25,
    min: 1,
    max: 100_000,
    label: 'Evaluate every',
    help: 'Steps between measurements on the held-out pairs (and at the end).',
  },
  maxHeldOutPairs: {
    group: 'training',
    kind: 'int',
    default: 200,
    min: 1,
    max: 100_000,
    label: 'Held-out pairs used',
    help: 'At most this many held-out pairs are scored at each evaluation, to keep it quick.',
  },
  checkpointEvery: {
    group: 'training',
    kind: 'int',
    default: 50,
    min: 1,
    max: 100_000,
    inNode: 'The CLI writes no checkpoints: a stopped run still writes its model.',
    label: 'Checkpoint every',
    help: 'Steps between saved checkpoints (weights, optimizer, data position): a reloaded or crashed run resumes from the last one. Also saved at a pause and at the end.',
  },
  backend: {
    group: 'training',
    kind: 'choice',
    default: 'auto',
    choices: BACKENDS,
    keptByPresets: true,
    inNode: 'In the CLI: auto and wasm run on WebAssembly, cpu on plain JavaScript (about 30 times slower).',
    label: 'Backend',
    help: 'Where the math runs. Auto times a few training steps on each backend this browser offers (a software GPU is skipped) and takes the fastest.',
  },
  patience: {
    group: 'training',
    kind: 'int',
    default: 4,
    min: 0,
    max: 10_000,
    label: 'Early-stopping patience',
    help: 'Training stops after this many evaluations in a row without a new lowest held-out loss; 0 trains to the end. Either way the model kept is the one with the lowest held-out loss (the last weights are kept too).',
  },
  vocabularySize: {
    group: 'model',
    kind: 'int',
    // bench/results/vocabulary-1ep.json: the demo's default run, 69.6% held-out against 66.8% with the bundled vocabulary (5 seeds, 5/5 better)
    default: 8000,
    min: 0,
    max: 60_000,
    builtinOnly: true,
    label: 'Vocabulary size',
    help: "Built-in encoder only: how many of the training split's most frequent words the run's own vocabulary keeps (every character is kept too, so rarer words are spelled in pieces). 0: the bundled vocabulary of the demo corpus.",
  },
  frozenWeights: {
    group: 'model',
    kind: 'choice',
    default: 'f32',
    choices: FROZEN_PRECISIONS,
    webgpuOnly: true,
    inNode: 'The CLI trains on WebAssembly or plain JavaScript: f16 is refused there.',
    label: 'Frozen weights',
    help: "WebGPU only. f16: frozen weight matrices (frozen layers, frozen embeddings, LoRA's base) are kept on the GPU in half precision, half their memory, and rounded to it for good (the model file holds the rounded values). The maths, trained weights, gradients and optimizer state stay float32. Does nothing when nothing is frozen.",
  },
  loraRank: {
    group: 'model',
    kind: 'int',
    default: 0,
    min: 0,
    max: 256,
    label: 'LoRA rank',
    help: "LoRA (as PEFT): the encoder's weights stay frozen, LayerNorms included, and a low-rank update (alpha / r) x A B of rank r is trained on the chosen projections, with the reward head; no dropout. Far fewer gradients and optimizer state than training everything. 0: off. The built-in encoder needs layers for it.",
  },
  loraAlpha: {
    group: 'model',
    kind: 'float',
    // TRL's reward-modelling example: r 16, alpha 32; PEFT's own default is alpha 8 at r 8
    default: 16,
    min: 0.01,
    max: 4096,
    label: 'LoRA alpha',
    help: "PEFT's lora_alpha: the update is scaled by alpha / rank.",
  },
  loraTargets: {
    group: 'model',
    kind: 'text',
    default: '',
    placeholder: "empty: the family's query, value",
    label: 'LoRA targets',
    help: "PEFT's target_modules: the projections inside the layers that get adapters, by their Hugging Face names, comma-separated (BERT: query, key, value, dense; DeBERTa: query_proj, key_proj, value_proj, dense; DistilBERT: q_lin, v_lin, ...; GPT-2: c_attn, c_proj, c_fc; Llama and Qwen2: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; the built-in encoder: qkv, out, in). Empty: the family's default, the attention's query and value.",
    validate: (value) =>
      /^[\s,]*([A-Za-z_][\w]*[\s,]*)*$/.test(value)
        ? undefined
        : 'give projection names such as query, value, separated by commas',
  },
};

/** The backends a WebGPU-only option (webgpuOnly) is refused on; 'auto' is checked once the run has picked one. */
export const NOT_WEBGPU: readonly BackendChoice[] = ['wasm', 'cpu', 'webgl'];

/** Why f16 frozen weights cannot run on `backend` (a backend the run uses, or the form's choice), or undefined. */
export function frozenF16Refusal(config: Pick<TrainConfig, 'frozenWeights'>, backend: string): string | undefined {
  if (config.frozenWeights !== 'f16' || backend === 'webgpu' || backend === 'auto') return undefined;
  return `Frozen weights (frozenWeights) f16 runs on the WebGPU backend only, and this run is on ${backend}: choose f32, or the webgpu backend`;
}

export const TRAIN_FIELD_KEYS = Object.keys(TRAIN_FIELDS) as (keyof TrainConfig)[];

export const DEFAULT_TRAIN_CONFIG: TrainConfig = Object.fromEntries(
  TRAIN_FIELD_KEYS.map((k) => [k, TRAIN_FIELDS[k].default]),
) as unknown as TrainConfig;

/** A training setting refused: the field it is about and why, in plain words (the message names the field too). */
export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
  constructor(
    readonly field: keyof TrainConfig,
    message: string,
    /** A rule between fields (heads divide the width), not a wrong value of this one alone. */
    readonly acrossFields = false,
  ) {
    super(message);
  }
}

/**
 * A field's value from text, as a link, the command line and the form give it: a number field's
 * text as a number, anything else the text itself. Throws a TrainConfigError when a number field's
 * text is not a number; bounds and choices are parseTrainConfig's to check.
 */
export function readFieldText(key: keyof TrainConfig, text: string): string | number {
  const spec: FieldSpec = TRAIN_FIELDS[key];
  const trimmed = text.trim();
  if (spec.kind !== 'int' && spec.kind !== 'float') return spec.kind === 'text' ? text : trimmed;
  const n = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isFinite(n)) throw new TrainConfigError(key, `${spec.label} (${key}) must be a number, got "${text}"`);
  return n;
}

/** Sets one field of a configuration from its text (see readFieldText, which throws for a non-number). */
export function setField(config: TrainConfig, key: keyof TrainConfig, text: string): void {
  (config as unknown as Record<string, string | number>)[key] = readFieldText(key, text);
}

/**
 * Checks a configuration from outside (a form, a stored run, a message): missing fields take their
 * defaults, anything else wrong throws an error naming the field and the reason.
 */
export function parseTrainConfig(input: unknown): TrainConfig {
  if (typeof input !== 'object' || input === null) throw new Error('training configuration must be an object');
  const raw = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of TRAIN_FIELD_KEYS) {
    const spec: FieldSpec = TRAIN_FIELDS[key];
    const value = raw[key] ?? spec.default;
    if (spec.kind === 'text') {
      if (typeof value !== 'string')
        throw new TrainConfigError(key, `${spec.label} (${key}) must be text, got ${JSON.stringify(value)}`);
      const wrong = spec.validate(value);
      if (wrong) throw new TrainConfigError(key, `${spec.label} (${key}): ${wrong}`);
    } else if (spec.kind === 'choice') {
      if (typeof value !== 'string' || !spec.choices.includes(value)) {
        throw new TrainConfigError(
          key,
          `${spec.label} (${key}) must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(value)}`,
        );
      }
    } else {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TrainConfigError(key, `${spec.label} (${key}) must be a number, got ${JSON.stringify(value)}`);
      }
      if (spec.kind === 'int' && !Number.isInteger(value))
        throw new TrainConfigError(key, `${spec.label} (${key}) must be a whole number, got ${value}`);
      if (value < spec.min || value > spec.max) {
        throw new TrainConfigError(
          key,
          `${spec.label} (${key}) must be between ${spec.min} and ${spec.max}, got ${value}`,
        );
      }
    }
    out[key] = value;
  }
  const config = out as unknown as TrainConfig;
  const f16 = frozenF16Refusal(config, config.backend);
  if (f16) throw new TrainConfigError('frozenWeights', f16, true);
  if (config.dModel % config.nHeads !== 0) {
    throw new TrainConfigError(
      'nHeads',
      `Attention heads (nHeads = ${config.nHeads}) must divide Model width (dModel = ${config.dModel})`,
      true,
    );
  }
  if (config.loraRank > 0 && config.nLayers === 0 && parseEncoderSource(config.encoder).kind === 'builtin') {
    throw new TrainConfigError(
      'loraRank',
      'LoRA rank (loraRank): the built-in encoder with 0 layers is a bag of word vectors, with no projection to put an adapter on; give it layers (Layers, nLayers), pick a pretrained encoder, or set LoRA rank to 0',
      true,
    );
  }
  return config;
}

/** Starting points for the form, for people who do not want to tune each field. */
export const TRAIN_PRESETS: readonly { id: string; label: string; help: string; values: Partial<TrainConfig> }[] = [
  {
    id: 'quick',
    label: 'Quick demo',
    help: 'A tiny model, one pass over the data: about a minute on a laptop CPU. Shows the curves move.',
    values: {
      dModel: 32,
      nLayers: 1,
      nHeads: 2,
      maxLength: 64,
      batchSize: 16,
      learningRate: 1e-3,
      epochs: 1,
      evalEvery: 10,
      // one short pass: a warmup would spend a real share of it at a low learning rate
      warmupRatio: 0,
    },
  },
  {
    id: 'balanced',
    label: 'Balanced',
    help: 'The defaults, chosen by measurement on small data: the mean of 64-wide word vectors (GloVe) and a length term, over 128 tokens, one pass. Seconds, not minutes.',
    values: {},
  },
  {
    id: 'transformer',
    label: 'Transformer',
    help: 'The built-in transformer (the default before December 2026): 2 layers, 64 wide, read through its [CLS] token, 3 passes, with the length term. Slower; on a few hundred pairs it overfits in the first pass.',
    values: { nLayers: 2, pooling: 'cls', epochs: 3 },
  },
  {
    id: 'careful',
    label: 'Careful',
    help: 'A wider model over longer text, a lower learning rate with warmup and cosine decay, a little weight decay, and more held-out pairs: slower, steadier.',
    values: {
      dModel: 128,
      nLayers: 2,
      nHeads: 4,
      maxLength: 256,
      batchSize: 16,
      learningRate: 3e-4,
      lrSchedule: 'cosine',
      warmupRatio: 0.1,
      weightDecay: 0.01,
      epochs: 4,
      evalEvery: 50,
      maxHeldOutPairs: 500,
    },
  },
];

/** A preset applied to the defaults (fields a preset leaves out take their defaults). */
export function presetConfig(id: string): TrainConfig {
  return applyPreset(DEFAULT_TRAIN_CONFIG, id);
}

/**
 * A preset applied to the form as it is: model and training fields take the preset's values (or
 * their defaults); the held-out split and the backend stay as the user set them.
 */
export function applyPreset(current: TrainConfig, id: string): TrainConfig {
  const preset = TRAIN_PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`no preset ${id}`);
  const kept = (key: keyof TrainConfig) => (TRAIN_FIELDS[key] as FieldSpec).keptByPresets === true;
  const base = Object.fromEntries(TRAIN_FIELD_KEYS.map((k) => [k, kept(k) ? current[k] : DEFAULT_TRAIN_CONFIG[k]]));
  return parseTrainConfig({ ...base, ...preset.values });
}
