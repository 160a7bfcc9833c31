// "Add a reward model from the Hub" (Models screen): a one-label *ForSequenceClassification
// checkpoint of any family RM Lab builds, named by Hub id, URL or picked folder, stored as a model
// as it is, with its own head. In order: config.json is checked (family, one label) and the memory
// plan made and shown, both before any other file is read; then the tokenizer and weights download
// with progress (cancellable, the browser's cache kept for next time); the model is built once to
// prove it scores, and only then stored. Nothing is stored from a load that fails.
import { RewardModel } from '../core/model/reward-model.ts';
import { checkRewardConfig, readyRewardModel } from '../core/model/ready-reward.ts';
import type { LoadProgress } from '../core/model/pretrained.ts';
import { planningCheck, type DownloadPlan, type PlanRequest } from '../core/train/download-plan.ts';
import { newId, type ModelCard, type RMLabDatabase } from '../store/db.ts';
import { saveModelWithCard } from '../store/models.ts';
import { openModelFolder } from './encoder-load.ts';
import { isQuotaExceeded, storageFullMessage } from './storage-errors.ts';
import * as tf from '@tensorflow/tfjs';

export interface AddHubModelOptions {
  endpoint?: string;
  folderFiles?: Map<string, Blob>;
  signal?: AbortSignal;
  plan: PlanRequest;
  onPlan: (plan: DownloadPlan) => void;
  onProgress: (p: LoadProgress) => void;
}

export async function addHubRewardModel(
  db: RMLabDatabase,
  source: string,
  options: AddHubModelOptions,
): Promise<{ card: ModelCard; cacheProblem?: string }> {
  const name = source.trim();
  const plan = planningCheck(name, options.plan, options.onPlan);
  const { accepted, cacheProblem } = await openModelFolder(
    name,
    {
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.folderFiles ? { folderFiles: options.folderFiles } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: options.onProgress,
      onConfig: async (check) => {
        checkRewardConfig(check.configJson, name);
        await plan(check);
      },
    },
    (folder) => readyRewardModel(folder, name),
  );
  const { spec, weights, head, tokenizer, summary } = accepted;
  // Built once before storing, as an imported model file is: what is stored scores.
  if (!tf.engine().backendName && !(await tf.setBackend('wasm'))) await tf.setBackend('cpu');
  RewardModel.fromPretrained(spec, weights, 0, head).dispose();
  const id = newId();
  const card: ModelCard = {
    id,
    name: name.replace(/^folder:/, ''),
    origin: 'hub',
    spec,
    createdAt: Date.now(),
    importedFrom: name,
    parameters: summary.parameters,
  };
  try {
    await saveModelWithCard(
      db,
      { runId: id, spec, tokenizer, weights: [...weights, ...head], savedAt: Date.now() },
      card,
    );
  } catch (error) {
    throw isQuotaExceeded(error) ? new Error(storageFullMessage('the model')) : error;
  }
  return cacheProblem ? { card, cacheProblem } : { card };
}
