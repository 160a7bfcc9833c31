// The PyTorch reference fixtures (tests/fixtures/reference-*.json, written by
// scripts/reference/reward_model_reference.py) and how a backend's numbers are compared with them.
// Shared by tests/unit/reference.test.ts (cpu, wasm) and tests/browser/reference-webgpu.test.ts.
//
// Tolerance: per tensor, max |actual - expected| <= RTOL * max(max |expected|, SCALE_FLOOR), a
// relative error of 1e-4 against the tensor's own scale, floored so near-zero gradients are held to
// 1e-6 absolute (the unit test's header says why these numbers).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { Pooling } from '../src/core/model/encoders/encoder.ts';
import { RewardModel, type ModelSpec } from '../src/core/model/reward-model.ts';
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

/** Every comparison of a run with expected values, made before asserting, so a failure lists every tensor out of tolerance. */
export function expectClose(label: string, results: [string, Comparison][]): void {
  const worst = results.reduce((a, b) => (b[1].ratio > a[1].ratio ? b : a));
  console.log(
    `${label}: worst ${worst[0]} max err ${worst[1].maxErr.toExponential(2)} (${worst[1].ratio.toFixed(3)} of tolerance); ` +
      `rewards ${results[0]![1].maxErr.toExponential(2)}, loss ${results[1]![1].maxErr.toExponential(2)}, largest gradient ` +
      `error ${Math.max(...results.slice(2).map(([, c]) => c.maxErr)).toExponential(2)}`,
  );
  const failures = results
    .filter(([, c]) => !(c.ratio <= 1))
    .map(([name, c]) => `${name}: max err ${c.maxErr.toExponential(2)} = ${c.ratio.toFixed(1)} x tolerance`);
  expect(failures.length, `${label}, out of tolerance:\n  ${failures.join('\n  ')}\n`).toBe(0);
}

/** A run against its fixture: rewards, loss, every gradient, the parameter names and the accuracy. */
export function expectMatchesFixture(f: Fixture, r: Run, label: string): void {
  expectClose(label, [
    ['rewards', compare(r.rewards, f.expected.rewards)],
    ['loss', compare([r.loss], [f.expected.loss])],
    ...f.grads.map((g): [string, Comparison] => [`grad ${g.name}`, compare(r.grads.get(g.name) ?? [], g.data)]),
  ]);
  expect([...r.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
  expect(r.accuracy, `${label}: accuracy`).toBe(Math.fround(f.expected.accuracy)); // a float32 mean of 0s and 1s
}
