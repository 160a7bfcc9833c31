// Half precision on the CPU (src/core/model/ops/f16.ts): the rounding every f16 weight goes
// through, checked on every f16 value and on the values between them (ties to even, as torch's
// .half() rounds), and the packing the WGSL kernels read (column 2j in the low half of word j).
import { describe, expect, it } from 'vitest';
import { halfBits, halfValue, packHalves, toHalf } from '../../src/core/model/ops/f16.ts';

describe('f16 rounding', () => {
  it('every finite f16 value rounds to itself, and its bits come back', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue; // Infinity and NaN
      if (halfBits(halfValue(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('a value halfway between two f16 values goes to the even one; just past halfway goes up', () => {
    for (const h of [0x0001, 0x0002, 0x03ff, 0x0400, 0x3c00, 0x3c01, 0x5555, 0x7bfe]) {
      const mid = (halfValue(h) + halfValue(h + 1)) / 2;
      expect(halfBits(mid)).toBe(h & 1 ? h + 1 : h);
      expect(halfBits(Math.fround(mid * (1 + 2 ** -20)))).toBe(h + 1);
      expect(halfBits(-mid)).toBe((h & 1 ? h + 1 : h) | 0x8000);
    }
  });

  it('known values: 1/3, the largest half, overflow, underflow, NaN', () => {
    expect(toHalf(1 / 3)).toBe(0.333251953125);
    expect(toHalf(65504)).toBe(65504);
    expect(toHalf(65520)).toBe(Infinity); // halfway to 65536 ties away to Infinity
    expect(toHalf(65519)).toBe(65504);
    expect(toHalf(-1e6)).toBe(-Infinity);
    expect(toHalf(2 ** -25)).toBe(0); // halfway to the smallest subnormal: ties to 0
    expect(toHalf(2 ** -24)).toBe(2 ** -24);
    expect(toHalf(1.5 * 2 ** -24)).toBe(2 ** -23);
    expect(toHalf(NaN)).toBeNaN();
  });
});

describe('packing two halves to a word', () => {
  it('puts column 2j in the low 16 bits and 2j + 1 in the high ones, zero past an odd width', () => {
    const { words, rounded, finite } = packHalves([1, -2, 0.5, 3, 0.1, 65504], 2, 3);
    expect(finite).toBe(true);
    expect([...words].map((w) => w >>> 0)).toEqual(
      [
        (0xc000 << 16) | 0x3c00, // -2 | 1
        0x3800, // 0.5 | 0
        (0x2e66 << 16) | 0x4200, // 0.1 | 3
        0x7bff, // 65504 | 0
      ].map((w) => w >>> 0),
    );
    expect([...rounded]).toEqual([1, -2, 0.5, 3, toHalf(0.1), 65504]);
  });

  it('says when a value is beyond f16 range', () => {
    expect(packHalves([1, 7e4], 1, 2).finite).toBe(false);
  });
});
