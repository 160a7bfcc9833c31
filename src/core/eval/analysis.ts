// What a reward-model builder reads in the held-out rewards of one evaluation, beyond the
// accuracy: the margins, calibration (a reliability diagram and its ECE), accuracy per slice of
// the data with Wilson intervals, how close tied pairs are scored, and the pairs the model gets
// most confidently wrong. Plain numbers in, plain numbers out: the page computes these live at
// every evaluation and for stored runs alike, and tests check them in Node.
//
// Conventions shared by everything here:
// - A pair is "right" when r_chosen > r_rejected, strictly, as in pairwiseMetrics' accuracy
//   (an exact tie of rewards counts as wrong).
// - Rewards are Bradley-Terry logits: sigmoid(r_x - r_y) is the model's probability that people
//   prefer x to y.
// - Shares of nothing are NaN, never 0 (0 of 0 is no evidence of 0%); the UI shows NaN as '–'.
import type { Votes } from '../data/pair.ts';
import { type Interval, quantileSorted, ratio, wilsonInterval } from '../data/stats/math.ts';
import type { EvalPoint, HeldOutMeta } from '../train/events.ts';

/** One scored held-out pair: its metadata and its rewards at one evaluation. */
export interface ScoredPair {
  /** Position in the run's heldOut list (and in the evaluation's reward arrays). */
  index: number;
  meta: HeldOutMeta;
  chosen: number;
  rejected: number;
}

/** The logistic function 1 / (1 + e^-x), without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Pairs each held-out pair's metadata with its rewards at one evaluation. Undefined when the run
 * has no metadata (runs stored before it was recorded) or when it is not aligned with the
 * rewards, so that no analysis is ever drawn from mismatched pairs.
 */
export function scoredPairs(
  heldOut: readonly HeldOutMeta[] | undefined,
  point: Pick<EvalPoint, 'chosenRewards' | 'rejectedRewards'>,
): ScoredPair[] | undefined {
  if (!heldOut || heldOut.length !== point.chosenRewards.length || heldOut.length !== point.rejectedRewards.length) {
    return undefined;
  }
  return heldOut.map((meta, index) => ({
    index,
    meta,
    chosen: point.chosenRewards[index]!,
    rejected: point.rejectedRewards[index]!,
  }));
}

/** r_chosen - r_rejected for every pair: positive is right, and the larger, the surer. */
export function margins(point: Pick<EvalPoint, 'chosenRewards' | 'rejectedRewards'>): number[] {
  const n = Math.min(point.chosenRewards.length, point.rejectedRewards.length);
  return Array.from({ length: n }, (_, i) => point.chosenRewards[i]! - point.rejectedRewards[i]!);
}

// ---------------------------------------------------------------------------------------------
// Calibration

export interface ReliabilityBin {
  /** The bin covers [lower, upper); the last bin also holds 1. */
  lower: number;
  upper: number;
  /** Pairs whose predicted P(A preferred) falls in the bin. */
  n: number;
  /** Of them, pairs where people preferred A. */
  aPreferred: number;
  /** Mean predicted P(A preferred) over the bin's pairs ("confidence"); NaN when empty. */
  confidence: number;
  /** aPreferred / n, the observed rate ("accuracy"); NaN when empty. */
  observed: number;
  /** Wilson 95% interval of the observed rate; NaN bounds when empty. */
  interval: Interval;
}

export interface Reliability {
  bins: ReliabilityBin[];
  /** Pairs binned. */
  n: number;
  /** Expected calibration error: sum over bins of n_b / N |observed_b - confidence_b|; NaN when N is 0. */
  ece: number;
}

