// One training run as the worker drives it: read the dataset, tokenize, pick the backend, train,
// and keep the run's record (curves, metrics) and final weights in the store as it goes.
import * as tf from '@tensorflow/tfjs';
import { builtinTokenizer } from '../core/model/tokenizer.ts';
import { RewardModel, type ModelSpec } from '../core/model/reward-model.ts';
import { selectBackend, type BackendInfo } from '../core/train/backend.ts';
import type { TrainConfig } from '../core/train/config.ts';
import { prepareTrainingData } from '../core/train/data.ts';
import type { TrainEvent } from '../core/train/events.ts';
import { trainRewardModel } from '../core/train/trainer.ts';
import { getPairs } from '../store/datasets.ts';
import { newId, type RMLabDatabase, type RunRecord } from '../store/db.ts';
import { putRun, saveModel } from '../store/runs.ts';

/** What the page hears about a run: the trainer's events plus the run's identity and backend. */
export type RunUpdate =
  | { type: 'created'; run: RunRecord }
  | { type: 'backend'; backend: BackendInfo }
  | { type: 'train'; event: TrainEvent }
  | { type: 'saved'; run: RunRecord };

export function modelSpecFor(config: TrainConfig, vocabSize: number): ModelSpec {
  return {
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    transformer: {
      vocabSize,
      maxLength: config.maxLength,
      dModel: config.dModel,
      nLayers: config.nLayers,
      nHeads: config.nHeads,
      dFF: 4 * config.dModel,
      pooling: config.pooling,
    },
  };
}

export async function runTraining(
  db: RMLabDatabase,
  dataset: { id: string; name: string },
  config: TrainConfig,
  onUpdate: (u: RunUpdate) => void,
  shouldStop: () => boolean,
): Promise<RunRecord> {
  const run: RunRecord = {
    id: newId(),
    datasetId: dataset.id,
    datasetName: dataset.name,
    config,
    createdAt: Date.now(),
    status: 'running',
    steps: [],
    evals: [],
  };
  await putRun(db, run);
  onUpdate({ type: 'created', run });
  let model: RewardModel | undefined;
  try {
    run.backend = await selectBackend(config.backend);
    await putRun(db, run);
    onUpdate({ type: 'backend', backend: run.backend });

    const tokenizer = builtinTokenizer();
    const data = prepareTrainingData(await getPairs(db, dataset.id), tokenizer, config);
    const spec = modelSpecFor(config, tokenizer.vocabSize);
    model = RewardModel.create(spec, config.seed);

    let saving = Promise.resolve();
    const persist = () => {
      saving = saving.then(() => putRun(db, run));
    };
    const result = await trainRewardModel(model, data, config, tokenizer.special.pad, {
      shouldStop,
      onEvent: (event) => {
        if (event.type === 'start') {
          run.totalSteps = event.totalSteps;
          run.counts = event.counts;
          run.heldOut = event.heldOut;
          run.heldOutTies = event.heldOutTies;
        } else if (event.type === 'steps') {
          run.steps.push(...event.points);
          run.pairsPerSecond = event.pairsPerSecond;
        } else if (event.type === 'eval') {
          run.evals.push(event.point);
        }
        persist();
        onUpdate({ type: 'train', event });
      },
    });
    await saving;
    await saveModel(db, { runId: run.id, spec, weights: await model.getWeights(), savedAt: Date.now() });
    run.status = result.stopped ? 'stopped' : 'done';
  } catch (error) {
    run.status = 'failed';
    run.error = error instanceof Error ? error.message : String(error);
  } finally {
    model?.dispose();
    run.finishedAt = Date.now();
    await putRun(db, run);
    onUpdate({ type: 'saved', run });
    // Any tensor still alive here is a leak: every step must free what it made.
    if (tf.memory().numTensors > 0) console.warn(`rm-lab: ${tf.memory().numTensors} tensors alive after the run`);
  }
  return run;
}
