// The held-out analyses (src/core/eval/analysis.ts) on tiny hand-built evaluations, every
// expected value worked out by hand in the comments, and the '–' the charts show for NaN.
import { describe, expect, it } from 'vitest';
import type { Votes } from '../../src/core/data/pair.ts';
import {
  NO_TASK_TYPE,
  accuracyByAgreement,
  accuracyByLengthDifference,
  accuracyByPosition,
  accuracyByTaskType,
  agreementOf,
  analyzeHeldOut,
  confidentlyWrong,
  gapForProbability,
  lengthDifferenceBin,
  margins,
  reliability,
  scoredPairs,
  sigmoid,
  tieCloseness,
  type ScoredPair,
} from '../../src/core/eval/analysis.ts';
import type { EvalPoint, HeldOutMeta } from '../../src/core/train/events.ts';
import { decimal, percent, percentWithInterval } from '../../src/ui/train/analysis/format.ts';

const Z95 = 1.959963984540054;
/** Wilson's interval written out: (k + z^2/2)/(n + z^2) -/+ z/(n + z^2) sqrt(k(n-k)/n + z^2/4). */
function wilson(k: number, n: number): [number, number] {
  const z2 = Z95 * Z95;
  const c = (k + z2 / 2) / (n + z2);
  const h = (Z95 / (n + z2)) * Math.sqrt((k * (n - k)) / n + z2 / 4);
  return [Math.max(0, c - h), Math.min(1, c + h)];
}
const logistic = (x: number) => 1 / (1 + Math.exp(-x));

let nextId = 0;
function pair(
  chosen: number,
  rejected: number,
  meta: Partial<HeldOutMeta> = {},
  votes?: Votes,
): { meta: HeldOutMeta; chosen: number; rejected: number } {
  const m: HeldOutMeta = { pairId: `p${nextId++}`, chosenSide: 'a', chosenTokens: 50, rejectedTokens: 50, ...meta };
  if (votes) m.votes = votes;
  return { meta: m, chosen, rejected };
}
function scored(list: { meta: HeldOutMeta; chosen: number; rejected: number }[]): ScoredPair[] {
  return scoredPairs(
    list.map((p) => p.meta),
    { chosenRewards: list.map((p) => p.chosen), rejectedRewards: list.map((p) => p.rejected) },
  )!;
}
const v = (a: number, b: number, tie = 0, both_bad = 0): Votes => ({ a, b, tie, both_bad });

describe('alignment', () => {
  it('pairs metadata with rewards, and refuses missing or misaligned metadata', () => {
    const meta: HeldOutMeta = { pairId: 'x', chosenSide: 'b', chosenTokens: 3, rejectedTokens: 4 };
    expect(scoredPairs([meta], { chosenRewards: [1], rejectedRewards: [2] })).toEqual([
      { index: 0, meta, chosen: 1, rejected: 2 },
    ]);
    expect(scoredPairs(undefined, { chosenRewards: [1], rejectedRewards: [2] })).toBeUndefined();
    expect(scoredPairs([meta, meta], { chosenRewards: [1], rejectedRewards: [2] })).toBeUndefined();
    expect(margins({ chosenRewards: [1, 0.5], rejectedRewards: [0.25, 2] })).toEqual([0.75, -1.5]);
  });

  it('computes the logistic function without overflow', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(2)).toBeCloseTo(logistic(2), 15);
    expect(sigmoid(-2)).toBeCloseTo(logistic(-2), 15);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
  });
});

