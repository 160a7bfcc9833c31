// The training loop: the pairwise loss (Bradley-Terry or Davidson with ties, hard or soft targets,
// margins, reward centering: loss.ts), AdamW with a warmup-then-decay schedule (optimizer.ts,
// schedule.ts), gradient clipping by global norm, gradient accumulation over micro-batches, seeded
// batches and held-out evaluation every few steps. It runs wherever tfjs runs (the page's worker,
// Node) on whatever backend is already set, and reports through `onEvent`.
//
// A step is one optimizer update. With accumulation k it reads k micro-batches of `batchSize` pairs
// (fewer at an epoch's end), adds their gradients, each micro-batch's loss summed over its pairs and
// divided by the step's pair count, so the step's loss and gradients are those of the mean over the
// whole effective batch, as one big batch would give them.
//
// Read-backs from the GPU stall the pipeline, so per-step loss, accuracy and gradient norm stay on
// the device and are read in one go every `READ_EVERY` steps (and at evaluations, checkpoints and
// the end). That read is also where a NaN or an infinity in the loss or the gradients stops the run
// (TrainingDiverged), before any checkpoint could take it in. Checkpoints (the whole state: see
// checkpoint.ts) are read back only every `checkpointEvery` steps, at a pause and at the end.
import { nextTask } from '../next-task.ts';
import * as tf from '@tensorflow/tfjs';
import type { RewardModel } from '../model/reward-model.ts';
import { disposeBatch, makeBatch, type PairBatch, type TokenizedPair } from './batch.ts';
import { DEFAULT_TRAIN_CONFIG, frozenF16Refusal, type TrainConfig } from './config.ts';
import type { TrainingData } from './data.ts';
import type { EvalPoint, StepPoint, TrainEvent } from './events.ts';
import { decisiveCorrect, lengthCorrelationPenalty, pairLosses, weightedLossShare, type LossOptions } from './loss.ts';
import { bradleyTerryShare, fusedLossApplies, stepMetrics, stepMetricsPlain } from './fused-loss.ts';
import { checkKernels } from '../model/ops/webgpu/program.ts';
import { storeFrozenInF16 } from '../model/ops/frozen-f16.ts';
import { AdamW } from './optimizer.ts';
import { freezeChoiceOf, type FreezeChoice, trainedNames } from './freezing.ts';
import { learningRateAt } from './schedule.ts';
import { permutation } from './shuffle.ts';
import { pairsPerStep, runLength } from './run-progress.ts';
import {
  captureState,
  DEFAULT_CHECKPOINT_EVERY,
  firstNonFinite,
  restoreState,
  type DataPosition,
  type TrainState,
} from './checkpoint.ts';
import { pairwiseMetrics } from '../eval/metrics.ts';
import { computeBaselines } from '../eval/baselines/index.ts';
import { EarlyStopping } from './early-stopping.ts';
import type { NamedWeight } from '../model/reward-model.ts';

const READ_EVERY = 5;

export interface TrainHooks {
  onEvent: (event: TrainEvent) => void;
  /** Polled between steps; true ends the run after the current step (the model stays usable). */
  shouldStop?: () => boolean;
  /**
   * Polled between steps. Returning a function means "pause": the trainer reports the steps not yet
   * reported, writes a checkpoint (when it writes any), then calls the function and waits for the
   * promise it returns before going on. (So whoever shows "paused" shows it with everything saved.)
   */
  pauseGate?: () => (() => Promise<void>) | undefined;
  /**
   * Given the whole training state every `checkpointEvery` steps, at a pause and at the end (finished
   * or stopped), and awaited. Never given a state with a NaN or an infinity in it.
   */
  onCheckpoint?: (state: TrainState) => Promise<void>;
}

export interface TrainResult {
  steps: number;
  stopped: boolean;
  lastEval?: EvalPoint;
  /** Ended by early stopping: held-out loss had not improved for `patience` evaluations. */
  earlyStopped: boolean;
  /** The weights of the evaluation with the lowest held-out loss (absent without held-out pairs). */
  best?: { step: number; loss: number; weights: NamedWeight[] };
}

