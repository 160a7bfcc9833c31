// The command line's options. The training options are generated from TRAIN_FIELDS (flag names,
// help, defaults, bounds): a field added there is an option here with no second list to keep.
// A flag is the field's key in kebab case (batchSize -> --batch-size); the camelCase key is
// accepted too, so a config.json's names work as they are. The encoder field is --model.
import { parseArgs } from 'node:util';
import {
  TRAIN_FIELDS,
  TRAIN_FIELD_KEYS,
  parseTrainConfig,
  readFieldText,
  FIELD_GROUPS,
  TrainConfigError,
  type FieldSpec,
  type TrainConfig,
} from '../core/train/config.ts';
import { closest } from './closest.ts';

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function flagOf(key: keyof TrainConfig): string {
  return key === 'encoder' ? 'model' : key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Options of a command that are not training options (--data, --out...). */
export interface CommandOption {
  name: string;
  value: string;
  help: string;
  required?: boolean;
  default?: string;
  /** A switch that takes no value (its value reads 'true' when given). */
  switch?: boolean;
}

export interface ParsedCommand {
  values: Record<string, string | undefined>;
  /** The training options given on the command line, checked, keyed by TRAIN_FIELDS key. */
  train: Partial<TrainConfig>;
  help: boolean;
}

/**
 * Reads `argv` (after the command name): the command's own options and, with `trainOptions`,
 * every TRAIN_FIELDS option. Unknown options, missing values and values outside a field's bounds
 * are UsageErrors naming the option.
 */
export function parseCommand(
  argv: string[],
  own: CommandOption[],
  trainOptions: boolean,
  /** Rewrites a training option's text before it is checked (e.g. a folder path into 'folder:<name>'). */
  rewrite: Partial<Record<keyof TrainConfig, (text: string) => string>> = {},
): ParsedCommand {
  const spec: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const o of own) spec[o.name] = { type: o.switch ? 'boolean' : 'string' };
  const byFlag = new Map<string, keyof TrainConfig>();
  if (trainOptions) {
    for (const key of TRAIN_FIELD_KEYS) {
      for (const name of new Set([flagOf(key), key])) {
        spec[name] = { type: 'string' };
        byFlag.set(name, key);
      }
    }
  }
  refuseUnknownOptions(argv, spec);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const raw = parsed.values as Record<string, string | boolean | undefined>;
  if (raw.help) return { values: {}, train: {}, help: true };

  const values: Record<string, string | undefined> = {};
  for (const o of own) {
    const v = raw[o.name];
    if (o.switch) {
      values[o.name] = v === true ? 'true' : undefined;
      continue;
    }
    if (typeof v === 'string' && v.trim() === '') throw new UsageError(`--${o.name} needs a value`);
    values[o.name] = typeof v === 'string' ? v : o.default;
    if (o.required && values[o.name] === undefined) throw new UsageError(`--${o.name} ${o.value} is required`);
  }
  const train: Record<string, string | number> = {};
  for (const [name, key] of byFlag) {
    const v = raw[name];
    if (typeof v !== 'string') continue;
    if (key in train) throw new UsageError(`--${flagOf(key)} is given twice (once as --${name})`);
    // One field at a time against the defaults, so the error names this option. The one rule
    // across fields (heads divide the width) is checked on the whole set below.
    try {
      train[key] = readFieldText(key, rewrite[key]?.(v) ?? v);
      parseTrainConfig({ [key]: train[key] });
    } catch (error) {
      if (!(error instanceof TrainConfigError)) throw error;
      if (!error.acrossFields) throw new UsageError(`--${name}: ${error.message}`);
    }
  }
  try {
    parseTrainConfig(train);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { values, train: train as Partial<TrainConfig>, help: false };
}

/**
 * An option this command does not have is refused with the closest one it has ("did you mean
 * --epochs?"), before parseArgs, whose own message cannot say it.
 */
function refuseUnknownOptions(argv: string[], spec: Record<string, unknown>): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name === undefined || name in spec) continue;
    const near = closest(name, Object.keys(spec));
    throw new UsageError(`unknown option --${name}${near ? `: did you mean --${near}?` : ''}`);
  }
}

/** Help text: the command's own options, then (for train) every TRAIN_FIELDS option by group. */
export function helpText(usage: string, summary: string, own: CommandOption[], trainOptions: boolean): string {
  const lines = [`Usage: ${usage}`, '', ...wrap(summary, ''), '', 'Options:'];
  for (const o of own) {
    const extra = o.required ? ' (required)' : o.default !== undefined ? ` (default: ${o.default})` : '';
    lines.push(...entry(o.switch ? `--${o.name}` : `--${o.name} ${o.value}`, o.help + extra));
  }
  lines.push(...entry('--help', 'Show this help.'));
  if (!trainOptions) return lines.join('\n') + '\n';
  for (const group of FIELD_GROUPS) {
    lines.push('', `${group.title} options:`);
    for (const key of TRAIN_FIELD_KEYS) {
      const spec: FieldSpec = TRAIN_FIELDS[key];
      if (spec.group !== group.id) continue;
      const note = spec.inNode ? ` ${spec.inNode}` : '';
      lines.push(...entry(`--${flagOf(key)} ${valueHint(spec)}`, `${spec.label}. ${spec.help}${note} ${bounds(spec)}`));
    }
  }
  return lines.join('\n') + '\n';
}

function valueHint(spec: FieldSpec): string {
  if (spec.kind === 'choice') return spec.choices.join('|');
  if (spec.kind === 'text') return '<text>';
  return spec.kind === 'int' ? '<int>' : '<number>';
}

function bounds(spec: FieldSpec): string {
  if (spec.kind === 'int' || spec.kind === 'float') return `[${spec.min}..${spec.max}, default ${spec.default}]`;
  return `[default ${spec.default}]`;
}

/** An option and its help, the help indented under the option. */
function entry(option: string, help: string): string[] {
  return [`  ${option}`, ...wrap(help, '      ')];
}

/** Text wrapped at 100 columns, each line starting with `indent`. */
function wrap(text: string, indent: string): string[] {
  const out: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length > 100 && line.trim() !== '') {
      out.push(line.trimEnd());
      line = indent;
    }
    line += word + ' ';
  }
  out.push(line.trimEnd());
  return out;
}