describe('reliability diagram', () => {
  it('orients pairs by A/B position and computes the ECE by hand', () => {
    // p = sigmoid(r_A - r_B), outcome "A preferred":
    //   1. A chosen, r_c 2, r_r 0:  p = s(2) = 0.8808 (bin 8), A preferred
    //   2. B chosen, r_c 0, r_r 2:  r_A = 2, r_B = 0, p = s(2) (bin 8), A not preferred
    //   3. A chosen, r_c 0, r_r 0:  p = 0.5 (bin 5: [0.5, 0.6)), A preferred
    //   4. B chosen, r_c 1, r_r 0:  r_A = 0, r_B = 1, p = s(-1) = 0.2689 (bin 2), A not preferred
    // bin 8: n 2, confidence s(2), observed 1/2; bin 5: n 1, 0.5 vs 1; bin 2: n 1, s(-1) vs 0.
    // ECE = (2 |1/2 - s(2)| + 1 |1 - 0.5| + 1 |0 - s(-1)|) / 4 = 0.38263...
    const r = reliability(
      scored([
        pair(2, 0, { chosenSide: 'a' }),
        pair(0, 2, { chosenSide: 'b' }),
        pair(0, 0, { chosenSide: 'a' }),
        pair(1, 0, { chosenSide: 'b' }),
      ]),
    );
    expect(r.n).toBe(4);
    expect(r.bins).toHaveLength(10);
    expect(r.bins.map((b) => b.n)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 2, 0]);
    expect(r.bins[8]!.lower).toBeCloseTo(0.8, 15);
    expect(r.bins[8]!.upper).toBeCloseTo(0.9, 15);
    expect(r.bins[8]!.confidence).toBeCloseTo(logistic(2), 12);
    expect(r.bins[8]!.observed).toBe(0.5);
    expect(r.bins[8]!.aPreferred).toBe(1);
    expect([r.bins[8]!.interval.lower, r.bins[8]!.interval.upper]).toEqual(
      wilson(1, 2).map((x) => expect.closeTo(x, 12)),
    );
    expect(r.bins[5]!.confidence).toBe(0.5);
    expect(r.bins[5]!.observed).toBe(1);
    expect(r.bins[2]!.confidence).toBeCloseTo(logistic(-1), 12);
    expect(r.bins[2]!.observed).toBe(0);
    const ece = (2 * Math.abs(0.5 - logistic(2)) + 0.5 + logistic(-1)) / 4;
    expect(r.ece).toBeCloseTo(ece, 12);
    expect(r.ece).toBeCloseTo(0.38263, 4);
    // Empty bins: NaN, never 0.
    expect(r.bins[0]!.confidence).toBeNaN();
    expect(r.bins[0]!.observed).toBeNaN();
    expect(r.bins[0]!.interval.lower).toBeNaN();
  });

  it('puts p = 1 and p = 0 in the end bins, is 0 for a perfectly calibrated bin, NaN for nothing', () => {
    // A chosen, r_A 1000, r_B 0: p = 1 (last bin), A preferred. B chosen, r_B 1000, r_A 0: p = 0
    // (first bin), A not preferred. Both bins are exactly right: ECE 0.
    const r = reliability(scored([pair(1000, 0), pair(1000, 0, { chosenSide: 'b' })]));
    expect(r.bins[9]!.n).toBe(1);
    expect(r.bins[9]!.observed).toBe(1);
    expect(r.bins[9]!.confidence).toBe(1);
    expect(r.bins[0]!.n).toBe(1);
    expect(r.bins[0]!.observed).toBe(0);
    expect(r.bins[0]!.confidence).toBe(0);
    expect(r.ece).toBe(0);
    const empty = reliability([]);
    expect(empty.n).toBe(0);
    expect(empty.ece).toBeNaN();
  });

  it('scores the same pair the same whichever side it was shown on', () => {
    // A pair and its mirror image: p_A of one is 1 - p_A of the other, outcomes swapped.
    const r = reliability(scored([pair(1, 0, { chosenSide: 'a' }), pair(1, 0, { chosenSide: 'b' })]));
    expect(r.bins[7]!.n).toBe(1); // s(1) = 0.731, A preferred
    expect(r.bins[2]!.n).toBe(1); // s(-1) = 0.269, A not preferred
    expect(r.ece).toBeCloseTo(1 - logistic(1), 12);
  });
});

