// How much a model's held-out accuracy says: its 95% Wilson interval, and whether that interval
// clears chance (50%, what guessing gets). Compare and Best-of-N show probabilities next to this,
// so a model at chance saying "P(A better) 100%" is read for what it is.
import { wilsonInterval } from '../data/stats/math.ts';

export interface HeldOutEvidence {
  accuracy: number;
  /** Held-out pairs the accuracy was measured on. */
  pairs: number;
  lower: number;
  upper: number;
  /** The whole 95% interval lies above one half. */
  beatsChance: boolean;
}

/** The evidence of `accuracy` measured on `pairs` held-out pairs; undefined when no pair was scored. */
export function heldOutEvidence(accuracy: number, pairs: number): HeldOutEvidence | undefined {
  if (!(pairs > 0) || !Number.isFinite(accuracy)) return undefined;
  const correct = Math.round(accuracy * pairs);
  const { lower, upper } = wilsonInterval(correct, pairs);
  return { accuracy, pairs, lower, upper, beatsChance: lower > 0.5 };
}
