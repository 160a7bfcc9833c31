import { describe, expect, it } from 'vitest';
import { preferenceProbability, rankCandidates } from '../../src/core/eval/rerank.ts';

describe('best-of-N', () => {
  it('P(A better) is the sigmoid of the reward difference', () => {
    expect(preferenceProbability(1, 1)).toBe(0.5);
    expect(preferenceProbability(2, 1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 12); // 0.731059
    expect(preferenceProbability(1, 2) + preferenceProbability(2, 1)).toBeCloseTo(1, 12);
    expect(preferenceProbability(-800, 800)).toBe(0); // no overflow
  });

  it('ranks candidates best first with P(best) as the softmax of the rewards', () => {
    const ranked = rankCandidates([0, 2, 1]);
    expect(ranked.map((c) => c.index)).toEqual([1, 2, 0]);
    expect(ranked.map((c) => c.rank)).toEqual([1, 2, 3]);
    const total = 1 + Math.E + Math.E ** 2;
    expect(ranked[0]!.pBest).toBeCloseTo(Math.E ** 2 / total, 12); // 0.665241
    expect(ranked[2]!.pBest).toBeCloseTo(1 / total, 12); // 0.090031
    expect(ranked.reduce((a, c) => a + c.pBest, 0)).toBeCloseTo(1, 12);
  });

  it('gives equal rewards the same rank and keeps their input order', () => {
    const ranked = rankCandidates([1, 3, 1, 0]);
    expect(ranked.map((c) => [c.index, c.rank])).toEqual([
      [1, 1],
      [0, 2],
      [2, 2],
      [3, 4],
    ]);
    expect(rankCandidates([1000, 999])[0]!.pBest).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(() => rankCandidates([1, Number.NaN])).toThrow(/finite/);
  });
});
