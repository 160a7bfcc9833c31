// The train / held-out split, grouped by prompt: every pair of a prompt lands on the same side,
// so the held-out accuracy measures prompts the model has never seen, not memorised ones.
// The side is a pure function of the seed and the prompt's text, so no pair's split is stored and
// adding pairs to a dataset never moves existing ones.

import { type Text, textOf } from './pair.ts';

export type Split = 'train' | 'heldout';

export interface SplitOptions {
  seed: number;
  /** The share of prompts held out, in [0, 1]. */
  heldOutFraction: number;
}

/**
 * cyrb53 (bryc, public domain): a fast, well-mixed 53-bit string hash. 53 bits fit a double
 * exactly, and unlike a 32-bit hash it leaves no visible collisions on datasets of millions.
 */
export function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
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
