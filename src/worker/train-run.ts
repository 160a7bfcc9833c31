// One training run as the worker drives it: read the dataset, tokenize, pick the backend, train,
// and keep the run's record (curves, metrics), its checkpoints and final weights in the store as it
// goes. A run can be paused (the loop waits between steps), stopped, and resumed from its latest
// checkpoint after a reload, a closed tab or a crash (resumeRun), to the same result it would have
// reached without the break.
import * as tf from '@tensorflow/tfjs';
import { tokenizerFor, type PairTokenizer } from '../core/model/tokenizer.ts';
import type { ModelSpec, RewardModel } from '../core/model/reward-model.ts';
import type { EncoderSummary, LoadProgress } from '../core/model/pretrained.ts';
import { openStartingModel, type StartingModel } from '../core/model/starting-model.ts';
import { openEncoder } from './encoder-load.ts';
import { LoadCancelled } from '../core/model/hub.ts';
import type { TransformerConfig } from '../core/model/encoders/transformer.ts';
import { selectBackend, type BackendInfo, type ProbeModel } from '../core/train/backend.ts';
import { checkpointEveryOf, dataFingerprint, type TrainState } from '../core/train/checkpoint.ts';
import { TRAIN_FIELDS, type BackendChoice, type TrainConfig } from '../core/train/config.ts';
import { trainingSplitTexts, type TrainingData } from '../core/train/data.ts';
import type { TrainEvent } from '../core/train/events.ts';
import { applyTrainEvent } from '../core/train/run-progress.ts';
import { trainRewardModel, TrainingDiverged } from '../core/train/trainer.ts';
import { newId, type CheckpointRecord, type RMLabDatabase, type RunRecord } from '../store/db.ts';
import {
  appendRunPoints,
  getCheckpoint,
  getRun,
  isResumable,
  keepPointsUpTo,
  putCheckpoint,
  putRun,
} from '../store/runs.ts';
import { saveRunModels } from '../store/models.ts';
import { getPairs } from '../store/datasets.ts';
import { loadTrainingData } from './training-data.ts';

/**
 * What the page hears about a run: the trainer's events plus the run's identity and backend.
 * 'saved' carries the whole record whenever it changes outside the trainer's events (paused,
 * resumed, finished).
 */
export type RunUpdate =
  | { type: 'created'; run: RunRecord }
  | { type: 'backend'; backend: BackendInfo }
  /** A pretrained encoder's files being read (downloaded, or from the browser's cache). */
  | { type: 'encoder'; progress: LoadProgress }
  /** The pretrained encoder is loaded and accepted: what it is. */
  | { type: 'encoderLoaded'; summary: EncoderSummary; cacheProblem?: string }
  | { type: 'train'; event: TrainEvent }
  | { type: 'saved'; run: RunRecord };

/** Pause between steps: while paused, `wait()` gives the promise the training loop awaits. */
export class PauseGate {
  #waiting: { promise: Promise<void>; release: () => void } | undefined;

  get paused(): boolean {
    return this.#waiting !== undefined;
  }

