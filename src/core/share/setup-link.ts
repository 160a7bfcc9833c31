// A link that reproduces a demo: where the data comes from, a trained model to try, the screen to
// open on, and every training option that differs from its default, in the URL's hash, e.g.
//   #dataset=demo&dModel=32&epochs=1
//   #dataset-url=https://example.org/pairs.jsonl&screen=train
//   #dataset-inline=<deflate-raw, base64url>&learningRate=0.001
//   #model-url=https://example.org/rm.rmlab.safetensors&screen=playground
// The link's own fields are one typed table (LINK_FIELDS); the training options come from
// TRAIN_FIELDS, the one table of options: nothing here lists them again. Defaults are left out,
// so links stay short and follow future defaults.
import {
  DEFAULT_TRAIN_CONFIG,
  parseTrainConfig,
  readFieldText,
  TRAIN_FIELD_KEYS,
  TRAIN_FIELDS,
  type TrainConfig,
} from '../train/config.ts';
import { httpUrl } from './fetch-url.ts';
import { checkInlinePayload } from './inline-dataset.ts';

/**
 * The screens a link can open on, in the order of the app's navigation (the screen's heading id is
 * `${screen}-heading`). 'evaluate' is the Use screen opened on its regression view.
 */
export const SCREENS = ['data', 'train', 'results', 'models', 'use', 'evaluate'] as const;
export type Screen = (typeof SCREENS)[number];
/** Screen names of older links, still read (the app once was one long page with these sections). */
const FORMER_SCREENS: Record<string, Screen> = { runs: 'results', playground: 'use' };

export interface SetupLink {
  /** 'demo': the bundled demo dataset. */
  dataset?: 'demo';
  /** A dataset file at an http(s) address, imported through the usual import path. */
  datasetUrl?: string;
  /** A small dataset carried in the link itself: RM Lab JSONL, deflate-raw, base64url (inline-dataset.ts). */
  datasetInline?: string;
  /** A trained model file (.rmlab.safetensors) to import and try. */
  modelUrl?: string;
  /** The screen to show. */
  screen?: Screen;
  config: TrainConfig;
}

type LinkKey = Exclude<keyof SetupLink, 'config'>;

/** The link's own fields: their name in the hash and how a value from a link is checked. */
export const LINK_FIELDS: { [K in LinkKey]: { param: string; read: (value: string) => NonNullable<SetupLink[K]> } } = {
  dataset: {
    param: 'dataset',
    read: (value) => {
      if (value !== 'demo') throw new Error(`the link's dataset must be "demo" (got "${value}")`);
      return 'demo';
    },
  },
  datasetUrl: { param: 'dataset-url', read: (value) => httpUrl(value, 'dataset').href },
  datasetInline: { param: 'dataset-inline', read: (value) => checkInlinePayload(value) },
  modelUrl: { param: 'model-url', read: (value) => httpUrl(value, 'model').href },
  screen: {
    param: 'screen',
    read: (value) => {
      if (FORMER_SCREENS[value]) return FORMER_SCREENS[value];
      if (!(SCREENS as readonly string[]).includes(value)) {
        throw new Error(`the link's screen must be one of ${SCREENS.join(', ')} (got "${value}")`);
      }
      return value as Screen;
    },
  },
};

const LINK_KEYS = Object.keys(LINK_FIELDS) as LinkKey[];
const DATASET_KEYS: LinkKey[] = ['dataset', 'datasetUrl', 'datasetInline'];

/** The hash (without '#') for a setup. The inline dataset goes last: it is long. */
export function encodeSetup(setup: SetupLink): string {
  const params = new URLSearchParams();
  for (const key of LINK_KEYS) {
    const value = setup[key];
    if (value !== undefined && key !== 'datasetInline') params.set(LINK_FIELDS[key].param, value);
  }
  for (const key of TRAIN_FIELD_KEYS) {
    const value = setup.config[key];
    if (value !== DEFAULT_TRAIN_CONFIG[key]) params.set(key, String(value));
  }
  if (setup.datasetInline !== undefined) params.set(LINK_FIELDS.datasetInline.param, setup.datasetInline);
  return params.toString();
}

/**
 * The setup a hash describes. Unknown keys and bad values are errors that name the key, so a
 * mistyped link says what is wrong instead of silently training something else.
 */
export function decodeSetup(hash: string): SetupLink {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const raw: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const link: Omit<SetupLink, 'config'> = {};
  const byParam = new Map(LINK_KEYS.map((k) => [LINK_FIELDS[k].param, k]));
  for (const [param, value] of params) {
    const key = byParam.get(param);
    if (key) {
      (link as Record<string, unknown>)[key] = LINK_FIELDS[key].read(value);
    } else if (Object.hasOwn(TRAIN_FIELDS, param)) {
      // Own fields only: "toString" or "__proto__" in a link is an unknown setting, not Object's.
      raw[param] = readFieldText(param as keyof TrainConfig, value);
    } else {
      throw new Error(`the link has an unknown setting "${param}"`);
    }
  }
  const sources = DATASET_KEYS.filter((k) => link[k] !== undefined).map((k) => LINK_FIELDS[k].param);
  if (sources.length > 1) throw new Error(`the link names ${sources.join(' and ')}: give one dataset`);
  return { ...link, config: parseTrainConfig(raw) };
}
