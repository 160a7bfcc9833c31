// The PyTorch reference fixtures (tests/fixtures/reference-*.json, written by
// scripts/reference/reward_model_reference.py) and how a backend's numbers are compared with them.
// Shared by tests/unit/reference.test.ts (cpu, wasm), tests/browser/reference-webgpu.test.ts and the
// GPU benchmark (bench/gpu), so it imports nothing from the test runner; tests/reference-expect.ts asserts.
//
// Tolerance: per tensor, max |actual - expected| <= RTOL * max(max |expected|, SCALE_FLOOR), a
// relative error of 1e-4 against the tensor's own scale, floored so near-zero gradients are held to
// 1e-6 absolute (the unit test's header says why these numbers).
import * as tf from '@tensorflow/tfjs';
import type { Pooling } from '../src/core/model/encoders/encoder.ts';
import { RewardModel, type ModelSpec } from '../src/core/model/reward-model.ts';
import { disposeBatch, makeBatch, type PairBatch } from '../src/core/train/batch.ts';
import { bradleyTerryLoss, pairwiseAccuracy } from '../src/core/train/loss.ts';

export interface Named {
  name: string;
  shape: number[];
  data: number[];
}

export interface Fixture {
  config: {
    vocabSize: number;
    maxLength: number;
    dModel: number;
    nLayers: number;
    nHeads: number;
    dFF: number;
    pooling: string;
  };
  padId: number;
  pairs: { chosen: number[]; rejected: number[]; margin: number }[];
  batch: { ids: number[][]; mask: number[][]; margin: number[] };
  weights: Named[];
  expected: { rewards: number[]; loss: number; accuracy: number };
  grads: Named[];
}

export const RTOL = 1e-4;
export const SCALE_FLOOR = 1e-2;

export function specOf(f: Fixture): ModelSpec {
  const { pooling, ...rest } = f.config;
  return {
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    transformer: { ...rest, pooling: pooling as Pooling },
  };
}

/** A model with the fixture's weights, on the current backend. */
export function loadModel(f: Fixture): RewardModel {
  const model = RewardModel.create(specOf(f), 1);
  model.setWeights(f.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) })));
  return model;
}

export interface Comparison {
  maxErr: number;
  /** maxErr over the allowed error: above 1 fails. */
  ratio: number;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  let maxErr = actual.length === expected.length && expected.length > 0 ? 0 : Infinity;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  if (Number.isNaN(maxErr)) maxErr = Infinity;
  return { maxErr, ratio: maxErr / (RTOL * Math.max(scale, SCALE_FLOOR)) };
}

export interface Run {
  rewards: Float32Array;
  loss: number;
  accuracy: number;
  grads: Map<string, Float32Array>;
  /** Bytes in GPU buffers while the run's tensors were alive (WebGPU; 0 elsewhere). */
  gpuBytes: number;
}

/** Forward, loss, accuracy and every gradient on the current backend, read back with `await data()`. */
export async function runFixture(f: Fixture): Promise<Run> {
  const model = loadModel(f);
  const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
  const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
  const margin = tf.tensor1d(f.batch.margin, 'float32');
  const names = [...model.params.keys()];
  const vars = model.trainableVariables;
  let rewards: tf.Tensor1D | undefined;
  let accuracy: tf.Scalar | undefined;
  const { value: loss, grads } = tf.variableGrads(() => {
    const r = model.rewards(ids, mask); // [2B]
    rewards = tf.keep(r);
    const [rc, rr] = tf.split(r, 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
    accuracy = tf.keep(pairwiseAccuracy(rc, rr));
    return bradleyTerryLoss(rc, rr, margin);
  }, vars);
  const out: Run = {
    rewards: (await rewards!.data()) as Float32Array,
    loss: (await loss.data())[0]!,
    accuracy: (await accuracy!.data())[0]!,
    grads: new Map(),
    gpuBytes: (tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number }).numBytesInGPU ?? 0,
  };
  for (const [i, name] of names.entries()) out.grads.set(name, (await grads[vars[i]!.name]!.data()) as Float32Array);
  tf.dispose([ids, mask, margin, rewards!, accuracy!, loss, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/** The fixture's pairs as the trainer batches them (chosen rows, then rejected rows). */
export function fixtureBatch(f: Fixture): PairBatch {
  const pairs = f.pairs.map((p) => ({
    chosen: Int32Array.from(p.chosen),
    rejected: Int32Array.from(p.rejected),
    margin: p.margin,
  }));
  return makeBatch(pairs, f.config.maxLength, f.padId);
}

export interface AdamSteps {
  /** Tensors alive before the model was built, after each step, and after model and optimizer were disposed. */
  start: number;
  counts: number[];
  end: number;
  losses: number[];
}

/** A few Adam steps on the fixture's batch, from its weights, counting live tensors after each. */
export async function adamSteps(f: Fixture, learningRate: number, steps = 3): Promise<AdamSteps> {
  const start = tf.memory().numTensors;
  const model = loadModel(f);
  const optimizer: tf.Optimizer = tf.train.adam(learningRate);
  const counts: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const batch = fixtureBatch(f);
    const { value: loss, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(batch.ids, batch.mask), 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
      return bradleyTerryLoss(rc, rr, batch.margin);
    }, model.trainableVariables);
    optimizer.applyGradients(grads);
    losses.push((await loss.data())[0]!);
    tf.dispose([loss, ...Object.values(grads)]);
    disposeBatch(batch);
    counts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  model.dispose();
  return { start, counts, end: tf.memory().numTensors, losses };
}
