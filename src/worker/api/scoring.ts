// The worker's playground calls: one loaded model (ScoringSession) scoring typed responses, a JSONL
// file of rows, or the regression of model versions.
import type { RewardPart, ScoreItem } from '../../core/eval/score.ts';
import type { JudgeSession } from '../judge-session.ts';
import {
  ScoringSession,
  type BatchScoreResult,
  type LoadedModel,
  type ReferenceJudge,
  type RegressionResult,
  type ScoreProgress,
} from '../scoring.ts';

/**
 * The judge the page picked, to score beside the model: the page names it, and it must still be the one
 * the worker holds (a judge replaced since is not scored under the old one's name).
 */
function pickedJudge(judges: JudgeSession | undefined, model: string | undefined): ReferenceJudge | undefined {
  if (!model) return undefined;
  if (judges?.judge?.model !== model)
    throw new Error(`the reference judge ${model} is no longer loaded: load it again`);
  return { model, score: (items, onProgress, shouldStop) => judges.score(items, onProgress, shouldStop) };
}

export function scoringApi(scoring: ScoringSession, judges?: JudgeSession) {
  let stopRequested = false;
  return {
    /** Loads a stored model for the playground and keeps it (the one loaded before is disposed). */
    loadModel(card: Parameters<ScoringSession['load']>[0]): Promise<LoadedModel> {
      return scoring.load(card);
    },

    unloadModel(): void {
      scoring.unload();
    },

    /** Whether scoring gives the whole reward or its quality part (without the length term) from now on. */
    setRewardPart(part: RewardPart): void {
      scoring.setPart(part);
    },

    /** Rewards of (prompt, response) items from the loaded model, in their order. */
    scoreResponses(items: ScoreItem[]): Promise<number[]> {
      return scoring.score(items);
    },

    /**
     * Scores a JSONL file of rows as it streams; the scored rows come back as JSONL and CSV Blobs. With
     * `judge` (the loaded reference judge's id) the judge scores every response too.
     */
    async batchScore(file: File, onProgress: (p: ScoreProgress) => void, judge?: string): Promise<BatchScoreResult> {
      stopRequested = false;
      return scoring.batchScore(file, onProgress, () => stopRequested, pickedJudge(judges, judge));
    },

    /** Regression of model versions: from a JSONL file, or from a dataset's model_a/b_version fields. */
    async regression(
      source: { kind: 'file'; file: File } | { kind: 'dataset'; id: string; name: string },
      onProgress: (p: ScoreProgress) => void,
      judge?: string,
    ): Promise<RegressionResult> {
      stopRequested = false;
      const picked = pickedJudge(judges, judge);
      return source.kind === 'file'
        ? scoring.regressionFromFile(source.file, onProgress, () => stopRequested, picked)
        : scoring.regressionFromDataset(source, onProgress, () => stopRequested, picked);
    },

    cancelScoring(): void {
      stopRequested = true;
    },
  };
}
