// Models in and out of the browser, run by the lab worker: a stored model as RM Lab's one-file
// format and back (a fresh card, the same weights), a run continued on TRL ("train bigger"), and
// held-out rewards of a model, to check that what came back scores exactly as what left.
import { QuickHead } from '../core/quick-head/head.ts';
import { describeQuickHead, isQuickHeadSpec, parseQuickHeadSummary } from '../core/quick-head/spec.ts';
import * as tf from '@tensorflow/tfjs';
import { chosenRejected, isDecisive, textOf, type Pair } from '../core/data/pair.ts';
import { planSplit } from '../core/data/split.ts';
import { huggingFaceZip } from '../core/export/hf-zip.ts';
import { peftAdapterZip } from '../core/export/peft-adapter.ts';
import { trainBiggerZip, type SplitCounts } from '../core/export/trl.ts';
import { decodeModelFile, encodeModelFile, MODEL_FILE_SUFFIX, type ModelMeta } from '../core/model/model-file.ts';
import { checkModelFile } from '../core/model/model-check.ts';
import { RewardModel } from '../core/model/reward-model.ts';
import { maxLengthOf, scoreTexts } from '../core/eval/score.ts';
import { tokenizerFor } from '../core/model/tokenizer.ts';
import { DEFAULT_TRAIN_CONFIG, parseTrainConfig, type TrainConfig } from '../core/train/config.ts';
import { scanPairs } from '../store/datasets.ts';
import { newId, type ModelCard, type RMLabDatabase } from '../store/db.ts';
import { getModelRecord, saveModelWithCard } from '../store/models.ts';
import { parseRunBaselines } from '../core/eval/baselines/index.ts';
import { getRun } from '../store/runs.ts';
import { isQuotaExceeded, storageFullMessage } from './storage-errors.ts';

/** A name as a file name: letters, digits, dot, dash and underscore. */
export function fileSlug(name: string, fallback = 'model'): string {
  return name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || fallback;
}

async function cardAndModel(db: RMLabDatabase, id: string) {
  const [card, model] = await Promise.all([db.get('modelCards', id), getModelRecord(db, id)]);
  if (!card || !model) throw new Error('this model is no longer stored in this browser');
  return { card, model };
}

/** A stored model as a .rmlab.safetensors file. */
export async function exportModelFile(db: RMLabDatabase, id: string): Promise<{ fileName: string; file: Blob }> {
  const { card, model } = await cardAndModel(db, id);
  const meta: ModelMeta = {
    name: card.name,
    createdAt: new Date(card.createdAt).toISOString(),
    ...(card.runId ? { runId: card.runId } : {}),
    ...(card.datasetName ? { datasetName: card.datasetName } : {}),
    ...(card.trainConfig ? { trainConfig: { ...card.trainConfig } } : {}),
    ...(card.steps !== undefined ? { steps: card.steps } : {}),
    ...(card.heldOutAccuracy !== undefined ? { heldOutAccuracy: card.heldOutAccuracy } : {}),
    ...(card.heldOutPairs !== undefined ? { heldOutPairs: card.heldOutPairs } : {}),
    ...(card.baselines ? { baselines: card.baselines } : {}),
    ...(card.checkpoint ? { checkpoint: card.checkpoint } : {}),
    ...(isQuickHeadSpec(model.spec)
      ? {
          quickHead: card.quickHead,
          needs: `${describeQuickHead(model.spec)}: a Transformers.js feature-extraction model`,
        }
      : {}),
  };
  const bytes = encodeModelFile({
    spec: model.spec,
    weights: model.weights,
    meta,
    ...(model.tokenizer ? { tokenizer: model.tokenizer } : {}),
  });
  return {
    fileName: `${fileSlug(card.name)}${MODEL_FILE_SUFFIX}`,
    file: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
  };
}

