// How candidates are generated: which Hub model, how it samples, how much and how many. One typed
// table (GENERATION_FIELDS) gives each option its label, help, default and bounds; the form and
// validation read it, as TRAIN_FIELDS does for training. The sampling knobs are the ones
// Transformers.js (and Hugging Face's generate()) take, under their usual names.

/** Where a Hub model runs: 'auto' is WebGPU on a hardware adapter, else WebAssembly. */
export const GENERATION_DEVICES = ['auto', 'webgpu', 'wasm'] as const;
export type GenerationDevice = (typeof GENERATION_DEVICES)[number];

export interface GenerationSettings {
  /** A Hub model id with ONNX weights (a chat model: its chat template is applied to the prompt). */
  model: string;
  /** 0 is greedy decoding (every response the same); higher spreads the candidates. */
  temperature: number;
  /** Nucleus sampling: keep the fewest tokens whose probabilities add up to this. */
  topP: number;
  maxNewTokens: number;
  /** Responses per prompt (the N of best-of-N). */
  responses: number;
  device: GenerationDevice;
}

interface NumberField {
  kind: 'number';
  label: string;
  help: string;
  min: number;
  max: number;
  step: number;
  integer?: boolean;
}
interface TextField {
  kind: 'text';
  label: string;
  help: string;
}
interface ChoiceField {
  kind: 'choice';
  label: string;
  help: string;
  choices: readonly string[];
}
type Field = NumberField | TextField | ChoiceField;

/**
 * SmolLM2-135M-Instruct: a small chat model whose repository carries ONNX weights for
 * Transformers.js (about 140 MB quantised), fast enough on a laptop's CPU for a workshop.
 */
export const DEFAULT_GENERATOR = 'HuggingFaceTB/SmolLM2-135M-Instruct';

export const DEFAULT_GENERATION: GenerationSettings = {
  model: DEFAULT_GENERATOR,
  // Enough spread that three candidates differ, little enough that they stay on topic.
  temperature: 0.7,
  topP: 0.9,
  maxNewTokens: 128,
  responses: 3,
  device: 'auto',
};

export const GENERATION_FIELDS: Record<keyof GenerationSettings, Field> = {
  model: {
    kind: 'text',
    label: 'Generator',
    help: 'A Hugging Face model id with ONNX weights (e.g. HuggingFaceTB/SmolLM2-135M-Instruct or onnx-community/Qwen2.5-0.5B-Instruct). Downloaded once, then kept in this browser.',
  },
  temperature: {
    kind: 'number',
    label: 'Temperature',
    help: '0 picks the likeliest token every time (all responses the same); higher values give more varied responses.',
    min: 0,
    max: 2,
    step: 0.05,
  },
  topP: {
    kind: 'number',
    label: 'Top-p',
    help: 'Sample only among the likeliest tokens whose probabilities add up to this (1 keeps them all).',
    min: 0.01,
    max: 1,
    step: 0.01,
  },
  maxNewTokens: {
    kind: 'number',
    label: 'Max new tokens',
    help: 'The longest a response may be, in tokens; generation also stops at the model’s end-of-turn token.',
    min: 1,
    max: 2048,
    step: 1,
    integer: true,
  },
  responses: {
    kind: 'number',
    label: 'Responses per prompt',
    help: 'How many candidates to generate for each prompt (the N of best-of-N).',
    min: 1,
    max: 16,
    step: 1,
    integer: true,
  },
  device: {
    kind: 'choice',
    label: 'Runs on',
    help: 'auto: WebGPU when this computer has a GPU adapter, else WebAssembly (CPU).',
    choices: GENERATION_DEVICES,
  },
};

/** A setting that is not valid: names the field (its key and label) and why. */
export class GenerationSettingsError extends Error {
  constructor(
    readonly field: keyof GenerationSettings,
    reason: string,
  ) {
    super(`${GENERATION_FIELDS[field].label}: ${reason}`);
    this.name = 'GenerationSettingsError';
  }
}

/** Settings from anything (a form, a worker message): missing fields take their defaults; bad ones throw. */
export function parseGenerationSettings(raw: unknown): GenerationSettings {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('generation settings must be an object');
  }
  const record = raw as Record<string, unknown>;
  const out = { ...DEFAULT_GENERATION } as Record<keyof GenerationSettings, unknown>;
  for (const key of Object.keys(GENERATION_FIELDS) as (keyof GenerationSettings)[]) {
    const value = record[key];
    if (value === undefined) continue;
    const field = GENERATION_FIELDS[key];
    if (field.kind === 'number') {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new GenerationSettingsError(key, 'must be a number');
      if (field.integer && !Number.isInteger(n)) throw new GenerationSettingsError(key, 'must be a whole number');
      if (n < field.min || n > field.max) {
        throw new GenerationSettingsError(key, `must be between ${field.min} and ${field.max} (got ${n})`);
      }
      out[key] = n;
    } else if (field.kind === 'choice') {
      if (typeof value !== 'string' || !field.choices.includes(value)) {
        throw new GenerationSettingsError(key, `must be one of ${field.choices.join(', ')}`);
      }
      out[key] = value;
    } else {
      if (typeof value !== 'string' || value.trim() === '') throw new GenerationSettingsError(key, 'is empty');
      out[key] = value.trim();
    }
  }
  return out as unknown as GenerationSettings;
}

/** A short name for a model and its sampling, to tell two generation setups apart ("model_a_version"). */
export function settingsLabel(s: GenerationSettings): string {
  const sampling = s.temperature === 0 ? 'greedy' : `T=${s.temperature}, top-p=${s.topP}`;
  return `${s.model} (${sampling}, ${s.maxNewTokens} tokens)`;
}