/**
 * A reliability diagram of the model's pairwise probabilities, and its expected calibration
 * error (Guo et al. 2017, "On Calibration of Modern Neural Networks").
 *
 * Orientation: every pair is oriented by the A/B position it was shown in, never by the human
 * label. The predicted probability is p = sigmoid(r_A - r_B), the model's P(A preferred), and the
 * outcome is whether people preferred A. The reward model scores each response alone and never
 * sees positions, so this is a fixed orientation independent of the label, and p ranges over all
 * of [0, 1]: a point below the diagonal on the right (or above it on the left) is over-confidence,
 * the other way round under-confidence, and both show.
 *
 * (Orienting by the human's choice, RewardBench-style P(chosen preferred), makes every outcome
 * "preferred", so the observed rate is 1 in every bin and says nothing below 1/2; folding to
 * max(p, 1 - p) against the accuracy only shows [1/2, 1].)
 *
 * Bins: `bins` equal-width bins on [0, 1], bin i = [i/bins, (i+1)/bins), p = 1 in the last.
 * confidence_b is the mean p of the bin's pairs (not the bin's centre), observed_b the share
 * where A was preferred, and ECE = sum_b n_b / N |observed_b - confidence_b|.
 */
export function reliability(pairs: readonly ScoredPair[], bins = 10): Reliability {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RangeError(`bins must be a positive integer (got ${bins})`);
  const n = new Array<number>(bins).fill(0);
  const aPreferred = new Array<number>(bins).fill(0);
  const pSum = new Array<number>(bins).fill(0);
  let total = 0;
  for (const pair of pairs) {
    const aIsChosen = pair.meta.chosenSide === 'a';
    const rA = aIsChosen ? pair.chosen : pair.rejected;
    const rB = aIsChosen ? pair.rejected : pair.chosen;
    const p = sigmoid(rA - rB);
    if (!Number.isFinite(p)) continue; // a NaN reward (a diverged run) is not a prediction
    const b = Math.min(bins - 1, Math.floor(p * bins));
    n[b]!++;
    pSum[b]! += p;
    if (aIsChosen) aPreferred[b]!++;
    total++;
  }
  let ece = 0;
  const out: ReliabilityBin[] = n.map((nb, b) => {
    const confidence = ratio(pSum[b]!, nb);
    const observed = ratio(aPreferred[b]!, nb);
    if (nb > 0) ece += (nb / total) * Math.abs(observed - confidence);
    return {
      lower: b / bins,
      upper: (b + 1) / bins,
      n: nb,
      aPreferred: aPreferred[b]!,
      confidence,
      observed,
      interval: wilsonInterval(aPreferred[b]!, nb),
    };
  });
  return { bins: out, n: total, ece: total === 0 ? Number.NaN : ece };
}

// ---------------------------------------------------------------------------------------------
// Accuracy by slice

export interface SliceAccuracy {
  key: string;
  /** Plain words for the chart. */
  label: string;
  n: number;
  correct: number;
  /** correct / n; NaN when the slice is empty. */
  accuracy: number;
  /** Wilson 95% interval; NaN bounds when the slice is empty. */
  interval: Interval;
}

function slice(key: string, label: string, pairs: readonly ScoredPair[]): SliceAccuracy {
  let correct = 0;
  for (const p of pairs) if (p.chosen - p.rejected > 0) correct++;
  return {
    key,
    label,
    n: pairs.length,
    correct,
    accuracy: ratio(correct, pairs.length),
    interval: wilsonInterval(correct, pairs.length),
  };
}

/** Accuracy of all the pairs together, the reference the slices are read against. */
export function overallAccuracy(pairs: readonly ScoredPair[]): SliceAccuracy {
  return slice('all', 'all held-out pairs', pairs);
}

/**
 * Accuracy per slice, in the order of `slices` (empty slices kept, with NaN accuracy), then any
 * key met that `slices` does not list, largest first.
 */