/** A BERT-family model as a Hugging Face model folder, zipped (core/export/hf-zip.ts). */
export async function exportHuggingFace(db: RMLabDatabase, id: string): Promise<{ fileName: string; file: Blob }> {
  const { card, model } = await cardAndModel(db, id);
  const zip = huggingFaceZip({
    spec: model.spec,
    weights: model.weights,
    tokenizer: model.tokenizer,
    name: card.name,
    ...(card.datasetName ? { datasetName: card.datasetName } : {}),
    ...(card.heldOutAccuracy !== undefined ? { heldOutAccuracy: card.heldOutAccuracy } : {}),
  });
  return {
    fileName: `${fileSlug(card.name)}.hf.zip`,
    file: new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
  };
}

/** A model trained with LoRA as a PEFT adapter folder, zipped (core/export/peft-adapter.ts). */
export async function exportPeftAdapter(db: RMLabDatabase, id: string): Promise<{ fileName: string; file: Blob }> {
  const { card, model } = await cardAndModel(db, id);
  const zip = peftAdapterZip({ spec: model.spec, weights: model.weights, name: card.name });
  return {
    fileName: `${fileSlug(card.name)}.peft-adapter.zip`,
    file: new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
  };
}

/**
 * Stores a model file as a new model (a fresh id: importing the same file twice gives two). The
 * file is read whole and its weights are fitted to a model of its spec before anything is stored,
 * so a file that cannot score is refused with the reason and the store is left as it was.
 */
