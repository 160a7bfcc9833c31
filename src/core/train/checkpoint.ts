// A run's full training state, as a checkpoint holds it: the weights, Adam's state, where the data
// order stands and the step. Restored into a fresh model and optimizer, training goes on exactly as
// it would have without the break (same batches, same Adam updates, bit for bit on the same backend).
//
// Adam's own getWeights()/setWeights() carry its moments and `iter`, but setWeights recomputes
// beta^(t+1) with pow(), while the running optimizer got there by t float32 multiplications: the
// last bits differ, and so would every update after a resume. So the two running products are saved
// and put back as they were (they are private fields of tfjs's AdamOptimizer: checked on use).
//
// Nothing else needs saving for AdamW, the schedule, clipping or accumulation: the decoupled weight
// decay keeps no state (optimizer.ts), the learning rate is a function of the step (schedule.ts), and
// a checkpoint is only ever taken between optimizer steps, never between two micro-batches of one.
import * as tf from '@tensorflow/tfjs';
import type { NamedWeight, RewardModel } from '../model/reward-model.ts';
import type { TokenizedPair } from './batch.ts';
import type { BestState } from './early-stopping.ts';

export const DEFAULT_CHECKPOINT_EVERY = 50;

/** `checkpointEvery` from a configuration that may predate the field. */
export function checkpointEveryOf(config: object): number {
  const value = (config as { checkpointEvery?: unknown }).checkpointEvery;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : DEFAULT_CHECKPOINT_EVERY;
}

/** Where the data order stands: the next batch starts at `index` in epoch `epoch`'s permutation. */
export interface DataPosition {
  epoch: number;
  index: number;
}

export interface OptimizerState {
  kind: 'adam';
  /** Updates applied so far (Adam's `iter`). */
  iterations: number;
  /** beta1^(t+1) and beta2^(t+1) exactly as the optimizer held them. */
  accBeta1: number;
  accBeta2: number;
  /** First and second moments, named `<parameter>/m` and `<parameter>/v` by the model's parameter names. */
  moments: NamedWeight[];
}

export interface TrainState {
  /** Steps done; the next one is step + 1. */
  step: number;
  position: DataPosition;
  weights: NamedWeight[];
  optimizer: OptimizerState;
  /** Early stopping's state and the best weights so far (absent before the first evaluation, and in older checkpoints). */
  best?: BestState;
}

interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function adamInternals(optimizer: tf.Optimizer): AdamInternals {
  const o = optimizer as unknown as Partial<AdamInternals>;
  if (!(o.accBeta1 instanceof tf.Variable) || !(o.accBeta2 instanceof tf.Variable)) {
    throw new Error('this version of tfjs has no Adam accBeta1/accBeta2: checkpoints must be updated for it');
  }
  return { accBeta1: o.accBeta1, accBeta2: o.accBeta2 };
}

/** Copies the model's weights and Adam's state out of the backend (awaited reads: at checkpoints only). */
export async function captureState(
  model: RewardModel,
  optimizer: tf.Optimizer,
  step: number,
  position: DataPosition,
): Promise<TrainState> {
  const [weights, state] = await Promise.all([copyWeights(model), captureOptimizer(model, optimizer)]);
  return { step, position: { ...position }, weights, optimizer: state };
}

async function copyWeights(model: RewardModel): Promise<NamedWeight[]> {
  // Copies: on the cpu backend data() hands out the tensor's own array.
  return (await model.getWeights()).map((w) => ({ name: w.name, shape: [...w.shape], data: new Float32Array(w.data) }));
}

async function captureOptimizer(model: RewardModel, optimizer: tf.Optimizer): Promise<OptimizerState> {
  const { accBeta1, accBeta2 } = adamInternals(optimizer);
  const paramOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const [iter, ...slots] = await optimizer.getWeights(); // [iter, ...first moments, ...second moments]
  try {
    const [iterations, b1, b2, ...values] = await Promise.all([
      iter!.tensor.data(),
      accBeta1.data(),
      accBeta2.data(),
      ...slots.map((s) => s.tensor.data()),
    ]);
    const moments = slots.map((s, i): NamedWeight => {
      const cut = s.name.lastIndexOf('/');
      const param = paramOf.get(s.name.slice(0, cut));
      if (param === undefined) throw new Error(`Adam holds a moment (${s.name}) for a tensor the model does not have`);
      return { name: `${param}${s.name.slice(cut)}`, shape: [...s.tensor.shape], data: new Float32Array(values[i]!) };
    });
    return { kind: 'adam', iterations: iterations![0]!, accBeta1: b1![0]!, accBeta2: b2![0]!, moments };
  } finally {
    iter?.tensor.dispose(); // a fresh scalar; the moments are the optimizer's own variables
  }
}

/** Puts a saved state into a fresh model and a fresh Adam optimizer (one that has not stepped yet). */
export async function restoreState(model: RewardModel, optimizer: tf.Optimizer, state: TrainState): Promise<void> {
  model.setWeights(state.weights);
  const { optimizer: saved } = state;
  if (saved.kind !== 'adam') throw new Error(`cannot restore a ${String(saved.kind)} optimizer into Adam`);
  const internals = adamInternals(optimizer);
  if (saved.iterations === 0) return; // nothing to restore: Adam creates its moments on its first step
  // Adam keeps its moments by position, in the order applyGradients meets the variables: the keys of
  // the gradient map variableGrads returns (variable names are numeric strings, so ascending ids).
  const order = Object.keys(Object.fromEntries(model.trainableVariables.map((v) => [v.name, true])));
  const paramOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const byName = new Map(saved.moments.map((m) => [m.name, m]));
  const named: { name: string; tensor: tf.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(saved.iterations, 'int32') }];
  try {
    for (const kind of ['m', 'v']) {
      for (const varName of order) {
        const param = paramOf.get(varName)!;
        const m = byName.get(`${param}/${kind}`);
        const shape = model.params.get(param)!.shape;
        if (!m) throw new Error(`the checkpoint has no Adam moment ${param}/${kind}`);
        if (m.shape.join('x') !== shape.join('x')) {
          throw new Error(`Adam moment ${param}/${kind} has shape [${m.shape}], the model expects [${shape}]`);
        }
        named.push({ name: `${varName}/${kind}`, tensor: tf.tensor(m.data, m.shape, 'float32') });
      }
    }
    await optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor)); // the optimizer's variables hold their own references
  }
  tf.tidy(() => {
    internals.accBeta1.assign(tf.scalar(saved.accBeta1, 'float32'));
    internals.accBeta2.assign(tf.scalar(saved.accBeta2, 'float32'));
  });
}

/** The first tensor holding a NaN or an infinity, or undefined when all are finite. */
export function firstNonFinite(weights: NamedWeight[]): { name: string; value: number } | undefined {
  for (const w of weights) {
    for (const x of w.data) if (!Number.isFinite(x)) return { name: w.name, value: x };
  }
  return undefined;
}

/**
 * A 32-bit fingerprint (FNV-1a) of the training pairs in order: a resumed run must see exactly the
 * data its checkpoint was trained on, or it would not continue the same run.
 */
export function dataFingerprint(train: TokenizedPair[]): string {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193);
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193);
  };
  for (const p of train) {
    mix(p.chosen.length);
    for (const id of p.chosen) mix(id);
    mix(p.rejected.length);
    for (const id of p.rejected) mix(id);
    mix(Math.round(p.margin * 1e6));
  }
  return `${train.length}:${(h >>> 0).toString(16).padStart(8, '0')}`;
}
