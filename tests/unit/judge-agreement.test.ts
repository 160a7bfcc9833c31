// A reference judge's agreement with the user's model (src/core/eval/judge-agreement.ts) and its
// place in the regression report: rank correlations checked against scipy.stats.spearmanr (values
// printed by Debian's python3-scipy, quoted below), agreement counted by hand.
import { describe, expect, it } from 'vitest';
import { wilsonShare } from '../../src/core/data/stats/math.ts';
import {
  averageRanks,
  batchAgreement,
  candidateAgreement,
  spearman,
  versionAgreement,
} from '../../src/core/eval/judge-agreement.ts';
import { regressionReport, responsesToScore, type VersionPrompt } from '../../src/core/eval/regression.ts';

describe('rank correlation', () => {
  it('ranks ties by their mean rank, as scipy.stats.rankdata does', () => {
    // rankdata([3, 1, 3, 2]) = [3.5, 1, 3.5, 2]
    expect(averageRanks([3, 1, 3, 2])).toEqual([3.5, 1, 3.5, 2]);
  });

  it("is scipy's spearmanr, with and without ties", () => {
    // 1 - 6 * (0 + 1 + 1 + 0) / (4 * 15) = 0.8, by hand
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    // spearmanr([1, 2, 2, 3], [1, 2, 3, 4]) = 0.9486832980505139
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486832980505139, 12);
    // spearmanr([0.3, -1.2, 2.5, 0.3, 0.9, -0.4], [1.1, 0.2, 0.8, 0.5, 2.0, -3.0]) = 0.7247137945655605
    expect(spearman([0.3, -1.2, 2.5, 0.3, 0.9, -0.4], [1.1, 0.2, 0.8, 0.5, 2.0, -3.0])).toBeCloseTo(
      0.7247137945655605,
      12,
    );
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('is undefined (NaN) for one value or a constant side, and refuses unequal lengths', () => {
    expect(spearman([1], [2])).toBeNaN();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearman([1, 2], [1])).toThrow(/2 values against 1/);
  });
});

describe("the judge beside one prompt's candidates", () => {
  it('says whether it serves the same candidate', () => {
    expect(candidateAgreement([0.1, 2, -1], [5, 9, 1])).toMatchObject({ modelBest: 1, judgeBest: 1, sameBest: true });
    const differ = candidateAgreement([0.1, 2, -1], [9, 5, 1]);
    expect(differ).toMatchObject({ modelBest: 1, judgeBest: 0, sameBest: false });
    expect(differ.spearman).toBeCloseTo(0.5, 12); // ranks [2,3,1] vs [3,2,1]: 1 - 6*2/24
  });
});

describe('the judge beside a batch of rows', () => {
  it('correlates every response and counts the rows with a choice that pick the same best', () => {
    const rows = [
      { model: [1, 2], judge: [0.5, 0.7] }, // same best
      { model: [3, 0, 1], judge: [0, 1, 2] }, // model 0, judge 2
      { model: [4], judge: [1] }, // one response: no choice
    ];
    const a = batchAgreement(rows);
    expect(a).toMatchObject({ responses: 6, rowsWithChoice: 2, sameBest: 1 });
    expect(a.spearman).toBeCloseTo(spearman([1, 2, 3, 0, 1, 4], [0.5, 0.7, 0, 1, 2, 1]), 12);
    expect(() => batchAgreement([{ model: [1, 2], judge: [1] }])).toThrow(/2 rewards from the model and 1/);
  });
});

describe('the judge in the regression report', () => {
  const prompts: VersionPrompt[] = [
    { prompt: 'p0', responses: { v1: 'a0', v2: 'b0' } },
    { prompt: 'p1', responses: { v1: 'a1', v2: 'b1' } },
    { prompt: 'p2', responses: { v1: 'a2', v2: 'b2' } },
    { prompt: 'p3', responses: { v1: 'a3', v2: 'b3' } },
    { prompt: 'p4', responses: { v1: 'a4' } },
  ];
  // Items in order: p0 v1, p0 v2, p1 v1, p1 v2, p2 v1, p2 v2, p3 v1, p3 v2, p4 v1.
  const model = [2, 1, 3, 1, 1, 4, 5, 5, 9];
  // Judge: p0 agrees (v1), p1 disagrees (v2), p2 agrees (v2), p3: the model ties, the judge does not (half).
  const judge = [0.9, 0.1, 0.2, 0.3, -1, 1, 0.4, 0.2, 7];

  it('counts per pair of versions how often the judge prefers what the model prefers', () => {
    const { items, attach } = responsesToScore(prompts);
    expect(items).toHaveLength(9);
    const scored = attach(model, judge);
    const a = versionAgreement(
      scored.map((p) => ({ rewards: p.rewards, judgeRewards: p.judgeRewards! })),
      'v1',
      'v2',
    );
    expect(a).toMatchObject({ n: 4, agree: 2, half: 1, rate: 2.5 / 4 });
    expect(a.lower).toBeCloseTo(wilsonShare(2.5, 4).lower, 12);
  });

  it("gives the judge's own win rates, its agreement and its rewards on the most different prompts", () => {
    const { attach } = responsesToScore(prompts);
    const report = regressionReport(attach(model, judge));
    // The model: v2 mean (1+1+4+5)/4 = 2.75 < v1 mean (2+3+1+5+9)/5 = 4: v1 first.
    expect(report.versions.map((v) => v.version)).toEqual(['v1', 'v2']);
    expect(report.judge).toBeDefined();
    const judgeWin = report.judge!.winRates[0]!;
    expect(judgeWin).toMatchObject({ x: 'v1', y: 'v2', n: 4, wins: 2, losses: 2, ties: 0 });
    expect(report.judge!.agreement[0]).toMatchObject({ x: 'v1', y: 'v2', agree: 2, half: 1 });
    const top = report.mostDifferent[0]![0]!; // p2: |1 - 4| = 3
    expect(top.prompt).toBe('p2');
    expect(top.x).toMatchObject({ version: 'v1', reward: 1, judgeReward: -1 });
    expect(top.y).toMatchObject({ version: 'v2', reward: 4, judgeReward: 1 });
  });

  it('has no judge view when no judge scored it', () => {
    const { attach } = responsesToScore(prompts);
    const report = regressionReport(attach(model));
    expect(report.judge).toBeUndefined();
    expect(report.mostDifferent[0]![0]!.x.judgeReward).toBeUndefined();
  });
});