/** What the loop reads of the configuration; the loss and optimizer fields take their defaults when left out. */
type Hyper = Pick<
  TrainConfig,
  'batchSize' | 'learningRate' | 'epochs' | 'maxSteps' | 'seed' | 'evalEvery' | 'maxLength'
> &
  Partial<Pick<TrainConfig, OptimizerField | LossField>> & { checkpointEvery?: number };

type OptimizerField = 'gradAccumulation' | 'lrSchedule' | 'warmupRatio' | 'warmupSteps' | 'weightDecay' | 'maxGradNorm';
type LossField =
  | 'ties'
  | 'tieNu'
  | 'centerRewards'
  | 'odinWeight'
  | 'embeddingTraining'
  | 'frozenLayers'
  | 'frozenWeights'
  | 'patience';

/** The fields the caller left out take their defaults from TRAIN_FIELDS. */
function withDefaults(config: Hyper): Hyper & Pick<TrainConfig, OptimizerField | LossField> {
  const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_TRAIN_CONFIG, ...given } as Hyper & Pick<TrainConfig, OptimizerField | LossField>;
}

/** The loss or the gradients went to NaN or infinity: the run cannot go on. */
export class TrainingDiverged extends Error {
  constructor(
    readonly step: number,
    readonly quantity: 'loss' | 'gradients' | 'weights',
    readonly value: number,
    learningRate: number,
    lastCheckpointStep: number | undefined,
  ) {
    const what =
      quantity === 'loss' ? 'the loss' : quantity === 'gradients' ? "the gradients' norm" : 'a weight of the model';
    const kept =
      lastCheckpointStep === undefined
        ? 'no checkpoint had been written yet'
        : `the last good checkpoint, from step ${lastCheckpointStep}, is kept`;
    super(
      `${what} became ${value} at step ${step}: lower the learning rate (it was ${learningRate}) and train again. ` +
        `Training stopped; ${kept}.`,
    );
    this.name = 'TrainingDiverged';
  }
}

/** The seed of epoch `epoch`'s permutation of the training pairs: the data order is a pure function of it. */
export function epochSeed(seed: number, epoch: number): number {
  return seed * 1000 + epoch;
}

interface PendingStep {
  step: number;
  epoch: number;
  /** The scheduled learning rate this step's update used. */
  learningRate: number;
  /** [loss, accuracy, gradNorm, rewardMean, rewardStd], on the device until the next read-back. */
  metrics: tf.Tensor1D;
}

const pendingTensors = (p: PendingStep) => [p.metrics];

/**
 * Trains `model` from its current weights, or, given `from` (a checkpoint's state), puts that state
 * into the model and a fresh optimizer and goes on from its step: the same batches and the same Adam
 * updates as a run that never stopped.
 */
export async function trainRewardModel(
  model: RewardModel,
  data: TrainingData,
  hyper: Hyper,
  padId: number,
  hooks: TrainHooks,
  from?: TrainState,
): Promise<TrainResult> {
  const loop = await TrainingLoop.setUp(model, data, withDefaults(hyper), padId, hooks, from);
  return loop.run();
}

type LoopConfig = ReturnType<typeof withDefaults>;

/** How a run ended before its last step. */
type EarlyEnd = 'stopped' | 'early-stopped';

/**
 * One run of the loop, its phases as methods: set up (setUp), one optimizer step (takeStep), the
 * read-back of pending steps (flush), held-out evaluation and early stopping (evaluateHeldOut),
 * checkpoints (checkpoint), the page's pause and stop (yieldToPage) and the end (finish). The state
 * they share (the step, the data position, the steps not yet read back) lives in its fields.
 */
class TrainingLoop {
  private readonly pending: PendingStep[] = [];
  private readonly loss: LossOptions;
  private readonly pairsPerStep: number;
  private readonly checkpointEvery: number;
  private readonly stopping: EarlyStopping;
  private step: number;
  private readonly firstStep: number;
  private position: DataPosition;
  /** The current epoch's permutation of the training pairs. */
  private order: number[] | undefined;
  private lastCheckpoint: number | undefined;
  private lastEval: EvalPoint | undefined;
  /** When training (not counting time paused) began, for the pairs-per-second rate. */
  private started: number;

