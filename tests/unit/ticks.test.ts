// Chart axes: ticks at round values and labels that tell them apart (issue 14: a learning-rate
// axis once read 0.0005 as "0.001" and 0.0003 as "0"; a regression chart ticked at -2.79, -1.47).
import { describe, expect, it } from 'vitest';
import { decimalsFor, formatTick, niceStep, niceTicks } from '../../src/ui/widgets/ticks.ts';

describe('niceTicks', () => {
  it('puts ticks at 1, 2 or 5 times a power of ten, covering the data', () => {
    expect(niceTicks(-2.79, 1.9)).toEqual({ ticks: [-3, -2, -1, 0, 1, 2], domain: [-3, 2] });
    expect(niceTicks(0, 1, 4).ticks).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 1, 5).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.00012, 0.00049).ticks).toEqual([0.0001, 0.0002, 0.0003, 0.0004, 0.0005]);
    expect(niceTicks(1310, 1720).ticks).toEqual([1300, 1400, 1500, 1600, 1700, 1800]);
  });

  it('gives a flat range two ticks around it instead of none', () => {
    const { ticks } = niceTicks(0.5, 0.5);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toBeLessThanOrEqual(0.5);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(0.5);
  });

  it('treats a span of a few ulps as flat, with a few ticks (a smoothed first point beside the raw one once hung the page)', () => {
    const v = 0.6931471805599453; // a first step's loss
    const next = v + v * Number.EPSILON; // the next double: one ulp above
    expect(next).toBeGreaterThan(v);
    const { ticks, domain } = niceTicks(v, next);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(10);
    expect(domain[0]).toBeLessThanOrEqual(v);
    expect(domain[1]).toBeGreaterThanOrEqual(v);
    expect(niceTicks(1e17, 1e17 + 16).ticks.length).toBeLessThanOrEqual(10);
  });

  it('never shows floating-point drift', () => {
    for (const t of niceTicks(0.1, 0.7).ticks) expect(String(t)).toMatch(/^-?\d+(\.\d)?$/);
  });
});

describe('tick labels', () => {
  it('write learning rates as they are', () => {
    expect(niceStep(0, 0.0005)).toBe(0.0001);
    expect(formatTick(0.0005, 0.0001)).toBe('0.0005');
    expect(formatTick(0.0003, 0.0001)).toBe('0.0003');
    expect(formatTick(0.00025, 0.00005)).toBe('0.00025');
    expect(formatTick(2.5e-5, 5e-6)).toBe('2.5e-5');
    expect(formatTick(3e-5, 1e-5)).toBe('3e-5');
  });

  it('use as many decimals as the step needs', () => {
    expect(decimalsFor(0.25)).toBe(2);
    expect(decimalsFor(50)).toBe(0);
    expect(formatTick(0.75, 0.25)).toBe('0.75');
    expect(formatTick(1500, 100)).toBe('1500');
    expect(formatTick(0, 0.1)).toBe('0');
  });
});
