// Best-of-N: candidates for one prompt ranked by reward. Under the Bradley-Terry model a reward
// model is trained with, P(A better than B) = sigmoid(r_A - r_B); its extension to N candidates
// (Plackett-Luce) gives P(candidate i is the best) = softmax(r)_i.
import { sigmoid } from './analysis.ts';

export interface RankedCandidate {
  /** Position in the input list. */
  index: number;
  reward: number;
  /** 1 = best. Equal rewards share the better rank. */
  rank: number;
  /** P(this candidate is the best of all N) under Plackett-Luce: softmax of the rewards. */
  pBest: number;
}

/** P(A better than B) from two rewards. */
export function preferenceProbability(rewardA: number, rewardB: number): number {
  return sigmoid(rewardA - rewardB);
}

/** The candidates, best first; ties of reward keep input order. */
export function rankCandidates(rewards: readonly number[]): RankedCandidate[] {
  if (rewards.some((r) => !Number.isFinite(r))) throw new Error('every reward must be a finite number');
  const top = Math.max(...rewards);
  const weights = rewards.map((r) => Math.exp(r - top)); // shifted by the max: no overflow
  const total = weights.reduce((a, b) => a + b, 0);
  const order = rewards.map((_, i) => i).sort((a, b) => rewards[b]! - rewards[a]! || a - b);
  const ranked: RankedCandidate[] = [];
  order.forEach((index, position) => {
    const previous = ranked[position - 1];
    const rank = previous && previous.reward === rewards[index] ? previous.rank : position + 1;
    ranked.push({ index, reward: rewards[index]!, rank, pBest: weights[index]! / total });
  });
  return ranked;
}