describe('accuracy by slice', () => {
  it('splits by task type, largest first, with Wilson intervals and a row for pairs without one', () => {
    const s = accuracyByTaskType(
      scored([
        pair(1, 0, { taskType: 'code' }),
        pair(0, 1, { taskType: 'code' }),
        pair(1, 0, { taskType: 'code' }),
        pair(2, 1, { taskType: 'qa' }),
        pair(0, 0), // an exact tie of rewards is wrong
      ]),
    );
    expect(s.map((r) => [r.key, r.n, r.correct])).toEqual([
      ['code', 3, 2],
      [NO_TASK_TYPE, 1, 0],
      ['qa', 1, 1],
    ]);
    expect(s[0]!.accuracy).toBeCloseTo(2 / 3, 15);
    expect([s[0]!.interval.lower, s[0]!.interval.upper]).toEqual(wilson(2, 3).map((x) => expect.closeTo(x, 12)));
    expect(s[1]!.accuracy).toBe(0);
  });

  it('tells unanimous, split and unvoted pairs apart', () => {
    expect(agreementOf(v(3, 0))).toBe('unanimous');
    expect(agreementOf(v(0, 0, 2))).toBe('unanimous');
    expect(agreementOf(v(2, 1))).toBe('split');
    expect(agreementOf(v(2, 0, 0, 1))).toBe('split');
    expect(agreementOf(v(1, 0))).toBe('no-votes'); // one vote: no agreement to measure
    expect(agreementOf(v(0, 0))).toBe('no-votes');
    expect(agreementOf(undefined)).toBe('no-votes');
    const s = accuracyByAgreement(
      scored([
        pair(1, 0, {}, v(3, 0)),
        pair(1, 0, {}, v(3, 0)),
        pair(0, 1, {}, v(2, 1)),
        pair(1, 0, {}, v(2, 1)),
        pair(1, 0),
      ]),
    );
    expect(s.map((r) => [r.key, r.n, r.correct, r.accuracy])).toEqual([
      ['unanimous', 2, 2, 1],
      ['split', 2, 1, 0.5],
      ['no-votes', 1, 1, 1],
    ]);
  });

  it('keeps the unanimous and split rows, empty, when no pair has votes', () => {
    const s = accuracyByAgreement(scored([pair(1, 0), pair(0, 1), pair(3, 1)]));
    expect(s.map((r) => r.key)).toEqual(['unanimous', 'split', 'no-votes']);
    expect(s[0]!.n).toBe(0);
    expect(s[0]!.accuracy).toBeNaN();
    expect(s[0]!.interval.lower).toBeNaN();
    expect(s[1]!.accuracy).toBeNaN();
    expect(s[2]!.n).toBe(3);
    expect(s[2]!.accuracy).toBeCloseTo(2 / 3, 15);
    expect(percent(s[0]!.accuracy)).toBe('–');
    expect(percent(s[2]!.accuracy)).toBe('66.7%');
  });

  it('bins length differences at -32, -8, 8 and 32 tokens', () => {
    // much shorter d <= -32; shorter -31..-8; similar -7..7; longer 8..31; much longer d >= 32.
    const cases: [number, string][] = [
      [-100, 'much-shorter'],
      [-32, 'much-shorter'],
      [-31, 'shorter'],
      [-8, 'shorter'],
      [-7, 'similar'],
      [0, 'similar'],
      [7, 'similar'],
      [8, 'longer'],
      [31, 'longer'],
      [32, 'much-longer'],
      [500, 'much-longer'],
    ];
    for (const [d, bin] of cases) expect(lengthDifferenceBin(d), `d = ${d}`).toBe(bin);
    expect(lengthDifferenceBin(3, { near: 2, far: 4 })).toBe('longer');
    expect(lengthDifferenceBin(-4, { near: 2, far: 4 })).toBe('much-shorter');
  });

  it('computes accuracy per length bin, all five rows in order, empty ones NaN', () => {
    const len = (c: number, r: number) => ({ chosenTokens: c, rejectedTokens: r });
    const s = accuracyByLengthDifference(
      scored([
        pair(1, 0, len(100, 50)), // +50 much longer, right
        pair(1, 0, len(90, 50)), // +40 much longer, right
        pair(0, 1, len(60, 50)), // +10 longer, wrong
        pair(1, 0, len(50, 48)), // +2 similar, right
        pair(0, 1, len(50, 52)), // -2 similar, wrong
        pair(0, 1, len(10, 60)), // -50 much shorter, wrong
      ]),
    );
    expect(s.map((r) => [r.key, r.n, r.correct])).toEqual([
      ['much-shorter', 1, 0],
      ['shorter', 0, 0],
      ['similar', 2, 1],
      ['longer', 1, 0],
      ['much-longer', 2, 2],
    ]);
    expect(s[1]!.accuracy).toBeNaN();
    expect(s.map((r) => r.label)).toEqual([
      'chosen ≥32 tokens shorter',
      'chosen 8–31 shorter',
      'within 7 tokens',
      'chosen 8–31 longer',
      'chosen ≥32 tokens longer',
    ]);
  });

  it('splits by the position of the preferred response', () => {
    const s = accuracyByPosition(
      scored([pair(1, 0, { chosenSide: 'a' }), pair(0, 1, { chosenSide: 'a' }), pair(1, 0, { chosenSide: 'a' })]),
    );
    expect(s.map((r) => [r.key, r.n, r.correct])).toEqual([
      ['a', 3, 2],
      ['b', 0, 0],
    ]);
    expect(s[1]!.accuracy).toBeNaN();
  });
});

