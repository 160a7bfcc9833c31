// Statistics a reward-model builder checks before training, computed from the pairs alone:
// winner distribution, position and length bias, length distributions, pairs per task type /
// model / annotator, annotator agreement and a Davidson (Bradley-Terry with ties) leaderboard of
// the model versions. Framework-free and DOM-free: the UI charts the results.
//
// Undefined quantities (a share of 0 pairs, a kappa with chance agreement 1) are NaN, never 0.
// Checked number for number against scipy / statsmodels / scikit-learn by
// tests/unit/stats-*.test.ts, whose fixtures scripts/reference/stats_reference.py writes.
//
// This folder supersedes src/core/data/stats.ts: winnerCounts here has the same signature.

import type { PairInput } from '../pair.ts';
import { type AnnotatorAgreement, type VotesAgreement, annotatorAgreement, votesAgreement } from './agreement.ts';
import { type CountTokens, type LengthBias, type PositionBias, lengthBias, positionBias } from './bias.ts';
import {
  type Breakdown,
  type ModelBreakdown,
  pairsPerAnnotator,
  pairsPerModel,
  pairsPerTaskType,
} from './breakdown.ts';
import { type Leaderboard, type LeaderboardOptions, davidsonLeaderboard } from './leaderboard.ts';
import { type LengthDistributions, lengthDistributions } from './lengths.ts';
import { type WinnerDistribution, winnerDistribution } from './winners.ts';

export * from './agreement.ts';
export * from './bias.ts';
export * from './breakdown.ts';
export * from './leaderboard.ts';
export * from './lengths.ts';
export * from './math.ts';
export * from './winners.ts';

export interface DatasetStats {
  winners: WinnerDistribution;
  positionBias: PositionBias;
  lengthBias: LengthBias;
  lengths: LengthDistributions;
  perTaskType: Breakdown;
  perModel: ModelBreakdown;
  perAnnotator: Breakdown;
  votesAgreement: VotesAgreement;
  annotatorAgreement: AnnotatorAgreement;
  leaderboard: Leaderboard;
}

export interface DatasetStatsOptions {
  countTokens: CountTokens;
  /** Confidence level of every interval; 0.95 unless given. */
  confidence?: number;
  /** Histogram bins (at most); 30 unless given. */
  maxBins?: number;
  leaderboard?: LeaderboardOptions;
}

/**
 * Every statistic of this folder over one dataset. countTokens runs twice per response (for the
 * length bias and the distributions): give a memoised one when the tokenizer is slow.
 */
export function datasetStats(pairs: Iterable<PairInput>, options: DatasetStatsOptions): DatasetStats {
  const list = Array.isArray(pairs) ? (pairs as PairInput[]) : [...pairs];
  const { countTokens, confidence } = options;
  return {
    winners: winnerDistribution(list),
    positionBias: positionBias(list, { confidence }),
    lengthBias: lengthBias(list, { countTokens, confidence }),
    lengths: lengthDistributions(list, { countTokens, maxBins: options.maxBins }),
    perTaskType: pairsPerTaskType(list),
    perModel: pairsPerModel(list),
    perAnnotator: pairsPerAnnotator(list),
    votesAgreement: votesAgreement(list),
    annotatorAgreement: annotatorAgreement(list),
    leaderboard: davidsonLeaderboard(list, { confidence, ...options.leaderboard }),
  };
}
