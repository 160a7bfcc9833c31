// The learning-rate schedules against Hugging Face's formulas, computed by hand (the PyTorch reference,
// tests/unit/training-reference.test.ts, checks them again through torch's LambdaLR).
import { describe, expect, it } from 'vitest';
import { learningRateAt, lrLambda, warmupStepsOf } from '../../src/core/train/schedule.ts';

describe('learning-rate schedules', () => {
  it('warmup climbs from 0 in equal steps; the first update of a warmed-up run has rate 0', () => {
    expect([0, 1, 2, 3].map((s) => lrLambda('linear', s, 10, 4))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(lrLambda('cosine', 0, 10, 4)).toBe(0);
    expect(lrLambda('constant', 2, 10, 4)).toBe(0.5);
  });

  it('linear: from the peak at the end of warmup to 0 at the last step, (T - s) / (T - w)', () => {
    expect([4, 7, 10].map((s) => lrLambda('linear', s, 10, 4))).toEqual([1, 0.5, 0]);
    expect(lrLambda('linear', 9, 10, 0)).toBeCloseTo(0.1, 12);
  });

  it('cosine: half a cosine, 0.5 (1 + cos(pi progress))', () => {
    expect(lrLambda('cosine', 4, 10, 4)).toBe(1);
    expect(lrLambda('cosine', 7, 10, 4)).toBeCloseTo(0.5, 12);
    expect(lrLambda('cosine', 5, 10, 4)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 6)), 12);
  });

  it('constant after warmup', () => {
    expect([0, 5, 9].map((s) => lrLambda('constant', s, 10, 0))).toEqual([1, 1, 1]);
  });

  it('warmup steps win over the warmup share; the share rounds up, as the HF Trainer does', () => {
    expect(warmupStepsOf({ warmupSteps: 3, warmupRatio: 0.5 }, 100)).toBe(3);
    expect(warmupStepsOf({ warmupSteps: 0, warmupRatio: 0.1 }, 95)).toBe(10);
    const options = { learningRate: 0.01, lrSchedule: 'linear' as const, warmupRatio: 0.1, warmupSteps: 0 };
    expect(learningRateAt(options, 5, 100)).toBeCloseTo(0.005, 12);
  });
});