  private constructor(
    private readonly model: RewardModel,
    private readonly data: TrainingData,
    private readonly config: LoopConfig,
    private readonly padId: number,
    private readonly hooks: TrainHooks,
    private readonly length: { stepsPerEpoch: number; totalSteps: number },
    private readonly vars: tf.Variable[],
    private readonly optimizer: AdamW,
    from: TrainState | undefined,
  ) {
    this.loss = lossOptionsOf(config);
    this.pairsPerStep = pairsPerStep(config);
    this.checkpointEvery = config.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    this.step = from?.step ?? 0;
    this.firstStep = this.step;
    this.position = { ...(from?.position ?? { epoch: 0, index: 0 }) };
    this.lastCheckpoint = from?.step;
    this.stopping = new EarlyStopping(config.patience);
    this.started = performance.now();
  }

  /** Checks the data, announces the run (its start event) and makes the optimizer. */
  static async setUp(
    model: RewardModel,
    data: TrainingData,
    config: LoopConfig,
    padId: number,
    hooks: TrainHooks,
    from: TrainState | undefined,
  ): Promise<TrainingLoop> {
    if (data.train.length === 0) {
      throw new Error('no training pairs: the dataset has no pair with a winner outside the held-out split');
    }
    const refusal = frozenF16Refusal(config, tf.getBackend());
    if (refusal) throw new Error(refusal);
    const length = runLength(data.train.length, config);
    hooks.onEvent(startEvent(data, length, from !== undefined));
    const vars = trainedVariables(model, config);
    const optimizer = await optimizerFor(vars, config);
    const loop = new TrainingLoop(model, data, config, padId, hooks, length, vars, optimizer, from);
    return loop.resume(from).storeFrozen();
  }

  /** Puts a checkpoint's state into the model, the optimizer and early stopping. */
  private resume(from: TrainState | undefined): this {
    if (!from) return this;
    try {
      restoreState(this.model, this.optimizer, from);
      this.stopping.restore(from.best, this.model, from.step);
    } catch (error) {
      this.dispose();
      throw error;
    }
    return this;
  }

  /**
   * With Frozen weights f16, the frozen matrices go to the GPU as f16 (ops/frozen-f16.ts): after the
   * checkpoint's weights are in, before the first step reads any weight on the GPU.
   */
  private async storeFrozen(): Promise<this> {
    if (this.config.frozenWeights !== 'f16') return this;
    const trained = new Set<tf.Variable>(this.vars);
    const frozen = [...this.model.params].filter(([, v]) => !trained.has(v)).map(([name]) => name);
    try {
      await storeFrozenInF16(this.model.params, frozen);
    } catch (error) {
      this.dispose();
      throw error;
    }
    return this;
  }

  /** Steps until the last step, a stop or early stopping, then finishes; frees the loop's tensors whatever happens. */
  async run(): Promise<TrainResult> {
    try {
      let end: EarlyEnd | undefined;
      while (this.step < this.length.totalSteps && !end) end = await this.runStep();
      return await this.finish(end === 'stopped', end === 'early-stopped');
    } finally {
      this.dispose();
    }
  }

  /** One optimizer step and what falls due after it: a read-back, an evaluation, a checkpoint, the page's messages. */
  private async runStep(): Promise<EarlyEnd | undefined> {
    this.takeStep();
    const { step } = this;
    const evalNow = step % this.config.evalEvery === 0 || step === this.length.totalSteps;
    const checkpointNow = step % this.checkpointEvery === 0;
    if (this.pending.length >= READ_EVERY || evalNow || checkpointNow) await this.flush();
    if (evalNow && this.data.heldOut.length > 0) {
      const point = await this.evaluateHeldOut();
      // The checkpoint in finish() keeps this step.
      const stop = this.stopping.observe(this.model, step, choosingLoss(point));
      if (stop && step < this.length.totalSteps) return 'early-stopped';
    }
    if (checkpointNow && step < this.length.totalSteps) await this.checkpoint();
    return this.yieldToPage();
  }