export function accuracyBy(
  pairs: readonly ScoredPair[],
  keyOf: (pair: ScoredPair) => string,
  slices: readonly { key: string; label: string }[] = [],
): SliceAccuracy[] {
  const groups = new Map<string, ScoredPair[]>(slices.map((s) => [s.key, []]));
  for (const p of pairs) {
    const key = keyOf(p);
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(p);
  }
  const labels = new Map(slices.map((s) => [s.key, s.label]));
  const fixed = slices.map((s) => slice(s.key, s.label, groups.get(s.key)!));
  const rest = [...groups]
    .filter(([key]) => !labels.has(key))
    .map(([key, list]) => slice(key, key, list))
    .sort((x, y) => y.n - x.n || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return [...fixed, ...rest];
}

/** The key of pairs without a task type. */
export const NO_TASK_TYPE = '(no task type)';

/** Accuracy per task type, largest first; pairs without one under NO_TASK_TYPE. */
export function accuracyByTaskType(pairs: readonly ScoredPair[]): SliceAccuracy[] {
  return accuracyBy(pairs, (p) => (p.meta.taskType ? p.meta.taskType : NO_TASK_TYPE));
}

export type Agreement = 'unanimous' | 'split' | 'no-votes';

/**
 * How the annotators of a pair agreed: 'unanimous' when 2 or more votes are all in one category
 * (a, b, tie or both bad), 'split' when they are in several, 'no-votes' when the pair has no votes
 * or a single one (no agreement to measure).
 */
export function agreementOf(votes: Votes | undefined): Agreement {
  if (!votes) return 'no-votes';
  const counts = [votes.a, votes.b, votes.tie, votes.both_bad];
  const total = counts.reduce((s, c) => s + c, 0);
  if (total < 2) return 'no-votes';
  return Math.max(...counts) === total ? 'unanimous' : 'split';
}

export const AGREEMENT_SLICES: readonly { key: Agreement; label: string }[] = [
  { key: 'unanimous', label: 'unanimous votes' },
  { key: 'split', label: 'split votes' },
  { key: 'no-votes', label: 'no votes' },
];

/** Accuracy on unanimous, split and unvoted pairs, always these three rows in this order. */
export function accuracyByAgreement(pairs: readonly ScoredPair[]): SliceAccuracy[] {
  return accuracyBy(pairs, (p) => agreementOf(p.meta.votes), AGREEMENT_SLICES);
}

export type LengthDifference = 'much-shorter' | 'shorter' | 'similar' | 'longer' | 'much-longer';

/** Token differences that separate the length bins (see lengthDifferenceBin). */
export interface LengthThresholds {
  /** Below this many tokens of difference, the two are "similar" (8 unless given). */
  near: number;
  /** From this many tokens of difference, "much" shorter or longer (32 unless given). */
  far: number;
}

export const LENGTH_THRESHOLDS: LengthThresholds = { near: 8, far: 32 };

/**
 * The length bin of a pair from d = chosenTokens - rejectedTokens (tokens the model read, after
 * truncation; the prompt is the same on both sides, so d is the responses' difference unless
 * truncation cut one):
 *   much shorter  d <= -far
 *   shorter       -far < d <= -near
 *   similar       |d| < near
 *   longer        near <= d < far
 *   much longer   d >= far
 * With the defaults (8, 32): <= -32, -31..-8, -7..7, 8..31, >= 32 tokens.
 */
export function lengthDifferenceBin(d: number, t: LengthThresholds = LENGTH_THRESHOLDS): LengthDifference {
  if (d <= -t.far) return 'much-shorter';
  if (d <= -t.near) return 'shorter';
  if (d < t.near) return 'similar';
  if (d < t.far) return 'longer';
  return 'much-longer';
}

export function lengthSlices(t: LengthThresholds = LENGTH_THRESHOLDS): { key: LengthDifference; label: string }[] {
  return [
    { key: 'much-shorter', label: `chosen ≥${t.far} tokens shorter` },
    { key: 'shorter', label: `chosen ${t.near}–${t.far - 1} shorter` },
    { key: 'similar', label: `within ${t.near - 1} tokens` },
    { key: 'longer', label: `chosen ${t.near}–${t.far - 1} longer` },
    { key: 'much-longer', label: `chosen ≥${t.far} tokens longer` },
  ];
}

/** Accuracy per length-difference bin, always the five bins from much shorter to much longer. */
export function accuracyByLengthDifference(
  pairs: readonly ScoredPair[],
  t: LengthThresholds = LENGTH_THRESHOLDS,
): SliceAccuracy[] {
  return accuracyBy(pairs, (p) => lengthDifferenceBin(p.meta.chosenTokens - p.meta.rejectedTokens, t), lengthSlices(t));
}

export const POSITION_SLICES: readonly { key: 'a' | 'b'; label: string }[] = [
  { key: 'a', label: 'preferred shown as A' },
  { key: 'b', label: 'preferred shown as B' },
];

/** Accuracy by the position the preferred response was shown in: A, then B. */
export function accuracyByPosition(pairs: readonly ScoredPair[]): SliceAccuracy[] {
  return accuracyBy(pairs, (p) => p.meta.chosenSide, POSITION_SLICES);
}

// ---------------------------------------------------------------------------------------------
// Ties

export interface GapSummary {
  n: number;
  /** Quantiles (type 7) of the reward gaps; NaN when n is 0. */
  p25: number;
  median: number;
  p75: number;
  p90: number;
  /** Gaps within the band, and their share (NaN when n is 0). */
  withinBand: number;
  withinBandShare: number;
}

export interface TieCloseness {
  /** |r_a - r_b| of each held-out tie. */
  tieGaps: number[];
  /** |r_chosen - r_rejected| of each decisive held-out pair. */
  decisiveGaps: number[];
  ties: GapSummary;
  decisive: GapSummary;
  /** The band, as a reward gap: |gap| <= band means P(one preferred) within 1/2 +- bandProbability. */
  band: number;
  bandProbability: number;
}

/** The reward gap at which the Bradley-Terry probability is 1/2 + halfWidth: logit(1/2 + halfWidth). */
export function gapForProbability(halfWidth: number): number {
  if (!(halfWidth >= 0 && halfWidth < 0.5)) throw new RangeError(`halfWidth must be in [0, 1/2) (got ${halfWidth})`);
  return Math.log((0.5 + halfWidth) / (0.5 - halfWidth));
}

function summarizeGaps(gaps: readonly number[], band: number): GapSummary {
  const sorted = gaps.filter(Number.isFinite).sort((x, y) => x - y);
  let withinBand = 0;
  for (const g of sorted) if (g <= band) withinBand++;
  return {
    n: sorted.length,
    p25: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    p75: quantileSorted(sorted, 0.75),
    p90: quantileSorted(sorted, 0.9),
    withinBand,
    withinBandShare: ratio(withinBand, sorted.length),
  };
}

/**
 * How close the model scores pairs people called a tie, against the decisive pairs: the gaps
 * |r_a - r_b| and |r_c - r_r|, their quantiles, and the share within a band. The band is in
 * probability, the reward model's own scale: by default a gap of at most logit(0.55) = 0.2007,
 * i.e. the model gives either response between 45% and 55% of being preferred. A model that
 * has learned what a tie is puts more of the ties than of the decisive pairs inside it.
 */
export function tieCloseness(
  tieRewards: EvalPoint['tieRewards'] | undefined,
  point: Pick<EvalPoint, 'chosenRewards' | 'rejectedRewards'>,
  bandProbability = 0.05,
): TieCloseness {
  const band = gapForProbability(bandProbability);
  const a = tieRewards?.a ?? [];
  const b = tieRewards?.b ?? [];
  const tieGaps = Array.from({ length: Math.min(a.length, b.length) }, (_, i) => Math.abs(a[i]! - b[i]!));
  const decisiveGaps = margins(point).map(Math.abs);
  return {
    tieGaps,
    decisiveGaps,
    ties: summarizeGaps(tieGaps, band),
    decisive: summarizeGaps(decisiveGaps, band),
    band,
    bandProbability,
  };
}

// ---------------------------------------------------------------------------------------------
// Confidently wrong

export interface WrongPair extends ScoredPair {
  /** sigmoid(r_rejected - r_chosen): the model's probability that the rejected response is preferred. */
  pRejected: number;
}

/**
 * The pairs the model gets most confidently wrong: those not right (r_chosen <= r_rejected), by
 * sigmoid(r_rejected - r_chosen), largest first (equal ones in held-out order), at most `limit`.
 */
export function confidentlyWrong(pairs: readonly ScoredPair[], limit = 10): WrongPair[] {
  return pairs
    .filter((p) => !(p.chosen - p.rejected > 0) && Number.isFinite(p.chosen - p.rejected))
    .map((p) => ({ ...p, pRejected: sigmoid(p.rejected - p.chosen) }))
    .sort((x, y) => y.rejected - y.chosen - (x.rejected - x.chosen) || x.index - y.index)
    .slice(0, limit);
}

// ---------------------------------------------------------------------------------------------
// How strongly the reward tracks length

export interface LengthTracking {
  /** Held-out responses counted (both of every pair). */
  n: number;
  /** Pearson correlation of the reward with log(1 + response tokens before truncation); NaN for fewer than 3. */
  correlation: number;
  /** How often the model prefers the longer response of a pair of unequal lengths (strictly). */
  prefersLonger: number;
  /** Pairs of unequal lengths. */
  unequalPairs: number;
}

/**
 * How much the reward is a length detector: its correlation with log response length over the
 * held-out responses (chosen and rejected alike; lengths before truncation, as the length term reads
 * them), and the share of pairs where the model prefers the longer response. Undefined for runs
 * stored before response lengths were recorded.
 */
export function lengthTracking(pairs: readonly ScoredPair[]): LengthTracking | undefined {
  if (pairs.some((p) => p.meta.chosenResponseTokens === undefined || p.meta.rejectedResponseTokens === undefined))
    return undefined;
  const x: number[] = [];
  const y: number[] = [];
  let longer = 0;
  let unequal = 0;
  for (const p of pairs) {
    const [lc, lr] = [p.meta.chosenResponseTokens!, p.meta.rejectedResponseTokens!];
    x.push(p.chosen, p.rejected);
    y.push(Math.log1p(lc), Math.log1p(lr));
    if (lc === lr) continue;
    unequal++;
    if (lc > lr ? p.chosen > p.rejected : p.rejected > p.chosen) longer++;
  }
  return { n: x.length, correlation: pearson(x, y), prefersLonger: ratio(longer, unequal), unequalPairs: unequal };
}

/** Pearson's r; NaN when either side has no spread or there are fewer than 3 points. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 3 || y.length !== n) return NaN;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

// ---------------------------------------------------------------------------------------------
// Everything for one evaluation

export interface HeldOutAnalysis {
  step: number;
  /** Every margin r_c - r_r, for the histogram (no metadata needed). */
  margins: number[];
  ties: TieCloseness;
  /** Undefined when the run has no per-pair metadata aligned with this evaluation. */
  pairs?: {
    overall: SliceAccuracy;
    reliability: Reliability;
    byTaskType: SliceAccuracy[];
    byAgreement: SliceAccuracy[];
    byLength: SliceAccuracy[];
    byPosition: SliceAccuracy[];
    confidentlyWrong: WrongPair[];
    /** Undefined for runs stored before response lengths were recorded. */
    length?: LengthTracking;
  };
}

export function analyzeHeldOut(heldOut: readonly HeldOutMeta[] | undefined, point: EvalPoint): HeldOutAnalysis {
  const scored = scoredPairs(heldOut, point);
  return {
    step: point.step,
    margins: margins(point),
    ties: tieCloseness(point.tieRewards, point),
    pairs: scored && {
      overall: overallAccuracy(scored),
      reliability: reliability(scored),
      byTaskType: accuracyByTaskType(scored),
      byAgreement: accuracyByAgreement(scored),
      byLength: accuracyByLengthDifference(scored),
      byPosition: accuracyByPosition(scored),
      confidentlyWrong: confidentlyWrong(scored),
      length: lengthTracking(scored),
    },
  };
}
