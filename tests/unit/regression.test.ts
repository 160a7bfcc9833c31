import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import {
  collectPrompts,
  mostDifferent,
  promptsFromPairs,
  regressionReport,
  responsesToScore,
  winRate,
  type ScoredPrompt,
} from '../../src/core/eval/regression.ts';
import { wilsonInterval, wilsonShare } from '../../src/core/data/stats/math.ts';

const scored = (rewards: Record<string, number>, taskType?: string, i = 0): ScoredPrompt => ({
  prompt: `p${i}`,
  responses: Object.fromEntries(Object.keys(rewards).map((v) => [v, `${v} says ${i}`])),
  rewards,
  ...(taskType ? { taskType } : {}),
});

describe('win rate, by hand', () => {
  it('counts wins, ties as half and losses on the prompts both versions answered', () => {
    const prompts = [
      scored({ a: 1, b: 0 }, undefined, 0),
      scored({ a: 2, b: 2 }, undefined, 1),
      scored({ a: 0, b: 3 }, undefined, 2),
      scored({ a: 5, b: 1 }, undefined, 3),
      scored({ a: 9 }, undefined, 4), // b did not answer: not counted
    ];
    const w = winRate(prompts, 'a', 'b');
    expect(w).toMatchObject({ n: 4, wins: 2, ties: 1, losses: 1, rate: 2.5 / 4 });
    // Wilson, k = 2.5, n = 4, z = 1.959964: centre = (2.5 + z²/2)/(4 + z²) = 0.56376, half = 0.34434
    expect(w.lower).toBeCloseTo(0.21943, 4);
    expect(w.upper).toBeCloseTo(0.9081, 4);
    expect(winRate(prompts, 'b', 'a').rate).toBe(1.5 / 4);
  });

  it('stays inside [0, 1] when one version always wins', () => {
    const prompts = [0, 1, 2].map((i) => scored({ a: 1, b: 0 }, undefined, i));
    const w = winRate(prompts, 'a', 'b');
    expect(w.rate).toBe(1);
    expect(w.upper).toBe(1);
    // Wilson with k = n = 3: lower = n / (n + z²) = 0.43849
    expect(w.lower).toBeCloseTo(3 / (3 + 1.959964 ** 2), 5);
  });

  it('takes its interval from the one Wilson formula, which refuses a share outside [0, n]', () => {
    // Whole counts give exactly the integer-checked interval; a half-win is allowed only here.
    expect(wilsonShare(3, 7)).toEqual(wilsonInterval(3, 7));
    expect(() => wilsonInterval(2.5, 4)).toThrow(RangeError);
    expect(() => wilsonShare(5, 4)).toThrow(/0 <= k <= n/);
    expect(() => wilsonShare(-0.5, 4)).toThrow(RangeError);
    expect(() => wilsonShare(Number.NaN, 4)).toThrow(RangeError);
  });
});

describe('regression report against the Python reference (tests/fixtures/regression/reference.py)', () => {
  const fixture = JSON.parse(readFileSync('tests/fixtures/regression/reference.json', 'utf8')) as {
    prompts: ScoredPrompt[];
    expected: {
      means: Record<string, { n: number; mean: number; lower: number; upper: number }>;
      winRates: Record<
        string,
        { n: number; wins: number; ties: number; losses: number; rate: number; lower: number; upper: number }
      >;
      byTaskType: Record<string, { means: Record<string, object>; winRates: Record<string, object> }>;
    };
  };
  const report = regressionReport(fixture.prompts);

  function expectClose(actual: object, expected: object) {
    for (const [k, v] of Object.entries(expected)) {
      const a = (actual as Record<string, number>)[k]!;
      if (Number.isInteger(v)) expect(a, k).toBe(v);
      else expect(a, k).toBeCloseTo(v as number, 10);
    }
  }

  it('gives each version its mean reward and interval, best first', () => {
    expect(report.versions.map((v) => v.version)).toEqual(['v2', 'v1', 'v3']);
    for (const v of report.versions) expectClose(v, fixture.expected.means[v.version]!);
  });

  it('gives every pair of versions its win rate and Wilson interval', () => {
    expect(report.winRates.map((w) => `${w.x}>${w.y}`)).toEqual(['v2>v1', 'v2>v3', 'v1>v3']);
    for (const w of report.winRates) expectClose(w, fixture.expected.winRates[`${w.x}>${w.y}`]!);
  });

  it('does the same per task type, leaving out prompts without one', () => {
    expect(report.byTaskType.map((t) => t.taskType)).toEqual(['chat', 'math']);
    for (const t of report.byTaskType) {
      const expected = fixture.expected.byTaskType[t.taskType]!;
      expect(t.prompts).toBe(20);
      for (const m of t.means) expectClose(m, expected.means[m.version]!);
      for (const w of t.winRates) expectClose(w, expected.winRates[`${w.x}>${w.y}`]!);
    }
  });

  it('lists the prompts where two versions differ most, with both texts', () => {
    const diffs = report.mostDifferent[0]!;
    expect(diffs).toHaveLength(5);
    const gaps = diffs.map((d) => Math.abs(d.difference));
    expect(gaps).toEqual([...gaps].sort((a, b) => b - a));
    const all = fixture.prompts.map((p) => Math.abs(p.rewards.v2! - p.rewards.v1!)).sort((a, b) => b - a);
    expect(gaps[0]).toBe(all[0]);
    const first = diffs[0]!;
    const source = fixture.prompts.find((p) => p.prompt === first.prompt)!;
    expect(first.x).toEqual({ version: 'v2', response: source.responses.v2, reward: source.rewards.v2 });
    expect(first.y).toEqual({ version: 'v1', response: source.responses.v1, reward: source.rewards.v1 });
    expect(first.difference).toBe(source.rewards.v2! - source.rewards.v1!);
    expect(mostDifferent(fixture.prompts, 'v1', 'nobody')).toEqual([]);
  });
});