export async function importModelFile(db: RMLabDatabase, bytes: Uint8Array, source: string): Promise<ModelCard> {
  const file = decodeModelFile(bytes, source);
  // Spec, tensors and tokenizer checked before anything is allocated from the spec.
  checkModelFile(file, source);
  await ensureBackend();
  try {
    // A quick head's encoder is fetched when it is used; its head is built here, as a model's is.
    const spec = file.spec;
    const model = isQuickHeadSpec(spec)
      ? QuickHead.fromWeights(spec.head, file.weights)
      : RewardModel.fromWeights(spec, file.weights);
    model.dispose();
  } catch (error) {
    throw new Error(`${source} does not hold a model RM Lab can run: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let trainConfig: TrainConfig | undefined;
  try {
    trainConfig = file.meta.trainConfig ? parseTrainConfig(file.meta.trainConfig) : undefined;
  } catch {
    trainConfig = undefined; // a config from another version of RM Lab: the model still scores
  }
  const baselines = parseRunBaselines(file.meta.baselines);
  const quickHead = isQuickHeadSpec(file.spec) ? parseQuickHeadSummary(file.meta.quickHead) : undefined;
  const id = newId();
  const card: ModelCard = {
    id,
    name: file.meta.name || source,
    origin: 'import',
    ...(quickHead ? { quickHead } : {}),
    spec: file.spec,
    createdAt: Date.now(),
    ...(file.meta.runId ? { runId: file.meta.runId } : {}),
    ...(file.meta.datasetName ? { datasetName: file.meta.datasetName } : {}),
    ...(file.meta.heldOutAccuracy !== undefined ? { heldOutAccuracy: file.meta.heldOutAccuracy } : {}),
    ...(file.meta.steps !== undefined ? { steps: file.meta.steps } : {}),
    ...(Number.isInteger(file.meta.heldOutPairs) && file.meta.heldOutPairs! > 0
      ? { heldOutPairs: file.meta.heldOutPairs }
      : {}),
    ...(baselines ? { baselines } : {}),
    ...(trainConfig ? { trainConfig } : {}),
    importedFrom: source,
  };
  try {
    await saveModelWithCard(
      db,
      {
        runId: id,
        spec: file.spec,
        weights: file.weights,
        savedAt: Date.now(),
        ...(file.tokenizer ? { tokenizer: file.tokenizer } : {}),
      },
      card,
    );
  } catch (error) {
    throw isQuotaExceeded(error) ? new Error(storageFullMessage('the model')) : error;
  }
  return card;
}

/** Where a TRL export's settings come from: a stored run's, or the training form's for a dataset. */
export type TrainBiggerSource = { kind: 'run'; runId: string } | { kind: 'form'; datasetId: string; config: unknown };

/** A dataset and training settings continued on TRL: the pairs (the settings' split) with a RewardTrainer script. */
export async function exportTrainBigger(
  db: RMLabDatabase,
  source: TrainBiggerSource,
): Promise<{ fileName: string; file: Blob; counts: SplitCounts }> {
  let datasetId: string;
  let datasetName: string;
  let config: TrainConfig;
  let runId: string | undefined;
  if (source.kind === 'run') {
    const run = await getRun(db, source.runId);
    if (!run) throw new Error('the run that trained this model is no longer stored');
    ({ datasetId, datasetName, id: runId } = run);
    config = parseTrainConfig(run.config);
  } else {
    const dataset = await db.get('datasets', source.datasetId);
    if (!dataset) throw new Error('this dataset is no longer stored');
    ({ id: datasetId, name: datasetName } = dataset);
    config = parseTrainConfig(source.config);
  }
  const pairs: Pair[] = [];
  await scanPairs(db, datasetId, (p) => pairs.push(p));
  if (pairs.length === 0) throw new Error(`the dataset "${datasetName}" is no longer stored`);
  const { zip, counts } = trainBiggerZip({
    config,
    ...(runId ? { runId } : {}),
    datasetName,
    pairs,
    exportedAt: new Date().toISOString(),
  });
  return {
    fileName: `${fileSlug(datasetName, 'dataset')}.trl-reward.zip`,
    file: new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
    counts,
  };
}

export interface HeldOutRewards {
  /** Ids of the decisive held-out pairs scored, in dataset order. */
  pairIds: string[];
  chosen: number[];
  rejected: number[];
  /** Share of pairs with reward(chosen) > reward(rejected), strictly (RewardBench's rule). */
  accuracy: number;
}

/**
 * Rewards a stored model gives the decisive held-out pairs of a dataset, under the model's own
 * split settings and max length (the defaults for a model without them). At most `limit` pairs.
 */
export async function scoreHeldOut(
  db: RMLabDatabase,
  modelId: string,
  datasetId: string,
  limit = 256,
): Promise<HeldOutRewards> {
  const { card, model: record } = await cardAndModel(db, modelId);
  const config = card.trainConfig ?? DEFAULT_TRAIN_CONFIG;
  const pairs: Pair[] = [];
  await scanPairs(db, datasetId, (p) => pairs.push(p));
  const split = planSplit(pairs, {
    seed: config.splitSeed,
    heldOutFraction: config.heldOutFraction,
    stratify: config.stratify,
  });
  const heldOut = pairs.filter((p) => isDecisive(p) && split.sideOf(p) === 'heldout').slice(0, limit);
  const tokenizer = tokenizerFor(record.spec, record.tokenizer);
  await ensureBackend();
  const model = RewardModel.fromWeights(record.spec, record.weights);
  try {
    // Chosen responses first, then rejected: one scoring pass over both, in the playground's batches.
    const maxLength = maxLengthOf(record.spec, card.trainConfig);
    const items = (['chosen', 'rejected'] as const).flatMap((side) =>
      heldOut.map((p) => ({ prompt: textOf(p.prompt), response: textOf(chosenRejected(p)[side]) })),
    );
    const rewards = await scoreTexts(model, tokenizer, items, { maxLength });
    const chosen = [...rewards.subarray(0, heldOut.length)];
    const rejected = [...rewards.subarray(heldOut.length)];
    const right = chosen.filter((c, i) => c > rejected[i]!).length;
    return {
      pairIds: heldOut.map((p) => p.id),
      chosen,
      rejected,
      accuracy: heldOut.length ? right / heldOut.length : NaN,
    };
  } finally {
    model.dispose();
  }
}

/**
 * A backend to score on: the one a run in this worker already chose, else WebAssembly (fast on
 * every machine, and the same numbers every time, which an export-import check relies on).
 */
async function ensureBackend(): Promise<void> {
  if (tf.engine().backendName) return;
  if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu');
  await tf.ready();
}