  /** Reads the step's micro-batches at the data position, runs the update and queues its metrics (on the device). */
  private takeStep(): void {
    const train = this.data.train;
    this.position = normalized(this.position, train.length);
    const { epoch, index } = this.position;
    if (index === 0 || !this.order) this.order = permutation(train.length, epochSeed(this.config.seed, epoch));
    const microBatches = stepMicroBatches(train, this.order, index, this.pairsPerStep, this.config.batchSize);
    this.position = { epoch, index: index + this.pairsPerStep };
    const learningRate = learningRateAt(this.config, this.step, this.length.totalSteps);
    const { model, optimizer, vars, config, loss, padId } = this;
    this.pending.push({
      step: this.step + 1,
      epoch: (this.step + 1) / this.length.stepsPerEpoch,
      learningRate,
      ...trainStep(model, optimizer, vars, microBatches, learningRate, config, loss, padId),
    });
    this.step++;
  }

  /**
   * Lets the page's pause or stop in: on the CPU backends no read-back ever leaves the microtask
   * queue, and without this a message sent to the worker would wait for the end of the run.
   */
  private async yieldToPage(): Promise<EarlyEnd | undefined> {
    await nextTask();
    const pause = this.hooks.pauseGate?.();
    if (pause) {
      await this.flush();
      await this.checkpoint();
      const pausedAt = performance.now();
      await pause();
      this.started += performance.now() - pausedAt; // time paused is not training time
    }
    return this.hooks.shouldStop?.() ? 'stopped' : undefined;
  }

  /** Reads the pending steps back in one go, reports them and stops the run at a NaN or an infinity. */
  private async flush(): Promise<void> {
    const { pending } = this;
    if (pending.length === 0) return;
    const stacked = tf.concat(pending.flatMap(pendingTensors));
    const values = await stacked.data();
    stacked.dispose();
    const { points, diverged } = stepPoints(pending, values, this.config.learningRate, this.lastCheckpoint);
    tf.dispose(pending.flatMap(pendingTensors));
    pending.length = 0;
    if (points.length > 0) {
      const done = points.at(-1)!.step;
      const elapsedMs = performance.now() - this.started;
      const pairsPerSecond = ((done - this.firstStep) * this.pairsPerStep) / (elapsedMs / 1000);
      const { totalSteps } = this.length;
      this.hooks.onEvent({ type: 'steps', points, step: done, totalSteps, pairsPerSecond, elapsedMs });
    }
    if (diverged) throw diverged;
  }

  /** Scores the held-out pairs (and the validation slice, where there is one) at the current step and reports it. */
  private async evaluateHeldOut(): Promise<EvalPoint> {
    const { model, data, config, padId, step } = this;
    this.lastEval = await evaluateRun(model, data, config, padId, step);
    this.hooks.onEvent({ type: 'eval', point: this.lastEval });
    return this.lastEval;
  }

  /** Flushes (so a NaN is caught first), reads the state back and hands it over. */
  private async checkpoint(): Promise<void> {
    const { hooks, step } = this;
    if (!hooks.onCheckpoint || this.lastCheckpoint === step) return;
    await this.flush();
    const position = normalized(this.position, this.data.train.length);
    const state = await captureState(this.model, this.optimizer, step, position);
    const best = await this.stopping.capture(step);
    if (best) state.best = best;
    const bad = firstNonFinite(state.weights) ?? firstNonFinite(state.optimizer.moments);
    if (bad) throw new TrainingDiverged(step, 'weights', bad.value, this.config.learningRate, this.lastCheckpoint);
    await hooks.onCheckpoint(state);
    this.lastCheckpoint = step;
  }

  /** Reads the last steps back, evaluates a stopped run where it stopped, writes the last checkpoint and reports the end. */
  private async finish(stopped: boolean, earlyStopped: boolean): Promise<TrainResult> {
    const { step } = this;
    await this.flush();
    if (stopped && this.data.heldOut.length > 0 && this.lastEval?.step !== step) {
      this.stopping.observe(this.model, step, choosingLoss(await this.evaluateHeldOut()));
    }
    await this.checkpoint();
    const best = await this.stopping.best();
    this.hooks.onEvent({
      type: 'end',
      step,
      stopped,
      earlyStopped,
      ...(best && { bestStep: best.step, bestLoss: best.loss }),
    });
    return { steps: step, stopped, lastEval: this.lastEval, earlyStopped, best };
  }

