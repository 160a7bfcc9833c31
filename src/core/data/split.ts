// The train / held-out split, grouped by prompt: every pair of a prompt lands on the same side,
// so the held-out accuracy measures prompts the model has never seen, not memorised ones.
// The side is a pure function of the seed and the prompt's text, so no pair's split is stored and
// adding pairs to a dataset never moves existing ones.

import { cyrb53 } from './hash.ts';
import { type Text, textOf } from './pair.ts';

export type Split = 'train' | 'heldout';

export interface SplitOptions {
  seed: number;
  /** The share of prompts held out, in [0, 1]. */
  heldOutFraction: number;
}

export function splitOf(prompt: Text, options: SplitOptions): Split {
  const { seed, heldOutFraction } = options;
  if (!(heldOutFraction >= 0 && heldOutFraction <= 1)) {
    throw new RangeError(`heldOutFraction must be between 0 and 1 (got ${heldOutFraction})`);
  }
  // The seed goes into the hashed text, not cyrb53's seed argument, which only keeps 32 bits of it.
  const u = cyrb53(`${seed}:${textOf(prompt)}`) / 2 ** 53; // in [0, 1)
  return u < heldOutFraction ? 'heldout' : 'train';
}

/** A decided split: which side each pair's prompt is on. */
export interface SplitPlan {
  sideOf(pair: { prompt: Text; taskType?: string }): Split;
}

/** The plain split: each prompt's side is a hash of the seed and the prompt, independent of the rest. */
export function hashedSplit(options: SplitOptions): SplitPlan {
  return { sideOf: (pair) => splitOf(pair.prompt, options) };
}

/**
 * The split stratified by task type: within each task type, the prompts whose hash ranks lowest
 * are held out, round(fraction x prompts of that type) of them, so every task type is held out in
 * the same proportion (a hashed split only does so on average, and small types can miss out).
 * Still grouped by prompt; a prompt seen under several task types counts under its first.
 * It needs every pair first, so it is built in one pass over the dataset.
 */
export function stratifiedSplit(
  pairs: Iterable<{ prompt: Text; taskType?: string }>,
  options: SplitOptions,
): SplitPlan {
  const typeOf = new Map<string, string>();
  const byType = new Map<string, { prompt: string; rank: number }[]>();
  for (const pair of pairs) {
    const prompt = textOf(pair.prompt);
    if (typeOf.has(prompt)) continue;
    const type = pair.taskType ?? '';
    typeOf.set(prompt, type);
    const group = byType.get(type) ?? [];
    group.push({ prompt, rank: cyrb53(`${options.seed}:${prompt}`) });
    byType.set(type, group);
  }
  const heldOut = new Set<string>();
  for (const group of byType.values()) {
    group.sort((x, y) => x.rank - y.rank);
    const n = Math.round(options.heldOutFraction * group.length);
    for (const { prompt } of group.slice(0, n)) heldOut.add(prompt);
  }
  return { sideOf: (pair) => (heldOut.has(textOf(pair.prompt)) ? 'heldout' : 'train') };
}

/**
 * Whether a training-side prompt is in the validation slice (the pairs that choose the best
 * checkpoint): a hash of the prompt with its own salt, so the slice is independent of the held-out
 * split and, like it, grouped by prompt and stable when pairs are added.
 */
export function inValidationSlice(prompt: Text, options: { seed: number; fraction: number }): boolean {
  if (!(options.fraction > 0)) return false;
  return cyrb53(`validation:${options.seed}:${textOf(prompt)}`) / 2 ** 53 < options.fraction;
}

export type Stratify = 'none' | 'task_type';

export interface SplitSettings extends SplitOptions {
  stratify: Stratify;
}

/** The split a run (and the data browser) uses: hashed per prompt, or stratified by task type. */
export function planSplit(pairs: Iterable<{ prompt: Text; taskType?: string }>, settings: SplitSettings): SplitPlan {
  return settings.stratify === 'task_type' ? stratifiedSplit(pairs, settings) : hashedSplit(settings);
}
