// The worker's judge calls: load a Hub reward model as a reference judge (progress, Cancel), score
// items with it beside the user's model, let it go.
import type { ScoreItem } from '../../core/eval/score.ts';
import type { LoadProgress } from '../../core/model/pretrained.ts';
import type { JudgeSession, LoadedJudge } from '../judge-session.ts';
import { currentHubEndpoint } from '../train-run.ts';

export function judgesApi(judges: JudgeSession) {
  let stopRequested = false;
  return {
    loadJudge(model: string, onProgress?: (p: LoadProgress) => void): Promise<LoadedJudge> {
      return judges.load(model, currentHubEndpoint(), onProgress);
    },

    cancelJudgeLoad(): void {
      judges.cancelLoad();
    },

    unloadJudge(): Promise<void> {
      return judges.unload();
    },

    /** The loaded judge's rewards of (prompt, response) items, in their order. */
    judgeResponses(items: ScoreItem[], onProgress?: (done: number, total: number) => void): Promise<number[]> {
      stopRequested = false;
      return judges.score(items, onProgress, () => stopRequested);
    },

    cancelJudging(): void {
      stopRequested = true;
    },
  };
}
