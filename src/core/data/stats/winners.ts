// The winner distribution: how many pairs say A, B, tie and both bad. The share of ties and
// both-bad pairs is what a pairwise (Bradley-Terry) loss cannot use: it trains on decisive pairs only.

import { type Pair, WINNERS, type Winner } from '../pair.ts';
import { ratio } from './math.ts';

export type WinnerCounts = Record<Winner, number> & { total: number };

/** Counts of each winner and the total. Supersedes src/core/data/stats.ts, with the same result. */
export function winnerCounts(pairs: Iterable<Pick<Pair, 'winner'>>): WinnerCounts {
  const counts = { a: 0, b: 0, tie: 0, both_bad: 0, total: 0 };
  for (const { winner } of pairs) {
    counts[winner]++;
    counts.total++;
  }
  return counts;
}

export interface WinnerDistribution {
  total: number;
  counts: Record<Winner, number>;
  /** counts / total; NaN for an empty dataset. */
  shares: Record<Winner, number>;
  /** Pairs with winner a or b: the ones a pairwise loss trains on. */
  decisive: number;
  decisiveShare: number;
}

export function winnerDistribution(pairs: Iterable<Pick<Pair, 'winner'>>): WinnerDistribution {
  const { total, ...counts } = winnerCounts(pairs);
  const shares = Object.fromEntries(WINNERS.map((w) => [w, ratio(counts[w], total)])) as Record<Winner, number>;
  const decisive = counts.a + counts.b;
  return { total, counts, shares, decisive, decisiveShare: ratio(decisive, total) };
}