describe('ties', () => {
  it('compares the reward gaps of ties with those of decisive pairs, within the 45-55% band', () => {
    // Band: logit(0.55) = ln(0.55 / 0.45) = 0.20067.
    expect(gapForProbability(0.05)).toBeCloseTo(Math.log(0.55 / 0.45), 15);
    expect(gapForProbability(0.05)).toBeCloseTo(0.20067, 5);
    const t = tieCloseness(
      { a: [0.1, 1, -0.5, 2], b: [0, 0, -0.4, 2] },
      { chosenRewards: [1, 0, 3], rejectedRewards: [0, 0.1, 0] },
    );
    // Tie gaps 0.1, 1, 0.1, 0 -> sorted 0, 0.1, 0.1, 1; three within 0.2007.
    expect(t.tieGaps.map((g) => +g.toFixed(12))).toEqual([0.1, 1, 0.1, 0]);
    expect(t.ties.n).toBe(4);
    expect(t.ties.withinBand).toBe(3);
    expect(t.ties.withinBandShare).toBe(0.75);
    // Median (type 7) of 0, 0.1, 0.1, 1: h = 1.5 -> 0.1; 90th: h = 2.7 -> 0.1 + 0.7 * 0.9 = 0.73.
    expect(t.ties.median).toBeCloseTo(0.1, 12);
    expect(t.ties.p90).toBeCloseTo(0.73, 12);
    // Decisive gaps |1|, |-0.1|, |3| -> one within the band.
    expect(t.decisiveGaps.map((g) => +g.toFixed(12))).toEqual([1, 0.1, 3]);
    expect(t.decisive.withinBand).toBe(1);
    expect(t.decisive.median).toBe(1);
  });

  it('reports no ties as NaN, and copes with evaluations stored without tie rewards', () => {
    const t = tieCloseness(undefined, { chosenRewards: [1], rejectedRewards: [0] });
    expect(t.ties.n).toBe(0);
    expect(t.ties.median).toBeNaN();
    expect(t.ties.withinBandShare).toBeNaN();
    expect(percent(t.ties.withinBandShare)).toBe('–');
    expect(decimal(t.ties.median)).toBe('–');
  });
});

