// The worker's calls on stored models: export (one file, a Hugging Face folder, a TRL folder),
// import, and held-out scores (the work itself is in model-io.ts).
import type { SplitCounts } from '../../core/export/trl.ts';
import { fetchLimited, MODEL_URL_MAX_BYTES, readAll } from '../../core/share/fetch-url.ts';
import { openLabDB, type ModelCard } from '../../store/db.ts';
import type { LoadProgress } from '../../core/model/pretrained.ts';
import type { DownloadPlan, PlanRequest } from '../../core/train/download-plan.ts';
import { addHubRewardModel } from '../hub-reward-model.ts';
import { setHubEndpoint } from '../train-run.ts';
import {
  exportHuggingFace,
  exportModelFile,
  exportPeftAdapter,
  exportTrainBigger,
  importModelFile,
  scoreHeldOut,
  type HeldOutRewards,
  type TrainBiggerSource,
} from '../model-io.ts';

export function modelsApi() {
  let modelDownload: AbortController | undefined;
  let hubModelLoad: AbortController | undefined;
  return {
    /**
     * Adds a one-label sequence classifier (Hub id, URL, or a picked folder's files) as a model as it
     * is: config.json checked and the memory plan told (onPlan) before the rest downloads
     * (hub-reward-model.ts). One at a time: a new one cancels the last.
     */
    async addHubRewardModel(
      source: string,
      endpoint: string | undefined,
      folder: { files: File[] } | undefined,
      plan: PlanRequest,
      onPlan: (plan: DownloadPlan) => void,
      onProgress: (p: LoadProgress) => void,
    ): Promise<{ card: ModelCard; cacheProblem?: string }> {
      hubModelLoad?.abort();
      const controller = (hubModelLoad = new AbortController());
      setHubEndpoint(endpoint);
      try {
        return await addHubRewardModel(await openLabDB(), source, {
          ...(endpoint ? { endpoint } : {}),
          ...(folder ? { folderFiles: new Map(folder.files.map((f) => [f.name, f as Blob])) } : {}),
          signal: controller.signal,
          plan,
          onPlan,
          onProgress,
        });
      } finally {
        if (hubModelLoad === controller) hubModelLoad = undefined;
      }
    },

    cancelHubRewardModel(): void {
      hubModelLoad?.abort();
    },

    /** A stored model as a .rmlab.safetensors file (model-io.ts). */
    async exportModel(id: string): Promise<{ fileName: string; file: Blob }> {
      return exportModelFile(await openLabDB(), id);
    },

    /** A BERT-family model as a Hugging Face folder (.zip); throws the reason for any other model. */
    async exportHuggingFace(id: string): Promise<{ fileName: string; file: Blob }> {
      return exportHuggingFace(await openLabDB(), id);
    },

    /** A model trained with LoRA as a PEFT adapter folder (.zip); throws the reason for any other model. */
    async exportPeftAdapter(id: string): Promise<{ fileName: string; file: Blob }> {
      return exportPeftAdapter(await openLabDB(), id);
    },

    /** Stores a model file, picked or from a link, as a new model; nothing is stored if it is refused. */
    async importModel(
      source: { kind: 'file'; file: File } | { kind: 'url'; url: string },
      onProgress?: (bytesRead: number, totalBytes?: number) => void,
    ): Promise<ModelCard> {
      if (source.kind === 'file') {
        const db = await openLabDB();
        return importModelFile(db, new Uint8Array(await source.file.arrayBuffer()), source.file.name);
      }
      // Created before the first await: a Cancel sent right after this call finds it.
      modelDownload?.abort();
      const controller = (modelDownload = new AbortController());
      try {
        const db = await openLabDB();
        const download = await fetchLimited(source.url, 'model', MODEL_URL_MAX_BYTES, { signal: controller.signal });
        const bytes = await readAll(download, (n) => onProgress?.(n, download.totalBytes));
        return await importModelFile(db, bytes, source.url);
      } finally {
        if (modelDownload === controller) modelDownload = undefined;
      }
    },

    /** Stops the model download in progress (a link's, or the Models screen's). */
    cancelModelDownload(): void {
      modelDownload?.abort();
    },

    /** Rewards a model gives a dataset's held-out pairs (model-io.ts). */
    async scoreHeldOut(modelId: string, datasetId: string, limit?: number): Promise<HeldOutRewards> {
      return scoreHeldOut(await openLabDB(), modelId, datasetId, limit);
    },

    /** A run's (or the form's) dataset and settings as a TRL RewardTrainer folder, zipped (core/export/trl.ts). */
    async exportTrainBigger(source: TrainBiggerSource): Promise<{ fileName: string; file: Blob; counts: SplitCounts }> {
      return exportTrainBigger(await openLabDB(), source);
    },
  };
}
