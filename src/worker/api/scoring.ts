// The worker's playground calls: one loaded model (ScoringSession) scoring typed responses, a JSONL
// file of rows, or the regression of model versions.
import type { ScoreItem } from '../../core/eval/score.ts';
import {
  ScoringSession,
  type BatchScoreResult,
  type LoadedModel,
  type RegressionResult,
  type ScoreProgress,
} from '../scoring.ts';

export function scoringApi(scoring: ScoringSession) {
  let stopRequested = false;
  return {
    /** Loads a stored model for the playground and keeps it (the one loaded before is disposed). */
    loadModel(card: Parameters<ScoringSession['load']>[0]): Promise<LoadedModel> {
      return scoring.load(card);
    },

    unloadModel(): void {
      scoring.unload();
    },

    /** Rewards of (prompt, response) items from the loaded model, in their order. */
    scoreResponses(items: ScoreItem[]): Promise<number[]> {
      return scoring.score(items);
    },

    /** Scores a JSONL file of rows as it streams; the scored rows come back as a JSONL Blob. */
    batchScore(file: File, onProgress: (p: ScoreProgress) => void): Promise<BatchScoreResult> {
      stopRequested = false;
      return scoring.batchScore(file, onProgress, () => stopRequested);
    },

    /** Regression of model versions: from a JSONL file, or from a dataset's model_a/b_version fields. */
    regression(
      source: { kind: 'file'; file: File } | { kind: 'dataset'; id: string; name: string },
      onProgress: (p: ScoreProgress) => void,
    ): Promise<RegressionResult> {
      stopRequested = false;
      return source.kind === 'file'
        ? scoring.regressionFromFile(source.file, onProgress, () => stopRequested)
        : scoring.regressionFromDataset(source, onProgress, () => stopRequested);
    },

    cancelScoring(): void {
      stopRequested = true;
    },
  };
}
