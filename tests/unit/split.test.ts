import { describe, expect, it } from 'vitest';
import { cyrb53 } from '../../src/core/data/hash.ts';
import { splitOf } from '../../src/core/data/split.ts';

/** Deterministic pseudo-random prompts (mulberry32), so that a failure can be reproduced. */
function prompts(count: number, seed = 1): string[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from(
    { length: count },
    (_, i) => `prompt ${i}: ${next().toString(36).slice(2)} ${next().toString(36).slice(2)}`,
  );
}

describe('splitOf', () => {
  const options = { seed: 42, heldOutFraction: 0.2 };

  it('holds out the requested fraction of 10,000 prompts', () => {
    const heldOut = prompts(10_000).filter((p) => splitOf(p, options) === 'heldout').length;
    // Binomial(10000, 0.2) has a standard deviation of 40: 4.5 of them either side.
    expect(heldOut).toBeGreaterThan(1820);
    expect(heldOut).toBeLessThan(2180);
    for (const fraction of [0.05, 0.5]) {
      const n = prompts(10_000, 7).filter(
        (p) => splitOf(p, { seed: 3, heldOutFraction: fraction }) === 'heldout',
      ).length;
      expect(Math.abs(n / 10_000 - fraction)).toBeLessThan(0.025);
    }
  });

  it('puts every pair of a prompt on the same side', () => {
    const pairs = prompts(2000).flatMap((p, i) => Array.from({ length: (i % 4) + 1 }, () => p));
    const sides = new Map<string, Set<string>>();
    for (const prompt of pairs) {
      const set = sides.get(prompt) ?? new Set();
      set.add(splitOf(prompt, options));
      sides.set(prompt, set);
    }
    expect([...sides.values()].filter((s) => s.size > 1)).toEqual([]);
  });

  it('is the same across calls and for the same conversation written twice', () => {
    const all = prompts(1000);
    const first = all.map((p) => splitOf(p, options));
    expect(all.map((p) => splitOf(p, { ...options }))).toEqual(first);
    const conversation = () => [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
    ];
    expect(splitOf(conversation(), options)).toBe(splitOf(conversation(), options));
    expect(splitOf(conversation(), options)).toBe(splitOf('user: Hi\nassistant: Hello', options));
  });

  it('gives a different split for a different seed', () => {
    const all = prompts(10_000);
    const a = all.map((p) => splitOf(p, { seed: 1, heldOutFraction: 0.2 }));
    const b = all.map((p) => splitOf(p, { seed: 2, heldOutFraction: 0.2 }));
    const differing = a.filter((side, i) => side !== b[i]).length;
    // Independent splits at 20% disagree on 2 * 0.2 * 0.8 = 32% of prompts.
    expect(differing).toBeGreaterThan(2800);
    expect(differing).toBeLessThan(3600);
  });

  it('holds out nothing at 0 and everything at 1', () => {
    const all = prompts(500);
    expect(all.every((p) => splitOf(p, { seed: 5, heldOutFraction: 0 }) === 'train')).toBe(true);
    expect(all.every((p) => splitOf(p, { seed: 5, heldOutFraction: 1 }) === 'heldout')).toBe(true);
    expect(() => splitOf('p', { seed: 5, heldOutFraction: 1.5 })).toThrow(
      'heldOutFraction must be between 0 and 1 (got 1.5)',
    );
    expect(() => splitOf('p', { seed: 5, heldOutFraction: Number.NaN })).toThrow(RangeError);
  });

  it('hashes to 53 bits with the published cyrb53 values', () => {
    // The reference values published with cyrb53 (github.com/bryc/code, jshash).
    expect(cyrb53('a')).toBe(7929297801672961);
    expect(cyrb53('b')).toBe(8684336938537663);
    expect(cyrb53('revenge')).toBe(4051478007546757);
    expect(cyrb53('revenue')).toBe(8309097637345594);
    expect(cyrb53('revenue', 1)).toBe(8697026808958300);
    const hashes = prompts(1000).map((p) => cyrb53(p));
    expect(hashes.every((h) => Number.isSafeInteger(h) && h >= 0 && h < 2 ** 53)).toBe(true);
    expect(new Set(hashes).size).toBe(1000);
  });
});

describe('stratified split', () => {
  it('holds out the same share of prompts within every task type, keeping prompts whole', async () => {
    const { stratifiedSplit, hashedSplit } = await import('../../src/core/data/split.ts');
    const pairs = [
      ...Array.from({ length: 200 }, (_, i) => ({ prompt: `big ${i % 100}`, taskType: 'big' })), // 100 prompts, 2 pairs each
      ...Array.from({ length: 10 }, (_, i) => ({ prompt: `small ${i}`, taskType: 'small' })),
    ];
    const plan = stratifiedSplit(pairs, { seed: 7, heldOutFraction: 0.2 });
    const heldPrompts = (type: string) =>
      new Set(pairs.filter((p) => p.taskType === type && plan.sideOf(p) === 'heldout').map((p) => p.prompt));
    expect(heldPrompts('big').size).toBe(20);
    expect(heldPrompts('small').size).toBe(2);
    for (const p of pairs) expect(plan.sideOf(p)).toBe(plan.sideOf({ prompt: p.prompt }));
    // Deterministic, and a different seed picks different prompts.
    const again = stratifiedSplit(pairs, { seed: 7, heldOutFraction: 0.2 });
    expect(pairs.map((p) => again.sideOf(p))).toEqual(pairs.map((p) => plan.sideOf(p)));
    const other = stratifiedSplit(pairs, { seed: 8, heldOutFraction: 0.2 });
    expect(pairs.map((p) => other.sideOf(p))).not.toEqual(pairs.map((p) => plan.sideOf(p)));
    // The hashed plan agrees with splitOf.
    const hashed = hashedSplit({ seed: 7, heldOutFraction: 0.2 });
    expect(hashed.sideOf(pairs[0]!)).toBe(splitOf(pairs[0]!.prompt, { seed: 7, heldOutFraction: 0.2 }));
  });
});
