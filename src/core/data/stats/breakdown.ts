// How the pairs spread over task types, model versions and annotators: a dataset dominated by
// one task, one model or one annotator trains a reward model of that task, model or annotator.

import { type Pair, WINNERS, type Winner } from '../pair.ts';
import { ratio } from './math.ts';

export interface CountRow {
  key: string;
  count: number;
  /** count / total pairs (NaN for no pairs). */
  share: number;
  /** The winners of the row's pairs, for a stacked bar. */
  winners: Record<Winner, number>;
}

export interface Breakdown {
  /** Sorted by count, largest first; equal counts by key (code-unit order). */
  rows: CountRow[];
  /** Pairs without the field (absent or the empty string). */
  missing: number;
  total: number;
}

function emptyWinners(): Record<Winner, number> {
  return Object.fromEntries(WINNERS.map((w) => [w, 0])) as Record<Winner, number>;
}

function byCountThenKey(x: { key: string; count: number }, y: { key: string; count: number }): number {
  return y.count - x.count || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
}

/** Pairs per value of a field; `keyOf` returns undefined or '' for a pair without one. */
export function countBy<P extends Pick<Pair, 'winner'>>(
  pairs: Iterable<P>,
  keyOf: (pair: P) => string | undefined,
): Breakdown {
  const rows = new Map<string, CountRow>();
  let missing = 0;
  let total = 0;
  for (const pair of pairs) {
    total++;
    const key = keyOf(pair);
    if (key === undefined || key === '') {
      missing++;
      continue;
    }
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { key, count: 0, share: 0, winners: emptyWinners() }));
    row.count++;
    row.winners[pair.winner]++;
  }
  const sorted = [...rows.values()].sort(byCountThenKey);
  for (const row of sorted) row.share = ratio(row.count, total);
  return { rows: sorted, missing, total };
}

export function pairsPerTaskType(pairs: Iterable<Pick<Pair, 'winner' | 'taskType'>>): Breakdown {
  return countBy(pairs, (p) => p.taskType);
}

export function pairsPerAnnotator(pairs: Iterable<Pick<Pair, 'winner' | 'annotatorId'>>): Breakdown {
  return countBy(pairs, (p) => p.annotatorId);
}

export interface ModelCountRow {
  key: string;
  /** Pairs the model is in, as A, as B or both (a self-comparison counts once). */
  count: number;
  asA: number;
  asB: number;
  /** count / total pairs: the shares of all models add up to about 2, each pair having two models. */
  share: number;
}

export interface ModelBreakdown {
  /** Sorted by count, largest first; equal counts by key. */
  rows: ModelCountRow[];
  /** Pairs with no modelA, and pairs with no modelB. */
  missingA: number;
  missingB: number;
  total: number;
}

/** Pairs per model version (modelA / modelB); win, loss and tie counts are in the leaderboard. */
export function pairsPerModel(pairs: Iterable<Pick<Pair, 'modelA' | 'modelB'>>): ModelBreakdown {
  const rows = new Map<string, ModelCountRow>();
  const row = (key: string): ModelCountRow => {
    let r = rows.get(key);
    if (r === undefined) rows.set(key, (r = { key, count: 0, asA: 0, asB: 0, share: 0 }));
    return r;
  };
  let missingA = 0;
  let missingB = 0;
  let total = 0;
  for (const { modelA, modelB } of pairs) {
    total++;
    if (modelA === undefined || modelA === '') missingA++;
    else row(modelA).asA++;
    if (modelB === undefined || modelB === '') missingB++;
    else row(modelB).asB++;
    if (modelA) row(modelA).count++;
    if (modelB && modelB !== modelA) row(modelB).count++;
  }
  const sorted = [...rows.values()].sort(byCountThenKey);
  for (const r of sorted) r.share = ratio(r.count, total);
  return { rows: sorted, missingA, missingB, total };
}