describe('confidently wrong', () => {
  it('orders wrong pairs by sigmoid(r_r - r_c), largest first, ties of confidence in held-out order', () => {
    const list = scored([
      pair(1, 0), // right: left out
      pair(0, 1), // wrong by 1
      pair(-2, 3), // wrong by 5
      pair(0, 0), // equal rewards: not right, p = 1/2
      pair(1, 2), // wrong by 1, after pair 1
      pair(0, 4), // wrong by 4
    ]);
    const w = confidentlyWrong(list);
    expect(w.map((p) => p.index)).toEqual([2, 5, 1, 4, 3]);
    expect(w[0]!.pRejected).toBeCloseTo(logistic(5), 15);
    expect(w[4]!.pRejected).toBe(0.5);
    expect(confidentlyWrong(list, 2).map((p) => p.index)).toEqual([2, 5]);
    expect(confidentlyWrong(scored([pair(1, 0)]))).toEqual([]);
  });

  it('keeps the ten most confident of many', () => {
    const list = scored(Array.from({ length: 30 }, (_, i) => pair(0, i + 1)));
    const w = confidentlyWrong(list);
    expect(w).toHaveLength(10);
    expect(w.map((p) => p.rejected)).toEqual([30, 29, 28, 27, 26, 25, 24, 23, 22, 21]);
  });
});

describe('one evaluation', () => {
  const point = (chosen: number[], rejected: number[]): EvalPoint => ({
    step: 7,
    loss: 0,
    accuracy: 0,
    meanMargin: 0,
    chosenRewards: chosen,
    rejectedRewards: rejected,
    tieRewards: { a: [], b: [] },
  });

  it('analyses a run with metadata, and only the margins and ties of one without', () => {
    const list = [pair(1, 0, { taskType: 'qa' }), pair(0, 2, { chosenSide: 'b' })];
    const e = point(
      list.map((p) => p.chosen),
      list.map((p) => p.rejected),
    );
    const a = analyzeHeldOut(
      list.map((p) => p.meta),
      e,
    );
    expect(a.step).toBe(7);
    expect(a.margins).toEqual([1, -2]);
    expect(a.pairs!.overall.accuracy).toBe(0.5);
    expect(a.pairs!.byAgreement.map((s) => s.n)).toEqual([0, 0, 2]);
    expect(a.pairs!.confidentlyWrong.map((w) => w.index)).toEqual([1]);
    expect(a.ties.ties.n).toBe(0);
    const old = analyzeHeldOut(undefined, e);
    expect(old.pairs).toBeUndefined();
    expect(old.margins).toEqual([1, -2]);
  });

  it('handles an evaluation of no pairs', () => {
    const a = analyzeHeldOut([], point([], []));
    expect(a.pairs!.overall.accuracy).toBeNaN();
    expect(a.pairs!.reliability.ece).toBeNaN();
    expect(a.pairs!.byTaskType).toEqual([]);
    expect(a.pairs!.byLength.every((s) => s.n === 0 && Number.isNaN(s.accuracy))).toBe(true);
  });
});

describe('formatting', () => {
  it("shows NaN as '–' and numbers as percentages", () => {
    expect(percent(Number.NaN)).toBe('–');
    expect(percent(Infinity)).toBe('–');
    expect(percent(0.5)).toBe('50.0%');
    expect(percent(0.1234, 0)).toBe('12%');
    expect(decimal(Number.NaN)).toBe('–');
    expect(decimal(0.38263, 3)).toBe('0.383');
    expect(percentWithInterval(Number.NaN, Number.NaN, Number.NaN)).toBe('–');
    expect(percentWithInterval(0.5, Number.NaN, Number.NaN)).toBe('50.0%');
    expect(percentWithInterval(0.5, 0.25, 0.75)).toBe('50.0% (25.0–75.0%)');
  });
});
