// Counts over a dataset's pairs, for the import summary and the dataset view.

import type { Pair, Winner } from './pair.ts';

export function winnerCounts(pairs: Iterable<Pick<Pair, 'winner'>>): Record<Winner, number> & { total: number } {
  const counts = { a: 0, b: 0, tie: 0, both_bad: 0, total: 0 };
  for (const { winner } of pairs) {
    counts[winner]++;
    counts.total++;
  }
  return counts;
}
