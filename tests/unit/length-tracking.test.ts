// lengthTracking (src/core/eval/analysis.ts): how strongly held-out rewards follow response length,
// against numbers worked out by hand and numpy's corrcoef on the same values.
import { describe, expect, it } from 'vitest';
import { lengthTracking, pearson, type ScoredPair } from '../../src/core/eval/analysis.ts';

function pair(index: number, chosen: number, rejected: number, lc?: number, lr?: number): ScoredPair {
  return {
    index,
    chosen,
    rejected,
    meta: {
      pairId: String(index),
      chosenSide: 'a',
      chosenTokens: 10,
      rejectedTokens: 10,
      ...(lc !== undefined ? { chosenResponseTokens: lc } : {}),
      ...(lr !== undefined ? { rejectedResponseTokens: lr } : {}),
    },
  };
}

describe('length tracking of held-out rewards', () => {
  it('a reward that is log length itself correlates 1 and always prefers the longer response', () => {
    const pairs = [pair(0, Math.log1p(50), Math.log1p(9), 50, 9), pair(1, Math.log1p(3), Math.log1p(120), 3, 120)];
    pairs.push(pair(2, Math.log1p(7), Math.log1p(7), 7, 7)); // equal lengths: not counted in prefersLonger
    const t = lengthTracking(pairs)!;
    expect(t.n).toBe(6);
    expect(t.correlation).toBeCloseTo(1, 12);
    expect(t.unequalPairs).toBe(2);
    expect(t.prefersLonger).toBe(1);
  });

  it('matches numpy.corrcoef and counts preferences of the longer response', () => {
    // rewards [0.5, -0.2, 1.0, 0.3, -1.0, 0.1], lengths log1p([20, 5, 8, 40, 2, 2]):
    // numpy.corrcoef(r, numpy.log1p(n))[0, 1] = 0.550364... (computed with Debian's python3-numpy)
    const pairs = [pair(0, 0.5, -0.2, 20, 5), pair(1, 1.0, 0.3, 8, 40), pair(2, -1.0, 0.1, 2, 2)];
    const t = lengthTracking(pairs)!;
    expect(t.correlation).toBeCloseTo(0.550364, 6);
    // pair 0: longer chosen, chosen scored higher: prefers longer; pair 1: longer rejected, chosen higher: not
    expect(t.unequalPairs).toBe(2);
    expect(t.prefersLonger).toBe(0.5);
  });

  it('is undefined for runs stored without response lengths, NaN without spread', () => {
    expect(lengthTracking([pair(0, 1, 0)])).toBeUndefined();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearson([1, 2], [1, 2])).toBeNaN();
  });
});