  pause(): void {
    if (this.#waiting) return;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.#waiting = { promise, release };
  }

  resume(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.release();
  }

  wait(): Promise<void> | undefined {
    return this.#waiting?.promise;
  }
}

export async function runTraining(
  db: RMLabDatabase,
  dataset: { id: string; name: string },
  config: TrainConfig,
  onUpdate: (u: RunUpdate) => void,
  shouldStop: () => boolean,
  pause?: PauseGate,
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
  return drive(db, run, undefined, onUpdate, shouldStop, pause);
}

/**
 * Goes on with a run from its latest checkpoint: the same weights, Adam state, data order and
 * curves, on the backend that wrote the checkpoint where the settings say 'auto'. Refuses, leaving
 * the run as it was, when the run is training or finished, has no checkpoint, or its dataset is gone
 * or changed.
 */
export async function resumeRun(
  db: RMLabDatabase,
  runId: string,
  onUpdate: (u: RunUpdate) => void,
  shouldStop: () => boolean,
  pause?: PauseGate,
  /** Another backend than the checkpoint's, e.g. after the GPU was lost. */
  backend?: BackendChoice,
): Promise<RunRecord> {
  const run = await getRun(db, runId);
  if (!run) throw new Error('this run no longer exists');
  const checkpoint = await getCheckpoint(db, runId);
  if (checkpoint) run.checkpoint = { step: checkpoint.step, savedAt: checkpoint.savedAt }; // the stored one is the truth
  if (!checkpoint || !isResumable(run)) {
    throw new Error(
      run.status === 'running'
        ? 'this run is still training'
        : run.status === 'done'
          ? 'this run has finished: there is nothing to resume'
          : run.divergedAt !== undefined
            ? `this run diverged at step ${run.divergedAt}: resumed, it would diverge again; train anew with a lower learning rate`
            : 'this run has no checkpoint to resume from',
    );
  }
  const data = await loadData(db, run, tokenizerFor(checkpoint.spec, checkpoint.tokenizer));
  if (dataFingerprint(data.train) !== checkpoint.data) {
    throw new Error(
      `the training pairs of "${run.datasetName}" are not those this run was trained on (the dataset was changed ` +
        'or deleted): it cannot resume',
    );
  }
  // The points after the checkpoint are reported again by the resumed run: only those up to it stay.
  const kept = await keepPointsUpTo(db, runId, checkpoint.step);
  Object.assign(run, {
    status: 'running',
    error: undefined,
    finishedAt: undefined,
    paused: undefined,
    steps: kept?.steps ?? [],
    evals: kept?.evals ?? [],
    resumedAt: [...(run.resumedAt ?? []), Date.now()],
  } satisfies Partial<RunRecord>);
  await putRun(db, run);
  onUpdate({ type: 'created', run });
  return drive(db, run, { checkpoint, data, backend }, onUpdate, shouldStop, pause);
}

/** The run's pairs, their token ids from the token-id cache (filled on the dataset's first run). */
async function loadData(db: RMLabDatabase, run: RunRecord, tokenizer: PairTokenizer): Promise<TrainingData> {
  return loadTrainingData(db, run.datasetId, tokenizer, run.config);
}

/** The Hub's address pretrained encoders are downloaded from: hub-endpoint.ts, re-exported for this file's callers. */
export { currentHubEndpoint, setHubEndpoint } from './hub-endpoint.ts';
import { currentHubEndpoint } from './hub-endpoint.ts';

/**
 * What a run trains (openStartingModel): a pretrained encoder is opened from the browser's cache or
 * downloaded, the page hearing its progress; a resumed run takes it all from its checkpoint, so it
 * goes on even where the encoder can no longer be downloaded.
 */
async function startingModel(
  db: RMLabDatabase,
  run: RunRecord,
  checkpoint: CheckpointRecord | undefined,
  onUpdate: (u: RunUpdate) => void,
  shouldStop: () => boolean,
): Promise<StartingModel> {
  const config = run.config;
  return openStartingModel(config, {
    checkpoint,
    trainingTexts: async () => trainingSplitTexts(await getPairs(db, run.datasetId), config),
    maxLengthName: 'Max tokens',
    openPretrained: async (encoder, pooling) => {
      // Stop pressed during a long download: the reader is cancelled at its next chunk.
      const controller = new AbortController();
      const poll = setInterval(() => shouldStop() && controller.abort(), 200);
      try {
        const opened = await openEncoder(encoder, pooling, {
          endpoint: currentHubEndpoint(),
          signal: controller.signal,
          onProgress: (progress) => onUpdate({ type: 'encoder', progress }),
        });
        onUpdate({ type: 'encoderLoaded', summary: opened.summary, cacheProblem: opened.cacheProblem });
        return opened;
      } finally {
        clearInterval(poll);
      }
    },
  });
}

/** Resuming on the backend that wrote the checkpoint gives the same numbers; the settings may force another. */
async function resumeBackend(
  config: TrainConfig,
  checkpoint: CheckpointRecord,
  model: ProbeModel,
): Promise<BackendInfo> {
  const same = checkpoint.backend as BackendChoice;
  if (config.backend !== 'auto' || !TRAIN_FIELDS.backend.choices.includes(same)) {
    return selectBackend(config.backend, { model });
  }
  try {
    const info = await selectBackend(same);
    return { ...info, reason: "the backend this run's checkpoint was written on, so it goes on exactly as before" };
  } catch {
    return selectBackend('auto', { model });
  }
}

/**
 * A running run's writes, in order, one after the other: its record (without curves) when it
 * changes, and each training event's new points appended as a chunk, never the whole curve again.
 */
class RunWrites {
  done: Promise<void> = Promise.resolve();
  constructor(
    private readonly db: RMLabDatabase,
    private readonly run: RunRecord,
  ) {}

