// The "memorising the training pairs" reading of a run's curves.
import { describe, expect, it } from 'vitest';
import type { EvalPoint, StepPoint } from '../../src/core/train/events.ts';
import { detectMemorising, memorisingMessage } from '../../src/core/train/memorising.ts';

const steps = (losses: number[]): StepPoint[] =>
  losses.map((loss, i) => ({ step: i + 1, epoch: 0, loss, accuracy: 0 }));
const evals = (points: [number, number][]): EvalPoint[] =>
  points.map(([step, loss]) => ({
    step,
    loss,
    accuracy: 0.5,
    meanMargin: 0,
    chosenRewards: [],
    rejectedRewards: [],
    tieRewards: { a: [], b: [] },
  }));

describe('detectMemorising', () => {
  const falling = steps(Array.from({ length: 40 }, (_, i) => 0.7 - i * 0.015));
  it('says so when held-out loss has risen for N evaluations while training loss fell', () => {
    const m = detectMemorising(
      falling,
      evals([
        [10, 0.69],
        [20, 0.66],
        [30, 0.7],
        [40, 0.8],
      ]),
      2,
    );
    expect(m).toMatchObject({ bestStep: 20, bestLoss: 0.66, lastLoss: 0.8, evaluations: 2 });
    expect(m!.trainAfter).toBeLessThan(m!.trainBefore);
    expect(memorisingMessage(m!)).toMatch(/^The model is memorising the training pairs: .* step 20 .*To try: /);
  });
  it('stays silent with fewer evaluations since the best, while held-out loss still falls, or when training loss rose too', () => {
    const e = evals([
      [10, 0.69],
      [20, 0.66],
      [30, 0.7],
      [40, 0.8],
    ]);
    expect(detectMemorising(falling, e, 3)).toBeUndefined();
    expect(
      detectMemorising(
        falling,
        evals([
          [10, 0.69],
          [20, 0.66],
          [30, 0.6],
        ]),
        1,
      ),
    ).toBeUndefined();
    const rising = steps(Array.from({ length: 40 }, (_, i) => 0.5 + i * 0.01));
    expect(detectMemorising(rising, e, 2)).toBeUndefined();
  });
});
