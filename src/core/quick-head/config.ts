// The options of a quick reward model: a small head trained on frozen embeddings of prompt + response
// from a Hub feature-extraction model. One typed object with its defaults and one line of help each,
// validated where it enters (a worker message, a stored model card, the CLI).

/** Where the embeddings come from: a Transformers.js feature-extraction model and how it pools. */
export interface EmbeddingSource {
  /** Hub model id (e.g. "Xenova/all-MiniLM-L6-v2") or a model folder's URL. */
  model: string;
  /** Hub revision (branch, tag or commit); "main" unless the user picks one. */
  revision: string;
  /** How token vectors become one vector: their mean over the mask, or the first ([CLS]) token's. */
  pooling: 'mean' | 'cls';
  /** Scale each vector to unit length, as sentence-embedding model cards say to. */
  normalize: boolean;
}

export const HEAD_KINDS = ['linear', 'mlp'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];
export const ENSEMBLE_KINDS = ['seeds', 'bootstrap'] as const;
export type EnsembleKind = (typeof ENSEMBLE_KINDS)[number];

export interface QuickHeadConfig {
  /** 'linear': reward = w . x + b; 'mlp': one hidden ReLU layer of `hiddenUnits`. */
  head: HeadKind;
  /** Width of the MLP's hidden layer. */
  hiddenUnits: number;
  /** Heads trained side by side; with more than one, their disagreement is the model's uncertainty. */
  members: number;
  /** How members differ: only their random start ('seeds'), or also a bootstrap resample of the pairs each. */
  ensemble: EnsembleKind;
  /** Passes over the training pairs. A head on ~1,000 pairs fits in tens of epochs; it is seconds either way. */
  epochs: number;
  batchSize: number;
  /** Adam's step size. Embeddings are unit vectors, so weights need steps of this size, not 1e-4. */
  learningRate: number;
  /** L2 penalty (l2 / 2) ||W||^2 on the weight matrices (not biases): keeps a head on few labels calm. */
  l2: number;
  seed: number;
  /** Share of prompts held out (the same grouped-by-prompt split as every run). */
  heldOutFraction: number;
  splitSeed: number;
}

export const QUICK_HEAD_DEFAULTS: QuickHeadConfig = {
  head: 'linear',
  hiddenUnits: 64,
  members: 1,
  ensemble: 'seeds',
  epochs: 40,
  batchSize: 64,
  learningRate: 1e-2,
  l2: 1e-3,
  seed: 42,
  heldOutFraction: 0.2,
  splitSeed: 1,
};

/** Bounds of the numeric options, [min, max], integers where the option counts something. */
const BOUNDS: Record<Exclude<keyof QuickHeadConfig, 'head' | 'ensemble'>, [number, number, 'int' | 'real']> = {
  hiddenUnits: [1, 4096, 'int'],
  members: [1, 16, 'int'],
  epochs: [1, 10_000, 'int'],
  batchSize: [1, 65_536, 'int'],
  learningRate: [1e-7, 10, 'real'],
  l2: [0, 100, 'real'],
  seed: [0, 2 ** 31 - 1, 'int'],
  heldOutFraction: [0, 0.9, 'real'],
  splitSeed: [0, 2 ** 31 - 1, 'int'],
};

/** The defaults with what `input` sets; an unknown field or a bad value throws, naming the field. */
export function parseQuickHeadConfig(input: unknown): QuickHeadConfig {
  if (typeof input !== 'object' || input === null) throw new Error('quick head options: not an object');
  const config: QuickHeadConfig = { ...QUICK_HEAD_DEFAULTS };
  for (const [key, value] of Object.entries(input)) {
    if (key === 'head' || key === 'ensemble') {
      const choices: readonly string[] = key === 'head' ? HEAD_KINDS : ENSEMBLE_KINDS;
      if (typeof value !== 'string' || !choices.includes(value))
        throw new Error(`quick head option ${key}: ${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
      (config as unknown as Record<string, unknown>)[key] = value;
      continue;
    }
    const bounds = BOUNDS[key as keyof typeof BOUNDS] as [number, number, 'int' | 'real'] | undefined;
    if (!bounds) throw new Error(`quick head option ${key}: no such option`);
    const [min, max, kind] = bounds;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
      throw new Error(`quick head option ${key}: ${JSON.stringify(value)} is not a number from ${min} to ${max}`);
    if (kind === 'int' && !Number.isInteger(value))
      throw new Error(`quick head option ${key}: ${value} is not a whole number`);
    (config as unknown as Record<string, unknown>)[key] = value;
  }
  return config;
}

/** A source's identity for caches and cards: model, revision, pooling, normalisation. */
export function sourceKey(source: EmbeddingSource): string {
  return `${source.model}@${source.revision}:${source.pooling}${source.normalize ? ':normalized' : ''}`;
}
