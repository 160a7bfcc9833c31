import { describe, expect, it } from 'vitest';
import { alignOnX, histogram, smooth } from '../../src/ui/widgets/chart-data.ts';

describe('chart data', () => {
  it('smooths with a debiased moving average (first value kept, weight 0 = raw)', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smooth([1, 3], 0.5);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / 0.75, 10);
  });

  it('counts samples over shared bins, the maximum in the last bin', () => {
    const h = histogram(
      [
        [0, 0.1, 1],
        [0.5, 1, 1],
      ],
      2,
    );
    expect(h.edges).toEqual([0, 0.5]);
    expect(h.counts).toEqual([
      [2, 1],
      [0, 3],
    ]);
  });

  it('handles a constant sample and an empty one', () => {
    expect(histogram([[2, 2]], 4).counts[0]!.reduce((a, b) => a + b)).toBe(2);
    expect(histogram([[]], 4).edges).toEqual([]);
  });

  it('aligns series sampled at different steps on one x axis', () => {
    const { x, ys } = alignOnX([
      { x: [1, 2, 3], y: [0.9, 0.8, 0.7] },
      { x: [2, 4], y: [0.5, 0.4] },
    ]);
    expect(x).toEqual([1, 2, 3, 4]);
    expect(ys).toEqual([
      [0.9, 0.8, 0.7, null],
      [null, 0.5, null, 0.4],
    ]);
  });
});

describe('durations', () => {
  it('reads as an estimate', async () => {
    const { formatDuration } = await import('../../src/ui/widgets/format.ts');
    expect(formatDuration(0.2)).toBe('about 1 s');
    expect(formatDuration(75)).toBe('about 75 s');
    expect(formatDuration(200)).toBe('about 4 min');
    expect(formatDuration(3 * 3600)).toBe('about 3.0 h');
    expect(formatDuration(Infinity)).toBe('unknown time');
  });
});