  private dispose(): void {
    tf.dispose(this.pending.flatMap(pendingTensors));
    this.optimizer.dispose();
    this.stopping.dispose();
  }
}

/** The run's first event: its length, its data's counts and held-out pairs, and a fresh run's baselines. */
function startEvent(
  data: TrainingData,
  length: { stepsPerEpoch: number; totalSteps: number },
  resumed: boolean,
): TrainEvent {
  return {
    type: 'start',
    totalSteps: length.totalSteps,
    stepsPerEpoch: length.stepsPerEpoch,
    counts: data.counts,
    heldOut: data.heldOut.map((p) => p.meta),
    heldOutTies: data.heldOutTies.map((t) => t.meta),
    // Once, at the run's start, on the very held-out pairs evaluated below; a resumed run has them stored.
    baselines: !resumed && data.text ? computeBaselines(data.text.train, data.text.heldOut) : undefined,
  };
}

/** The pairs of the step that starts at `index` of the epoch's `order`, cut into micro-batches. */
function stepMicroBatches(
  train: readonly TokenizedPair[],
  order: readonly number[],
  index: number,
  pairsPerStep: number,
  batchSize: number,
): TokenizedPair[][] {
  const pairs = order.slice(index, index + pairsPerStep).map((i) => train[i]!);
  const microBatches: TokenizedPair[][] = [];
  for (let i = 0; i < pairs.length; i += batchSize) microBatches.push(pairs.slice(i, i + batchSize));
  return microBatches;
}

/** The read-back values of the pending steps as points, up to the first step whose loss or gradients are not finite. */
function stepPoints(
  pending: PendingStep[],
  values: ArrayLike<number>,
  learningRate: number,
  lastCheckpoint: number | undefined,
): { points: StepPoint[]; diverged?: TrainingDiverged } {
  const points: StepPoint[] = [];
  for (const [i, p] of pending.entries()) {
    const at = (k: number) => values[5 * i + k]!;
    const loss = at(0);
    const gradNorm = at(2);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      const [quantity, value] = Number.isFinite(loss) ? (['gradients', gradNorm] as const) : (['loss', loss] as const);
      return { points, diverged: new TrainingDiverged(p.step, quantity, value, learningRate, lastCheckpoint) };
    }
    const point: StepPoint = { step: p.step, epoch: p.epoch, loss, accuracy: at(1), gradNorm };
    points.push({ ...point, learningRate: p.learningRate, rewardMean: at(3), rewardStd: at(4) });
  }
  return { points };
}

/**
 * The run's AdamW, made after RM Lab's WebGPU kernels are checked against their plain compositions
 * (once per device: ops/webgpu/program.ts), so every step of the run takes the same path.
 */
async function optimizerFor(vars: tf.Variable[], config: Pick<TrainConfig, 'weightDecay' | 'maxGradNorm'>) {
  await checkKernels();
  return AdamW.create(vars, config.weightDecay, config.maxGradNorm);
}

/** An epoch's end is the next epoch's start. */
function normalized(position: DataPosition, trainPairs: number): DataPosition {
  return position.index >= trainPairs ? { epoch: position.epoch + 1, index: 0 } : position;
}

/**
 * One optimizer step over its micro-batches. Returns the step's metrics as one device tensor (not
 * read back): [loss, accuracy, the gradients' global norm (before clipping, as the HF Trainer logs
 * it), mean reward, reward std]. On WebGPU with RM Lab's kernels, a Bradley-Terry step of one
 * micro-batch takes the fused loss and metrics (fused-loss.ts).
 */
