// A link that reproduces a training setup: the dataset (the bundled demo) and every training
// option that differs from its default, in the URL's hash, e.g. #dataset=demo&dModel=32&epochs=1.
// The fields and their validation come from TRAIN_FIELDS, the one table of options: nothing here
// lists them again. Defaults are left out, so links stay short and follow future defaults.
import {
  DEFAULT_TRAIN_CONFIG,
  parseTrainConfig,
  TRAIN_FIELD_KEYS,
  TRAIN_FIELDS,
  type TrainConfig,
} from '../train/config.ts';

export interface SetupLink {
  /** 'demo': the bundled demo dataset (user files live only in their browser, so a link cannot carry them). */
  dataset?: 'demo';
  config: TrainConfig;
}

/** The hash (without '#') for a setup. */
export function encodeSetup(setup: SetupLink): string {
  const params = new URLSearchParams();
  if (setup.dataset) params.set('dataset', setup.dataset);
  for (const key of TRAIN_FIELD_KEYS) {
    const value = setup.config[key];
    if (value !== DEFAULT_TRAIN_CONFIG[key]) params.set(key, String(value));
  }
  return params.toString();
}

/**
 * The setup a hash describes. Unknown keys and bad values are errors that name the key, so a
 * mistyped link says what is wrong instead of silently training something else.
 */
export function decodeSetup(hash: string): SetupLink {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const raw: Record<string, unknown> = {};
  let dataset: SetupLink['dataset'];
  for (const [key, value] of params) {
    if (key === 'dataset') {
      if (value !== 'demo') throw new Error(`the link's dataset must be "demo" (got "${value}")`);
      dataset = 'demo';
    } else if (key in TRAIN_FIELDS) {
      const spec = TRAIN_FIELDS[key as keyof TrainConfig];
      raw[key] = spec.kind === 'choice' || spec.kind === 'text' ? value : value.trim() === '' ? NaN : Number(value);
    } else {
      throw new Error(`the link has an unknown setting "${key}"`);
    }
  }
  return { dataset, config: parseTrainConfig(raw) };
}
