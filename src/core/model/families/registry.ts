// Every Hugging Face model family RM Lab builds, found by config.json's model_type. The loader
// refuses any other model_type before a weight is downloaded, in a message generated from this list,
// so adding a family here is what makes it supported.
import type { BertConfig } from '../encoders/bert-config.ts';
import { bert } from './bert.ts';
import { deberta } from './deberta.ts';
import { distilbert } from './distilbert.ts';
import { electra } from './electra.ts';
import { gpt2 } from './gpt2.ts';
import { llama, qwen2 } from './llama.ts';
import type { EncoderFamily, FamilyConfig, SpecialIds } from './family.ts';
import { roberta, xlmRoberta } from './roberta.ts';

/** The families, in the order the "supported" message names them: encoders, then decoders. */
export const FAMILIES: readonly EncoderFamily[] = [
  bert,
  distilbert,
  roberta,
  xlmRoberta,
  electra,
  deberta,
  gpt2,
  llama,
  qwen2,
] as unknown as EncoderFamily[];

/** The family that builds a model_type, or undefined. */
export function familyFor(modelType: string): EncoderFamily | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}

/** The family of a config already read (a spec's): it must be one of the registry's. */
export function familyOf<C extends FamilyConfig>(config: C): EncoderFamily<C> {
  const family = familyFor(config.modelType);
  if (!family)
    throw new Error(`model_type ${JSON.stringify(config.modelType)} is not one RM Lab builds; ${supported()}`);
  return family as unknown as EncoderFamily<C>;
}

/** "RM Lab supports model_type 'bert' (BERT, MiniLM, ...), 'roberta' ...": what the refusals end with. */
export function supported(): string {
  const each = FAMILIES.map((f) => `${f.modelTypes.map((t) => `'${t}'`).join(' and ')} (${f.covers})`);
  return `RM Lab supports model_type ${each.join('; ')}`;
}

/** Every model_type the registry builds. */
export function supportedModelTypes(): string[] {
  return FAMILIES.flatMap((f) => f.modelTypes);
}

/**
 * config.json (already parsed) -> its family's config, or one plain error naming what the file
 * holds and what is supported. `special` holds the tokenizer's separator and padding ids.
 */
export function readModelConfig(configJson: unknown, special: SpecialIds): BertConfig {
  if (typeof configJson !== 'object' || configJson === null || Array.isArray(configJson)) {
    const got = configJson === undefined ? 'nothing' : JSON.stringify(configJson).slice(0, 40);
    throw new Error(`config.json is missing or not a JSON object (got ${got}); ${supported()}`);
  }
  const c = configJson as Record<string, unknown>;
  const family = typeof c.model_type === 'string' ? familyFor(c.model_type) : undefined;
  if (!family) throw new Error(`${unsupportedType(c)}; ${supported()}`);
  return family.readConfig(c, special) as BertConfig;
}

/** 'config.json has model_type "gpt2" (GPT2LMHeadModel), which RM Lab cannot build' */
export function unsupportedType(c: Record<string, unknown>): string {
  const got = c.model_type === undefined ? 'no model_type' : `model_type ${JSON.stringify(c.model_type)}`;
  const arch = Array.isArray(c.architectures) ? ` (${c.architectures.join(', ')})` : '';
  return `config.json has ${got}${arch}, which RM Lab cannot build`;
}
