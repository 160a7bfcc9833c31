// The worker's training calls: the pretrained encoder shown in the form, and the run of this tab
// (start, stop, pause, resume), which TrainingSession owns.
import type { Pooling } from '../../core/model/encoders/encoder.ts';
import type { EncoderSummary, LoadProgress } from '../../core/model/pretrained.ts';
import type { BackendChoice } from '../../core/train/config.ts';
import type { RunRecord } from '../../store/db.ts';
import { openEncoder } from '../encoder-load.ts';
import { planningCheck, type DownloadPlan, type PlanRequest } from '../../core/train/download-plan.ts';
import { setHubEndpoint, type RunUpdate } from '../train-run.ts';
import type { TrainingSession } from '../training-session.ts';

export function trainingApi(session: TrainingSession) {
  let encoderLoad: AbortController | undefined;
  return {
    /** Where Hub model ids are downloaded from (the page's setting). */
    setHubEndpoint(endpoint: string | undefined): void {
      setHubEndpoint(endpoint);
    },

    /**
     * Loads a pretrained encoder to show what it is, and keeps its files in the browser's cache for
     * the run: a Hub id or URL (downloaded once), or a folder the user picked or dropped (its files,
     * cached under 'folder:<name>'). One load at a time: a new one cancels the last. With `plan`,
     * the memory plan is made from config.json and told (onPlan) before anything else downloads, and
     * a model that will not fit stops there unless plan.force.
     */
    async loadEncoder(
      encoder: string,
      pooling: Pooling,
      endpoint: string | undefined,
      folder: { files: File[] } | undefined,
      onProgress: (p: LoadProgress) => void,
      plan?: PlanRequest,
      onPlan?: (plan: DownloadPlan) => void,
    ): Promise<{ summary: EncoderSummary; cacheProblem?: string }> {
      encoderLoad?.abort();
      const controller = (encoderLoad = new AbortController());
      setHubEndpoint(endpoint);
      const folderFiles = folder && new Map(folder.files.map((f) => [f.name, f as Blob]));
      const opened = await openEncoder(encoder, pooling, {
        endpoint,
        folderFiles,
        signal: controller.signal,
        onProgress,
        ...(plan && onPlan ? { onConfig: planningCheck(encoder.trim(), plan, onPlan) } : {}),
      });
      if (encoderLoad === controller) encoderLoad = undefined;
      return { summary: opened.summary, cacheProblem: opened.cacheProblem };
    },

    cancelEncoderLoad(): void {
      encoderLoad?.abort();
    },

    train(
      dataset: { id: string; name: string },
      rawConfig: unknown,
      onUpdate: (u: RunUpdate) => void,
    ): Promise<RunRecord> {
      return session.train(dataset, rawConfig, onUpdate);
    },

    stopTraining(): void {
      session.stop();
    },

    /** Pauses the run training in this tab after its current step (it writes a checkpoint, then waits). */
    pauseTraining(): void {
      session.pause();
    },

    resumeTraining(): void {
      session.unpause();
    },

    /** Goes on with an interrupted, stopped or failed run from its latest checkpoint (see resumeRun). */
    resumeRun(runId: string, onUpdate: (u: RunUpdate) => void, backend?: BackendChoice): Promise<RunRecord> {
      return session.resume(runId, onUpdate, backend);
    },
  };
}
