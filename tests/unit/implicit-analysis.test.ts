// The coarse analysis of implicit feedback on hand-made events: thumbs-down rates with Wilson
// intervals (checked against the closed form), buckets over time, consistently negative prompts,
// implicit win rates and their disagreements with a reward model's regression report.
import { describe, expect, it } from 'vitest';
import {
  analyseFeedback,
  disagreements,
  implicitWinRates,
  negativePrompts,
} from '../../src/core/data/implicit/analysis.ts';
import type { FeedbackEvent } from '../../src/core/data/implicit/events.ts';
import type { PairInput } from '../../src/core/data/pair.ts';

let n = 0;
function thumb(up: boolean, more: Partial<FeedbackEvent> = {}): FeedbackEvent {
  n++;
  return {
    id: `e${n}`,
    line: n,
    action: up ? 'thumbs_up' : 'thumbs_down',
    prompt: 'p',
    response: `r${n}`,
    responseId: `r${n}`,
    siblingGroup: `g${n}`,
    ...more,
  };
}

describe('thumbs-down rates', () => {
  it('by model version with a 95% Wilson interval', () => {
    const events = [
      ...Array.from({ length: 7 }, () => thumb(false, { modelVersion: 'v1' })),
      ...Array.from({ length: 3 }, () => thumb(true, { modelVersion: 'v1' })),
      thumb(true, { modelVersion: 'v2' }),
      thumb(true),
    ];
    const a = analyseFeedback(events, []);
    const v1 = a.byModelVersion.find((r) => r.key === 'v1')!;
    expect([v1.ups, v1.downs, v1.rate]).toEqual([3, 7, 0.7]);
    // Wilson, k = 7, n = 10, z = 1.959964: centre (7 + z²/2)/(10 + z²), half z/(10+z²) sqrt(k(n-k)/n + z²/4)
    const z = 1.959963984540054;
    const centre = (7 + (z * z) / 2) / (10 + z * z);
    const half = (z / (10 + z * z)) * Math.sqrt((7 * 3) / 10 + (z * z) / 4);
    expect(v1.lower).toBeCloseTo(centre - half, 12);
    expect(v1.upper).toBeCloseTo(centre + half, 12);
    expect(a.byModelVersion.map((r) => r.key)).toEqual(['v1', '(none)', 'v2']);
    expect(a.overall).toMatchObject({ ups: 5, downs: 7 });
    expect(a.overTime).toEqual([]); // no timestamps
  });

  it('over time by day for a month, by week for a longer log', () => {
    const day = (d: string, up: boolean) => thumb(up, { time: Date.parse(`${d}T12:00:00Z`) });
    const month = analyseFeedback([day('2026-11-02', false), day('2026-11-02', true), day('2026-11-20', false)], []);
    expect(month.bucket).toBe('day');
    expect(month.overTime.map((r) => [r.key, r.downs, r.ups])).toEqual([
      ['2026-11-02', 1, 1],
      ['2026-11-20', 1, 0],
    ]);
    const long = analyseFeedback([day('2026-01-07', false), day('2026-06-03', true), day('2026-06-04', true)], []);
    expect(long.bucket).toBe('week');
    // 2026-06-03 is a Wednesday: its week starts on Monday 2026-06-01; 2026-01-07 (Wednesday) on 01-05
    expect(long.overTime.map((r) => [r.key, r.ups + r.downs])).toEqual([
      ['2026-01-05', 1],
      ['2026-06-01', 2],
    ]);
  });
});

describe('negative prompts', () => {
  it('lists prompts with at least two downs and two thirds of thumbs down', () => {
    const events = [
      thumb(false, { prompt: 'bad prompt', modelVersion: 'v2' }),
      thumb(false, { prompt: 'Bad prompt!', modelVersion: 'v1' }),
      thumb(true, { prompt: 'bad prompt' }),
      thumb(false, { prompt: 'split' }),
      thumb(false, { prompt: 'split' }),
      thumb(true, { prompt: 'split' }),
      thumb(true, { prompt: 'split' }),
      thumb(false, { prompt: 'once' }),
    ];
    expect(negativePrompts(events, 'exact')).toEqual([]);
    const normalised = negativePrompts(events, 'normalized');
    expect(normalised.map((p) => [p.prompt, p.downs, p.ups, p.versions])).toEqual([
      ['bad prompt', 2, 1, ['(none)', 'v1', 'v2']],
    ]);
  });
});

describe('implicit win rates and disagreements', () => {
  const pair = (a: string, b: string): PairInput => ({
    prompt: 'p',
    responseA: 'x',
    responseB: 'y',
    winner: 'a',
    modelA: a,
    modelB: b,
  });
  const pairs = [
    pair('v1', 'v2'),
    pair('v1', 'v2'),
    pair('v1', 'v2'),
    pair('v2', 'v1'),
    pair('v3', 'v1'),
    pair('v1', 'v1'),
  ];

  it('counts wins per version pair, each pair once, the winning version first', () => {
    const rates = implicitWinRates(pairs);
    expect(rates.map((r) => [r.x, r.y, r.wins, r.n, r.rate])).toEqual([
      ['v1', 'v2', 3, 4, 0.75],
      ['v3', 'v1', 1, 1, 1],
    ]);
  });

  it('lists the version pairs where users and the reward model prefer different versions', () => {
    const rates = implicitWinRates(pairs);
    const offline = [
      { x: 'v2', y: 'v1', rate: 0.8, n: 50 }, // the model prefers v2; users prefer v1
      { x: 'v3', y: 'v1', rate: 0.6, n: 50 }, // both prefer v3: no disagreement
    ];
    const found = disagreements(rates, offline);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      usersPrefer: 'v1',
      offlinePrefers: 'v2',
      offlineRate: 0.8,
      offlinePrompts: 50,
      clear: false,
    });
    expect(found[0]!.usersRate).toMatchObject({ x: 'v1', y: 'v2', rate: 0.75 });
  });
});
