// Whether a model's held-out accuracy clears chance, checked against intervals computed by hand
// (the Wilson formula evaluated in Python).
import { describe, expect, it } from 'vitest';
import { heldOutEvidence } from '../../src/core/eval/held-out-evidence.ts';

describe('heldOutEvidence', () => {
  it('does not call 48.6% on 70 pairs better than chance', () => {
    const e = heldOutEvidence(34 / 70, 70)!;
    expect(e.beatsChance).toBe(false);
    // Wilson 95% for 34/70, computed in Python from the formula: 0.37246 .. 0.60046
    expect(e.lower).toBeCloseTo(0.37246, 4);
    expect(e.upper).toBeCloseTo(0.60046, 4);
  });

  it('calls 60% on 400 pairs better than chance, and 60% on 50 not', () => {
    expect(heldOutEvidence(0.6, 400)!.beatsChance).toBe(true);
    expect(heldOutEvidence(0.6, 50)!.beatsChance).toBe(false);
  });

  it('has nothing to say without scored pairs', () => {
    expect(heldOutEvidence(0.7, 0)).toBeUndefined();
    expect(heldOutEvidence(Number.NaN, 10)).toBeUndefined();
  });
});