export function trainStep(
  model: RewardModel,
  optimizer: AdamW,
  vars: tf.Variable[],
  microBatches: TokenizedPair[][],
  learningRate: number,
  config: Pick<TrainConfig, 'maxLength'>,
  loss: LossOptions,
  padId: number,
): Omit<PendingStep, 'step' | 'epoch' | 'learningRate'> {
  // The step's loss is the weighted mean over its pairs, sum(w_i l_i) / sum(w_i) (see loss.ts); with
  // every weight 1 (the default) it is the plain mean.
  const weightTotal = microBatches.reduce((n, b) => n + b.reduce((m, p) => m + (p.weight ?? 1), 0), 0);
  const pairCount = microBatches.reduce((n, b) => n + b.length, 0);
  const odin = model.spec.length === 'odin' && (loss.odinWeight ?? 0) > 0;
  const fused = fusedLossApplies(loss, microBatches.length, odin);
  let grads: tf.NamedTensorMap | undefined;
  let lossSum: tf.Scalar | undefined;
  let correct: tf.Tensor1D | undefined; // [correct, decisive pairs]
  const rewardParts: tf.Tensor1D[] = [];
  const batches: PairBatch[] = [];
  const add = <T extends tf.Tensor>(sum: T | undefined, x: T): T => {
    if (!sum) return x;
    const out = tf.add(sum, x) as T;
    tf.dispose([sum, x]);
    return out;
  };
  try {
    for (const pairs of microBatches) {
      const batch = makeBatch(pairs, config.maxLength, padId);
      batches.push(batch);
      let microCorrect: tf.Tensor1D | undefined;
      const { value, grads: microGrads } = tf.variableGrads(() => {
        const { total, rewards } = microBatchLoss(model, batch, loss, pairCount, weightTotal, fused);
        rewardParts.push(tf.keep(rewards));
        if (fused) return total; // the metrics kernel counts the correct pairs
        const [rc, rr] = tf.split(rewards, 2) as [tf.Tensor1D, tf.Tensor1D]; // [b], [b]
        microCorrect = tf.keep(decisiveCorrect(rc, rr, batch.decisive));
        return total;
      }, vars);
      lossSum = add(lossSum, value);
      if (microCorrect) correct = add(correct, microCorrect);
      if (!grads) grads = microGrads;
      else for (const [name, g] of Object.entries(microGrads)) grads[name] = add(grads[name], g);
    }
    // Clipped by global norm (the norm returned is the one before clipping) and applied, in one go.
    const norm = optimizer.step(grads!, learningRate);
    const metrics = fused
      ? stepMetrics(lossSum!, norm, rewardParts[0]!, batches[0]!.pairs)
      : tf.tidy(() => stepMetricsPlain(lossSum!, norm, tf.concat(rewardParts), correct!));
    tf.dispose([lossSum!, norm]);
    return { metrics };
  } finally {
    tf.dispose([...rewardParts, ...(correct ? [correct] : []), ...Object.values(grads ?? {})]);
    batches.forEach(disposeBatch);
  }
}

function lossOptionsOf({ ties, tieNu, centerRewards, odinWeight }: Pick<TrainConfig, LossField>): LossOptions {
  return { ties, tieNu, centerRewards, odinWeight };
}

/**
 * The variables the optimizer updates (freezing.ts): frozen ones keep their starting weights and get
 * no gradient and no Adam state. With LoRA in the model's spec, the adapters and the head only.
 */
export function trainedVariables(model: RewardModel, choice: Omit<FreezeChoice, 'lora'>): tf.Variable[] {
  const names = trainedNames([...model.params.keys()], freezeChoiceOf(model.spec, choice), model.spec);
  return names.map((name) => model.params.get(name)!);
}

/**
 * A micro-batch's share of its step's loss, and the rewards [2b] (chosen rows, then rejected rows).
 * The pair losses are weighted by their sample weights, summed and divided by the whole step's
 * weight (`weightTotal`; with every weight 1, the step's pair count `pairCount`), so micro-batches add
 * up to the weighted mean over the effective batch (loss.ts weightedLossShare; `fused`: the same on the
 * WebGPU kernel, fused-loss.ts, for a Bradley-Terry loss without ODIN's penalty). A model whose
 * length term is 'odin' adds odinWeight x ODIN's penalty (lengthCorrelationPenalty) on the quality
 * part of this micro-batch's rewards, weighted by its share of the step's pairs.
 */
