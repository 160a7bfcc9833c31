// A run's full training state, as a checkpoint holds it: the weights, Adam's state, where the data
// order stands and the step. Restored into a fresh model and optimizer, training goes on exactly as
// it would have without the break (same batches, same Adam updates, bit for bit on the same backend).
//
// The optimizer's state is its moments, its update count and the running products beta1^(t+1),
// beta2^(t+1) exactly as it holds them (float32 products, never recomputed with pow(): the last bits
// would differ, and so would every update after a resume). The form is the one tfjs's Adam state was
// saved in before AdamW had its own (kind 'adam'), so older checkpoints still resume.
//
// Nothing else needs saving for AdamW, the schedule, clipping or accumulation: the decoupled weight
// decay keeps no state (optimizer.ts), the learning rate is a function of the step (schedule.ts), and
// a checkpoint is only ever taken between optimizer steps, never between two micro-batches of one.
import type { NamedWeight, RewardModel } from '../model/reward-model.ts';
import type { TokenizedPair } from './batch.ts';
import type { BestState } from './early-stopping.ts';
import type { AdamW } from './optimizer.ts';

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

/** Copies the model's weights and the optimizer's state out of the backend (awaited reads: at checkpoints only). */
export async function captureState(
  model: RewardModel,
  optimizer: AdamW,
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

/** The optimizer's moments named `<parameter>/m` (all of them), then `<parameter>/v`, in the model's order. */
async function captureOptimizer(model: RewardModel, optimizer: AdamW): Promise<OptimizerState> {
  const { iterations, accBeta1, accBeta2, moments } = await optimizer.save();
  // The optimizer's own variables: all the model's, or fewer when some are frozen (embeddingTraining).
  const nameOf = new Map([...model.params].map(([name, v]) => [v, name]));
  const params = optimizer.trained.map((v) => [nameOf.get(v)!, v] as const);
  const named = (kind: 'm' | 'v'): NamedWeight[] =>
    moments.map((mv, i) => {
      const [name, v] = params[i]!;
      return { name: `${name}/${kind}`, shape: [...v.shape], data: mv[kind] };
    });
  return { kind: 'adam', iterations, accBeta1, accBeta2, moments: [...named('m'), ...named('v')] };
}

/**
 * Puts a saved state into a fresh model and a fresh optimizer (one that has not stepped yet), made
 * for the model's trainableVariables (or those of them not frozen).
 */
export function restoreState(model: RewardModel, optimizer: AdamW, state: TrainState): void {
  model.setWeights(state.weights);
  const { optimizer: saved } = state;
  if (saved.kind !== 'adam') throw new Error(`cannot restore a ${String(saved.kind)} optimizer into Adam`);
  const byName = new Map(saved.moments.map((m) => [m.name, m]));
  const nameOf = new Map([...model.params].map(([name, v]) => [v, name]));
  const moments = optimizer.trained.map((v) => {
    const param = nameOf.get(v)!;
    const take = (kind: 'm' | 'v') => {
      const m = byName.get(`${param}/${kind}`);
      if (!m) throw new Error(`the checkpoint has no Adam moment ${param}/${kind}`);
      if (m.shape.join('x') !== v.shape.join('x')) {
        throw new Error(`Adam moment ${param}/${kind} has shape [${m.shape}], the model expects [${v.shape}]`);
      }
      return m.data;
    };
    return saved.iterations === 0 ? { m: new Float32Array(), v: new Float32Array() } : { m: take('m'), v: take('v') };
  });
  optimizer.restore(saved, moments);
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