  record(): void {
    this.done = this.done.then(() => putRun(this.db, this.run));
  }

  event(event: TrainEvent): void {
    const { db, run } = this;
    if (event.type === 'steps') this.done = this.done.then(() => appendRunPoints(db, run.id, { steps: event.points }));
    else if (event.type === 'eval')
      this.done = this.done.then(() => appendRunPoints(db, run.id, { evals: [event.point] }));
    else this.record();
  }
}

type Resume = { checkpoint: CheckpointRecord; data: TrainingData; backend?: BackendChoice };

/**
 * The backend the run trains on: a resumed run keeps its checkpoint's backend unless it names
 * another; 'auto' times a few steps of this very model on each backend the browser offers.
 */
async function chooseBackend(config: TrainConfig, resume: Resume | undefined, spec: ModelSpec): Promise<BackendInfo> {
  const probeModel: ProbeModel = { transformer: probeShape(spec, config.maxLength), batchSize: config.batchSize };
  if (resume?.backend) return selectBackend(resume.backend, { model: probeModel });
  if (resume) return resumeBackend(config, resume.checkpoint, probeModel);
  return selectBackend(config.backend, { model: probeModel });
}

/** Where a resumed run's trainer starts: the checkpoint's step, data position, weights and optimizer. */
function trainStateOf(checkpoint: CheckpointRecord): TrainState {
  return {
    step: checkpoint.step,
    position: checkpoint.position,
    weights: checkpoint.weights,
    optimizer: checkpoint.optimizer,
    ...(checkpoint.best && { best: checkpoint.best }),
  };
}

/** What every checkpoint of a run stores besides the trainer's state, so it can be resumed alone. */
type CheckpointContext = Pick<CheckpointRecord, 'spec' | 'tokenizer' | 'backend' | 'data'>;

/** Writes each checkpoint after the points before it, then marks it on the run's record. */
function checkpointWriter(
  db: RMLabDatabase,
  run: RunRecord,
  writes: RunWrites,
  context: CheckpointContext,
): (state: TrainState) => Promise<void> {
  return async (state) => {
    const savedAt = Date.now();
    try {
      await writes.done; // the points up to the checkpoint are stored before it (keepPointsUpTo)
      await putCheckpoint(db, { runId: run.id, ...state, ...context, savedAt });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`could not save the checkpoint of step ${state.step} (${why})`, { cause: error });
    }
    run.checkpoint = { step: state.step, savedAt };
    writes.record();
  };
}

/** The trainer's pause hook: while the gate is shut, the run is marked paused and the loop waits. */
function pauseHook(
  run: RunRecord,
  writes: RunWrites,
  onUpdate: (u: RunUpdate) => void,
  pause: PauseGate | undefined,
): () => (() => Promise<void>) | undefined {
  return () => {
    const wait = pause?.wait();
    if (!wait) return undefined;
    // Called once the steps so far are reported and the checkpoint is written.
    return async () => {
      run.paused = true;
      writes.record();
      onUpdate({ type: 'saved', run });
      await wait;
      run.paused = undefined;
      writes.record();
      onUpdate({ type: 'saved', run });
    };
  };
}

/** How a run that threw ends: interrupted by a lost GPU, stopped during the download, or failed. */
function recordFailure(run: RunRecord, error: unknown, gpuLost: { lost?: string }): void {
  if (gpuLost.lost !== undefined) {
    // Whatever failed after the GPU went failed because of it. Its weights were on the GPU: the
    // run waits at its last checkpoint, to go on on another backend.
    run.status = 'interrupted';
    run.error = gpuLostMessage(gpuLost.lost, run.checkpoint?.step);
  } else if (error instanceof LoadCancelled) {
    run.status = 'stopped'; // Stop pressed while the encoder was downloading: nothing trained yet
  } else {
    run.status = 'failed';
    run.error = error instanceof Error ? error.message : String(error);
    if (error instanceof TrainingDiverged) run.divergedAt = error.step;
  }
}

