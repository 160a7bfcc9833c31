// Response-length distributions in tokens: chosen against rejected (decisive pairs) and A against B
// (all pairs). The histograms share their bins so the UI can overlay them; the summaries say what
// a max_length would cut (TRL drops pairs longer than max_length; RM Lab truncates to the model's).

import { type Pair, textOf } from '../pair.ts';
import type { CountTokens } from './bias.ts';
import { quantileSorted } from './math.ts';

export interface LengthSummary {
  count: number;
  /** All NaN when count is 0. */
  mean: number;
  /** Quantiles by linear interpolation (type 7, numpy's default). */
  median: number;
  p95: number;
  min: number;
  max: number;
}

export interface LengthHistogram {
  /** counts[i] is the number of lengths in [edges[i], edges[i + 1]). */
  counts: number[];
  /** Lengths at or above the last edge (only when an `upper` was given below the maximum). */
  overflow: number;
  summary: LengthSummary;
}

export type LengthGroup = 'chosen' | 'rejected' | 'a' | 'b';

export interface LengthDistributions {
  /** Bin edges shared by every group: 0, w, 2w, ..., bins * w. */
  edges: number[];
  binWidth: number;
  /** chosen / rejected: the two responses of decisive pairs; a / b: of every pair. */
  groups: Record<LengthGroup, LengthHistogram>;
}

export interface LengthDistributionOptions {
  countTokens: CountTokens;
  /** At most this many bins (30 unless given); the width is the smallest 1, 2 or 5 x 10^k that fits. */
  maxBins?: number;
  /** Bins cover [0, upper), upper rounded up to a multiple of the width; longer goes to overflow. Default: max + 1. */
  upper?: number;
}

export function lengthSummary(values: readonly number[]): LengthSummary {
  const sorted = [...values].sort((x, y) => x - y);
  const count = sorted.length;
  if (count === 0) {
    return { count, mean: Number.NaN, median: Number.NaN, p95: Number.NaN, min: Number.NaN, max: Number.NaN };
  }
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count,
    mean: sum / count,
    median: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    min: sorted[0]!,
    max: sorted[count - 1]!,
  };
}

/** The smallest "nice" width (1, 2, 5, 10, 20, 50, ...) that covers [0, upper) in at most maxBins bins. */
export function niceBinWidth(upper: number, maxBins: number): number {
  if (!(maxBins >= 1)) throw new RangeError(`maxBins must be at least 1 (got ${maxBins})`);
  for (let scale = 1; ; scale *= 10) {
    for (const step of [1, 2, 5]) {
      const width = step * scale;
      if (Math.ceil(upper / width) <= maxBins) return width;
    }
  }
}

/**
 * Counts of values in [edges[i], edges[i + 1]) for ascending edges; values at or above the last
 * edge go to overflow. A value below the first edge is an error (lengths start at 0).
 */
export function histogram(values: readonly number[], edges: readonly number[]): { counts: number[]; overflow: number } {
  const bins = edges.length - 1;
  if (bins < 1) throw new RangeError('a histogram needs at least two edges');
  const counts = new Array<number>(bins).fill(0);
  let overflow = 0;
  for (const v of values) {
    if (!(v >= edges[0]!)) throw new RangeError(`value ${v} is below the first edge ${edges[0]}`);
    if (v >= edges[bins]!) {
      overflow++;
      continue;
    }
    // The last edge <= v, by bisection: edges[lo] <= v < edges[hi].
    let lo = 0;
    let hi = bins;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! <= v) lo = mid;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return { counts, overflow };
}

function tokenCount(countTokens: CountTokens, text: Pair['responseA']): number {
  const n = countTokens(textOf(text));
  if (!(Number.isFinite(n) && n >= 0)) throw new RangeError(`countTokens returned ${n}, not a length`);
  return n;
}

export function lengthDistributions(
  pairs: Iterable<Pick<Pair, 'winner' | 'responseA' | 'responseB'>>,
  options: LengthDistributionOptions,
): LengthDistributions {
  const lengths: Record<LengthGroup, number[]> = { chosen: [], rejected: [], a: [], b: [] };
  for (const pair of pairs) {
    const a = tokenCount(options.countTokens, pair.responseA);
    const b = tokenCount(options.countTokens, pair.responseB);
    lengths.a.push(a);
    lengths.b.push(b);
    if (pair.winner === 'a') {
      lengths.chosen.push(a);
      lengths.rejected.push(b);
    } else if (pair.winner === 'b') {
      lengths.chosen.push(b);
      lengths.rejected.push(a);
    }
  }
  let max = 0;
  for (const v of lengths.a) max = Math.max(max, v);
  for (const v of lengths.b) max = Math.max(max, v);
  const upper = options.upper ?? max + 1;
  if (!(upper > 0)) throw new RangeError(`upper must be positive (got ${upper})`);
  const binWidth = niceBinWidth(upper, options.maxBins ?? 30);
  const bins = Math.ceil(upper / binWidth);
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * binWidth);
  const group = (values: number[]): LengthHistogram => ({
    ...histogram(values, edges),
    summary: lengthSummary(values),
  });
  return {
    edges,
    binWidth,
    groups: {
      chosen: group(lengths.chosen),
      rejected: group(lengths.rejected),
      a: group(lengths.a),
      b: group(lengths.b),
    },
  };
}