describe('prompts answered by versions', () => {
  it('merges one-response-a-line rows by prompt and refuses two answers of one version', () => {
    const prompts = collectPrompts([
      { line: 1, prompt: 'p', responses: { v1: 'a' } },
      { line: 2, prompt: 'p', responses: { v2: 'b' } },
      { line: 3, prompt: 'p', responses: { v1: 'a' } },
      { line: 4, prompt: 'q', taskType: 't', responses: { v1: 'c', v2: 'd' } },
    ]);
    expect(prompts).toEqual([
      { prompt: 'p', responses: { v1: 'a', v2: 'b' } },
      { prompt: 'q', taskType: 't', responses: { v1: 'c', v2: 'd' } },
    ]);
    expect(() =>
      collectPrompts([
        { line: 1, prompt: 'p', responses: { v1: 'a' } },
        { line: 7, prompt: 'p', responses: { v1: 'other' } },
      ]),
    ).toThrow('line 7: version "v1" already answered this prompt differently on line 1');
  });

  it("reads a dataset's model_a_version / model_b_version, skipping pairs without both", () => {
    const pair = (i: number, modelA: string | undefined, modelB: string | undefined, prompt = 'p'): Pair => ({
      id: `${i}`,
      datasetId: 'd',
      prompt,
      responseA: `A${i}`,
      responseB: `B${i}`,
      winner: 'a',
      ...(modelA ? { modelA } : {}),
      ...(modelB ? { modelB } : {}),
      taskType: 'x',
    });
    const { prompts, skipped } = promptsFromPairs([
      pair(1, 'm1', 'm2'),
      pair(2, 'm3', 'm1'),
      pair(3, undefined, 'm1'),
      pair(4, 'm1', 'm2', 'other'),
    ]);
    expect(skipped).toBe(1);
    expect(prompts).toEqual([
      { prompt: 'p', taskType: 'x', responses: { m1: 'A1', m2: 'B1', m3: 'A2' } },
      { prompt: 'other', taskType: 'x', responses: { m1: 'A4', m2: 'B4' } },
    ]);
  });

  it('scores each response once and puts the rewards back by version', () => {
    const { items, attach } = responsesToScore([
      { prompt: 'p', responses: { v1: 'a', v2: 'b' } },
      { prompt: 'q', responses: { v2: 'c' } },
    ]);
    expect(items).toEqual([
      { prompt: 'p', response: 'a' },
      { prompt: 'p', response: 'b' },
      { prompt: 'q', response: 'c' },
    ]);
    expect(attach([1, 2, 3]).map((p) => p.rewards)).toEqual([{ v1: 1, v2: 2 }, { v2: 3 }]);
  });
});

describe('win rate either way round', () => {
  it('flips a stored pair: wins and losses swap, the interval mirrors', async () => {
    const { winRateOf } = await import('../../src/core/eval/regression.ts');
    const prompts = [
      scored({ a: 1, b: 0 }, undefined, 0),
      scored({ a: 0, b: 0 }, undefined, 1),
      scored({ a: 1, b: 0 }, undefined, 2),
    ];
    const ab = winRate(prompts, 'a', 'b');
    const ba = winRateOf([ab], 'b', 'a')!;
    const direct = winRate(prompts, 'b', 'a');
    expect(ba.rate).toBeCloseTo(direct.rate, 12);
    expect(ba.lower).toBeCloseTo(direct.lower, 12);
    expect(ba.upper).toBeCloseTo(direct.upper, 12);
    expect([ba.wins, ba.ties, ba.losses]).toEqual([direct.wins, direct.ties, direct.losses]);
    expect(winRateOf([ab], 'a', 'c')).toBeUndefined();
  });
});
