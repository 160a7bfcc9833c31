// Exact duplicates: the same prompt, the same two responses in the same order, the same winner.
// The detector keeps one 53-bit hash (cyrb53) per distinct pair (a number key: tens of bytes a pair, so a
// million pairs cost tens of MB), not the pairs. Two different pairs share a hash with a
// probability of about n^2 / 2^54: 5e-5 for a million pairs; such a pair would be reported, never dropped.
//
// Duplicates are stored and reported, not dropped: annotators may legitimately see the same pair
// twice (agreement checks), and the user decides what to do with them.

import type { PairInput, Text } from './pair.ts';
import { cyrb53 } from './hash.ts';

/** Only what a turn says counts: a message's other keys (a name, tool calls) do not make a pair different. */
function canonicalText(text: Text): unknown {
  return typeof text === 'string' ? text : text.map((m) => [m.role, m.content]);
}

/** The content that makes two pairs the same, as one string. */
export function pairKey(pair: Pick<PairInput, 'prompt' | 'responseA' | 'responseB' | 'winner'>): string {
  return JSON.stringify([
    canonicalText(pair.prompt),
    canonicalText(pair.responseA),
    canonicalText(pair.responseB),
    pair.winner,
  ]);
}

export class DuplicateDetector {
  private readonly seen = new Map<number, number>();

  /** The line of the first pair with the same content, or undefined for a pair not seen before. */
  check(pair: PairInput, line: number): number | undefined {
    const key = cyrb53(pairKey(pair));
    const first = this.seen.get(key);
    if (first !== undefined) return first;
    this.seen.set(key, line);
    return undefined;
  }

  get distinct(): number {
    return this.seen.size;
  }
}