async function drive(
  db: RMLabDatabase,
  run: RunRecord,
  resume: Resume | undefined,
  onUpdate: (u: RunUpdate) => void,
  shouldStop: () => boolean,
  pause: PauseGate | undefined,
): Promise<RunRecord> {
  const config = run.config;
  let model: RewardModel | undefined;
  let gpuLost: { lost?: string } = {};
  const writes = new RunWrites(db, run);
  try {
    const start = await startingModel(db, run, resume?.checkpoint, onUpdate, shouldStop);
    const { spec, tokenizer, tokenizerFiles } = start;
    run.backend = await chooseBackend(config, resume, spec);
    gpuLost = watchDeviceLoss(run.backend.name);
    await putRun(db, run);
    onUpdate({ type: 'backend', backend: run.backend });

    const data = resume?.data ?? (await loadData(db, run, tokenizer));
    // Counted once, at the first start; a resumed run keeps its first start's figure.
    const coverage = start.vectorCoverage ? await start.vectorCoverage() : run.counts?.vectorCoverage;
    if (coverage) data.counts.vectorCoverage = coverage;
    const fingerprint = resume?.checkpoint.data ?? dataFingerprint(data.train);
    model = await start.create();
    const context = { spec, tokenizer: tokenizerFiles, backend: run.backend.name, data: fingerprint };
    const result = await trainRewardModel(
      model,
      data,
      { ...config, checkpointEvery: checkpointEveryOf(config) },
      tokenizer.special.pad,
      {
        shouldStop: () => shouldStop() || gpuLost.lost !== undefined,
        onEvent: (event) => {
          Object.assign(run, applyTrainEvent(run, event));
          writes.event(event);
          onUpdate({ type: 'train', event });
        },
        onCheckpoint: checkpointWriter(db, run, writes, context),
        pauseGate: pauseHook(run, writes, onUpdate, pause),
      },
      resume && trainStateOf(resume.checkpoint),
    );
    if (gpuLost.lost !== undefined) throw new Error('the GPU was lost');
    await writes.done;
    run.status = result.stopped ? 'stopped' : 'done';
    await saveRunModels(db, run, spec, tokenizerFiles, await model.getWeights(), result.best);
  } catch (error) {
    recordFailure(run, error, gpuLost);
  } finally {
    model?.dispose();
    run.paused = undefined;
    run.finishedAt = Date.now();
    await writes.done.catch(() => {});
    await putRun(db, run);
    onUpdate({ type: 'saved', run });
    // Any tensor still alive here is a leak: every step must free what it made.
    if (tf.memory().numTensors > 0) console.warn(`rm-lab: ${tf.memory().numTensors} tensors alive after the run`);
  }
  return run;
}

/**
 * The probe times a built-in transformer of the model's shape: for a BERT-family encoder that is the
 * same work per step to within its embedding tables, enough to rank the backends.
 */
function probeShape(spec: ModelSpec, maxLength: number): TransformerConfig {
  if (spec.encoder === 'builtin-transformer') return spec.transformer;
  if (spec.encoder === 'frozen-hub') throw new Error('a quick head is not trained as a run');
  const b = spec.bert;
  return {
    vocabSize: b.vocabSize,
    maxLength,
    dModel: b.hiddenSize,
    nLayers: b.numLayers,
    nHeads: b.numHeads,
    dFF: b.intermediateSize,
    pooling: spec.pooling,
  };
}

/** Watches the WebGPU device tfjs trains on: `lost` gets the browser's reason if the device goes. */
function watchDeviceLoss(backend: string): { lost?: string } {
  const watch: { lost?: string } = {};
  if (backend !== 'webgpu') return watch;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  void device?.lost.then(
    (info) => (watch.lost = (info.message || info.reason || 'no reason given').replace(/\.$/, '')),
  );
  return watch;
}

export function gpuLostMessage(reason: string, checkpointStep: number | undefined): string {
  const where =
    checkpointStep === undefined
      ? 'No checkpoint was written yet, so it has to start again.'
      : `It is paused at its last checkpoint (step ${checkpointStep}): resume it, on WebAssembly or on the GPU once it is back.`;
  return `The GPU stopped working during training (${reason}). ${where}`;
}
