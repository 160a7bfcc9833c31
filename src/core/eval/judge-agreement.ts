// A reference judge (an off-the-shelf Hub reward model) beside the user's own model: how far the two
// agree. The judge's rewards are on its own scale, so only orders are compared, never values:
// - one prompt's candidates (Best-of-N): does the judge serve the same candidate, and how alike are
//   the two orders (Spearman's rank correlation);
// - many rows (batch scoring): the rank correlation over every response scored, and, of the rows with
//   two or more responses, how often both pick the same best one;
// - two versions' answers to one prompt (the regression report): does the judge prefer the same
//   version, counted per pair of versions with a Wilson interval (ties count half, as in win rates).
import { wilsonShare, type Interval } from '../data/stats/math.ts';

/** Ranks from 1 (lowest value) up; equal values share the mean of their ranks (as scipy's rankdata 'average'). */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    // Positions start..end-1 hold equal values: each gets the mean of ranks start+1..end.
    const shared = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = shared;
    start = end;
  }
  return ranks;
}

/**
 * Spearman's rank correlation: Pearson's correlation of the average ranks (correct with ties).
 * NaN where it is undefined: fewer than two values, or one side all equal.
 */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} values against ${b.length}`);
  const n = a.length;
  if (n < 2) return Number.NaN;
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const mean = (n + 1) / 2; // the mean of ranks 1..n, ties or not
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = ra[i]! - mean;
    const db = rb[i]! - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb);
}

/** The index of the highest reward (the first of equals, as rankCandidates orders them). */
export function bestIndex(rewards: readonly number[]): number {
  let best = 0;
  rewards.forEach((r, i) => {
    if (r > rewards[best]!) best = i;
  });
  return best;
}

export interface CandidateAgreement {
  /** The candidate each would serve. */
  modelBest: number;
  judgeBest: number;
  sameBest: boolean;
  /** Rank correlation of the two orders (NaN for fewer than two candidates or all-equal rewards). */
  spearman: number;
}

/** One prompt's candidates: the model's rewards and the judge's, in the same order. */
export function candidateAgreement(model: readonly number[], judge: readonly number[]): CandidateAgreement {
  const modelBest = bestIndex(model);
  const judgeBest = bestIndex(judge);
  return { modelBest, judgeBest, sameBest: modelBest === judgeBest, spearman: spearman(model, judge) };
}

export interface BatchAgreement {
  /** Rank correlation over every scored response. */
  spearman: number;
  responses: number;
  /** Rows with two or more responses, and of them those where both pick the same best. */
  rowsWithChoice: number;
  sameBest: number;
}

/** Many rows, each one or more responses: the rewards of each row by the model and by the judge. */
export function batchAgreement(
  rows: readonly { model: readonly number[]; judge: readonly number[] }[],
): BatchAgreement {
  let rowsWithChoice = 0;
  let sameBest = 0;
  for (const row of rows) {
    if (row.model.length !== row.judge.length) {
      throw new Error(`a row has ${row.model.length} rewards from the model and ${row.judge.length} from the judge`);
    }
    if (row.model.length < 2) continue;
    rowsWithChoice++;
    if (bestIndex(row.model) === bestIndex(row.judge)) sameBest++;
  }
  const model = rows.flatMap((r) => [...r.model]);
  const judge = rows.flatMap((r) => [...r.judge]);
  return { spearman: spearman(model, judge), responses: model.length, rowsWithChoice, sameBest };
}

/** Which of two responses a scorer prefers: 1 the first, -1 the second, 0 neither. */
export function verdict(first: number, second: number): 1 | 0 | -1 {
  return first > second ? 1 : first < second ? -1 : 0;
}

export interface VersionAgreement extends Interval {
  x: string;
  y: string;
  /** Prompts both versions answered. */
  n: number;
  /** Prompts where the judge prefers the version the model prefers (both calling it a tie counts). */
  agree: number;
  /** Prompts where one calls it a tie and the other does not: half an agreement each. */
  half: number;
  /** (agree + half / 2) / n. */
  rate: number;
}

/**
 * Per pair of versions: on the prompts both answered, how often the judge's verdict is the model's.
 * `rewards` and `judgeRewards` are by version, one record per prompt.
 */
export function versionAgreement(
  prompts: readonly { rewards: Record<string, number>; judgeRewards: Record<string, number> }[],
  x: string,
  y: string,
  confidence = 0.95,
): VersionAgreement {
  let n = 0;
  let agree = 0;
  let half = 0;
  for (const p of prompts) {
    const [mx, my, jx, jy] = [p.rewards[x], p.rewards[y], p.judgeRewards[x], p.judgeRewards[y]];
    if (mx === undefined || my === undefined || jx === undefined || jy === undefined) continue;
    n++;
    const m = verdict(mx, my);
    const j = verdict(jx, jy);
    if (m === j) agree++;
    else if (m === 0 || j === 0) half++;
  }
  const k = agree + half / 2;
  return { x, y, n, agree, half, rate: n ? k / n : Number.NaN, ...wilsonShare(k, n, confidence) };
}
