import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../src/cli/closest.ts';

describe('closest option name', () => {
  it('counts single-character edits', () => {
    expect(editDistance('epoch', 'epochs')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests the nearest name, and nothing when every name is far', () => {
    const names = ['epochs', 'seed', 'batch-size', 'max-steps'];
    expect(closest('epoch', names)).toBe('epochs');
    expect(closest('batch-sise', names)).toBe('batch-size');
    expect(closest('MAX-STEPS', names)).toBe('max-steps');
    expect(closest('frobnicate', names)).toBeUndefined();
  });
});