export function microBatchLoss(
  model: RewardModel,
  batch: PairBatch,
  loss: LossOptions,
  pairCount: number,
  weightTotal = pairCount,
  fused = false,
): { total: tf.Scalar; rewards: tf.Tensor1D } {
  const parts = model.rewardParts(batch.ids, batch.mask, batch.responseLength); // [2b] each
  const rewards = parts.length ? (tf.add(parts.quality, parts.length) as tf.Tensor1D) : parts.quality;
  if (fused) return { total: bradleyTerryShare(rewards, batch.pairs, loss.centerRewards, weightTotal), rewards };
  const [rc, rr] = tf.split(rewards, 2) as [tf.Tensor1D, tf.Tensor1D]; // [b], [b]
  let total = weightedLossShare(pairLosses(rc, rr, batch.margin, batch.outcome, loss), batch.weight, weightTotal);
  if (model.spec.length === 'odin' && (loss.odinWeight ?? 0) > 0 && batch.responseLength) {
    const penalty = lengthCorrelationPenalty(parts.quality, tf.log1p(batch.responseLength));
    total = tf.add(total, tf.mul(penalty, (loss.odinWeight! * batch.size) / pairCount));
  }
  return { total, rewards };
}

/**
 * The loss that chooses the best checkpoint and stops early: the validation slice's where the run
 * has one (then the held-out pairs choose nothing), else the held-out loss.
 */
function choosingLoss(point: EvalPoint): number {
  return point.validation?.loss ?? point.loss;
}

/** An evaluation of the run: the held-out pairs (and ties) and, where there is one, the validation slice. */
async function evaluateRun(
  model: RewardModel,
  data: TrainingData,
  config: Pick<TrainConfig, 'batchSize' | 'maxLength'>,
  padId: number,
  step: number,
): Promise<EvalPoint> {
  const point = await evaluate(model, data, config.batchSize, config.maxLength, padId, step);
  const slice = data.validation ?? [];
  if (slice.length === 0) return point;
  const [scored] = await scoreSplit(slice, slice.length, model, config.batchSize, config.maxLength, padId);
  const { loss, accuracy } = pairwiseMetrics(
    scored.first,
    scored.second,
    slice.map((p) => p.margin),
  );
  return { ...point, validation: { loss, accuracy } };
}

/** Scores the held-out pairs (and ties) and reads the rewards back once. */
export async function evaluate(
  model: RewardModel,
  data: Pick<TrainingData, 'heldOut' | 'heldOutTies'>,
  batchSize: number,
  maxLength: number,
  padId: number,
  step: number,
): Promise<EvalPoint> {
  // Ties go through the same batches: their A response in the "chosen" rows, B in the "rejected" ones.
  const ties: TokenizedPair[] = data.heldOutTies.map((t) => ({
    chosen: t.a,
    rejected: t.b,
    chosenLength: t.aLength,
    rejectedLength: t.bLength,
    margin: 0,
  }));
  const [pairs, tied] = await scoreSplit(
    [...data.heldOut, ...ties],
    data.heldOut.length,
    model,
    batchSize,
    maxLength,
    padId,
  );
  const margins = data.heldOut.map((p) => p.margin);
  return {
    step,
    ...pairwiseMetrics(pairs.first, pairs.second, margins),
    chosenRewards: pairs.first,
    rejectedRewards: pairs.second,
    tieRewards: { a: tied.first, b: tied.second },
  };
}

/** Rewards of both sequences of every pair, split into the first `cut` pairs and the rest. */
async function scoreSplit(
  all: TokenizedPair[],
  cut: number,
  model: RewardModel,
  batchSize: number,
  maxLength: number,
  padId: number,
): Promise<[{ first: number[]; second: number[] }, { first: number[]; second: number[] }]> {
  const parts: tf.Tensor1D[] = [];
  for (let start = 0; start < all.length; start += batchSize) {
    const batch = makeBatch(all.slice(start, start + batchSize), maxLength, padId);
    parts.push(tf.tidy(() => model.rewards(batch.ids, batch.mask, batch.responseLength)));
    disposeBatch(batch);
  }
  const values = await Promise.all(parts.map((p) => p.data()));
  tf.dispose(parts);
  const first: number[] = [];
  const second: number[] = [];
  for (const r of values) {
    const half = r.length / 2; // each batch is [B chosen-side rows, B rejected-side rows]
    first.push(...r.slice(0, half));
    second.push(...r.slice(half));
  }
  return [
    { first: first.slice(0, cut), second: second.slice(0, cut) },
    { first: first.slice(cut), second: second.slice(cut) },
  ];
}
