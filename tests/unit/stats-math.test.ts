// The numerical helpers of src/core/data/stats/math.ts against scipy / statsmodels
// (tests/fixtures/stats/math.json, written by scripts/reference/stats_reference.py).
//
// Tolerances, each with the largest difference seen when it was written:
// - normal quantile: 1e-14 relative (AS 241 and scipy's ndtri are both ~1e-16; seen 4.2e-16);
// - binomial p-values: 1e-9 relative (the walk multiplies up to ~40 sqrt(n) ratios; seen 2.8e-13);
// - Wilson bounds: 1e-13 absolute (the same closed form, evaluated in another order; seen 3.9e-16).
import { describe, expect, it } from 'vitest';
import { binomialTest, normalQuantile, quantileSorted, wilsonInterval, zFor } from '../../src/core/data/stats/index.ts';
import reference from '../fixtures/stats/math.json';

function relative(actual: number, expected: number): number {
  return expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
}

describe('normal quantile', () => {
  it('matches scipy.stats.norm.ppf', () => {
    let worst = 0;
    for (const { p, z } of reference.normalQuantile) worst = Math.max(worst, relative(normalQuantile(p), z));
    console.log(`normal quantile: max relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-14);
  });

  it('is -Infinity, Infinity and NaN at and beyond the ends, and 1.96 at 95%', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
    expect(zFor(0.95)).toBeCloseTo(1.959963984540054, 14);
    expect(() => zFor(1)).toThrow(RangeError);
  });
});

describe('exact binomial test', () => {
  it('matches scipy.stats.binomtest(k, n, p).pvalue, n from 1 to 250,000, p-values down to 1e-161', () => {
    let worst = 0;
    for (const { k, n, p, pValue } of reference.binomialTest) {
      const d = relative(binomialTest(k, n, p), pValue);
      worst = Math.max(worst, d);
      expect(d, `k=${k} n=${n} p=${p}`).toBeLessThan(1e-9);
    }
    console.log(`binomial test: max relative difference ${worst.toExponential(2)}`);
  });

  it('is twice the smaller tail for p = 1/2, computed by hand', () => {
    // 9 of 15: P(X <= 6) = (1 + 15 + 105 + 455 + 1365 + 3003 + 5005) / 2^15 = 9949 / 32768.
    expect(binomialTest(9, 15)).toBeCloseTo((2 * 9949) / 32768, 15);
    expect(binomialTest(0, 3)).toBeCloseTo(2 / 8, 15);
    expect(binomialTest(2, 4)).toBe(1);
    expect(binomialTest(0, 0)).toBeNaN();
    expect(() => binomialTest(3, 2)).toThrow(RangeError);
    expect(() => binomialTest(1.5, 2)).toThrow(RangeError);
  });
});

describe('Wilson score interval', () => {
  it("matches statsmodels' proportion_confint(method='wilson')", () => {
    let worst = 0;
    for (const { k, n, confidence, lower, upper } of reference.wilson) {
      const interval = wilsonInterval(k, n, confidence);
      worst = Math.max(worst, Math.abs(interval.lower - lower), Math.abs(interval.upper - upper));
    }
    console.log(`Wilson interval: max absolute difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-13);
  });

  it('has NaN bounds for no trials', () => {
    expect(wilsonInterval(0, 0)).toEqual({ lower: Number.NaN, upper: Number.NaN });
  });
});

describe('quantiles', () => {
  it('interpolate linearly between order statistics (type 7)', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 10], 0.95)).toBeCloseTo(4 + 0.8 * 6, 12);
    expect(quantileSorted([7], 0.95)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});
