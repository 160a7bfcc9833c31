// The reward model's numbers against an independent float64 PyTorch reference
// (scripts/reference/reward_model_reference.py, which writes tests/fixtures/reference-*.json):
// rewards, Bradley-Terry loss, accuracy and the gradient of the loss for every parameter, on the
// tfjs cpu and wasm backends. The same fixtures are checked on WebGPU in tests/browser/reference-webgpu.test.ts.
//
// Tolerance. tfjs computes in float32 (unit roundoff 6e-8), the reference in float64 on the same
// float32-rounded weights, so the only difference is float32 arithmetic through ~2 layers. Each
// tensor passes when max |tfjs - reference| <= 1e-4 * max(max |reference|, 1e-2), i.e. a relative
// error of 1e-4 against that tensor's own scale (its largest entry), with the scale floored at 1e-2
// so that tensors of near-zero gradients are held to 1e-6 absolute. Observed errors stay under 0.1 of
// that bound on cpu and wasm (the test logs each run's worst tensor). Deliberately broken models land far
// above it: the exact-erf GELU in place of the tanh form (the subtlest change tried) at 5-25x on the
// gradients, LayerNorm eps 1e-6 or 1e-12 at up to ~700x, a dropped, inverted or misplaced mask, the
// wrong pooling, a flipped loss or margin sign at 10^2-10^4x.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { makeBatch } from '../../src/core/train/batch.ts';
import { bradleyTerryLoss, pairwiseAccuracy } from '../../src/core/train/loss.ts';
import type { Pooling } from '../../src/core/model/encoders/encoder.ts';
import cls from '../fixtures/reference-cls.json';
import mean from '../fixtures/reference-mean.json';
import tinyCls from '../fixtures/reference-tiny-cls.json';
import tinyMean from '../fixtures/reference-tiny-mean.json';

interface Named {
  name: string;
  shape: number[];
  data: number[];
}

interface Fixture {
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

const FIXTURES: [string, Fixture][] = [
  ['reference-cls', cls],
  ['reference-mean', mean],
  ['reference-tiny-cls', tinyCls],
  ['reference-tiny-mean', tinyMean],
];

/** Relative error allowed against a tensor's own scale, and the floor of that scale (see the header). */
const RTOL = 1e-4;
const SCALE_FLOOR = 1e-2;

function specOf(f: Fixture): ModelSpec {
  const { pooling, ...rest } = f.config;
  return {
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    transformer: { ...rest, pooling: pooling as Pooling },
  };
}

function loadModel(f: Fixture): RewardModel {
  const model = RewardModel.create(specOf(f), 1);
  model.setWeights(f.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) })));
  return model;
}

/** max |a - e|, and the same divided by the allowed error: above 1 fails. */
function compare(actual: ArrayLike<number>, expected: number[]): { maxErr: number; ratio: number } {
  let maxErr = actual.length === expected.length && expected.length > 0 ? 0 : Infinity;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  if (Number.isNaN(maxErr)) maxErr = Infinity;
  return { maxErr, ratio: maxErr / (RTOL * Math.max(scale, SCALE_FLOOR)) };
}

interface Run {
  rewards: Float32Array;
  loss: number;
  accuracy: number;
  grads: Map<string, Float32Array>;
}

/** Forward, loss and gradients for the fixture's batch, read back with `await data()`. */
async function run(f: Fixture): Promise<Run> {
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
  };
  for (const [i, name] of names.entries()) out.grads.set(name, (await grads[vars[i]!.name]!.data()) as Float32Array);
  tf.dispose([ids, mask, margin, rewards!, accuracy!, loss, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/**
 * Every comparison of one run with its fixture. All are made before anything is asserted, so a
 * failure lists every tensor out of tolerance, with its error as a multiple of the tolerance.
 */
function check(f: Fixture, r: Run, label: string): void {
  const results: [string, { maxErr: number; ratio: number }][] = [
    ['rewards', compare(r.rewards, f.expected.rewards)],
    ['loss', compare([r.loss], [f.expected.loss])],
    ...f.grads.map((g): [string, { maxErr: number; ratio: number }] => [
      `grad ${g.name}`,
      compare(r.grads.get(g.name) ?? [], g.data),
    ]),
  ];
  const worstGrad = results.slice(2).reduce((a, b) => (b[1].ratio > a[1].ratio ? b : a));
  console.log(
    `${label}: rewards max err ${results[0]![1].maxErr.toExponential(2)} (${results[0]![1].ratio.toFixed(3)} of tolerance), ` +
      `loss ${results[1]![1].maxErr.toExponential(2)} (${results[1]![1].ratio.toFixed(3)}), worst ${worstGrad[0]} ` +
      `${worstGrad[1].maxErr.toExponential(2)} (${worstGrad[1].ratio.toFixed(3)}); largest gradient error ` +
      `${Math.max(...results.slice(2).map(([, c]) => c.maxErr)).toExponential(2)}`,
  );
  const failures = results
    .filter(([, c]) => !(c.ratio <= 1))
    .map(([name, c]) => `${name}: max err ${c.maxErr.toExponential(2)} = ${c.ratio.toFixed(1)} x tolerance`);
  expect(failures.length, `${label}, out of tolerance:\n  ${failures.join('\n  ')}\n`).toBe(0);
  expect([...r.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
  expect(r.accuracy, `${label}: accuracy`).toBe(Math.fround(f.expected.accuracy)); // a float32 mean of 0s and 1s
}

describe.each(['cpu', 'wasm'])('against the PyTorch reference on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
    expect(tf.getBackend()).toBe(backend);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(FIXTURES)('%s: rewards, loss, accuracy and every gradient', async (label, f) => {
    check(f, await run(f), `${backend} ${label}`);
  });

  it('a training step with Adam leaves no tensor behind', async () => {
    const f = cls as Fixture;
    const start = tf.memory().numTensors;
    const model = loadModel(f);
    const optimizer: tf.Optimizer = tf.train.adam(1e-3);
    const counts: number[] = [];
    for (let step = 0; step < 3; step++) {
      const batch = makeBatch(
        f.pairs.map((p) => ({
          chosen: Int32Array.from(p.chosen),
          rejected: Int32Array.from(p.rejected),
          margin: p.margin,
        })),
        f.config.maxLength,
        f.padId,
      );
      const { value: loss, grads } = tf.variableGrads(() => {
        const [rc, rr] = tf.split(model.rewards(batch.ids, batch.mask), 2) as [tf.Tensor1D, tf.Tensor1D];
        return bradleyTerryLoss(rc, rr, batch.margin);
      }, model.trainableVariables);
      optimizer.applyGradients(grads);
      expect(Number.isFinite((await loss.data())[0])).toBe(true);
      tf.dispose([loss, ...Object.values(grads), batch.ids, batch.mask, batch.margin]);
      counts.push(tf.memory().numTensors);
    }
    // Adam makes its two moment slots per variable on the first step; after that, nothing grows.
    expect(counts[2]).toBe(counts[1]);
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('the fixtures describe what the app feeds the model', () => {
  it.each(FIXTURES)('%s: makeBatch gives the fixture ids, mask and margins (chosen rows, then rejected)', (_, f) => {
    const batch = makeBatch(
      f.pairs.map((p) => ({
        chosen: Int32Array.from(p.chosen),
        rejected: Int32Array.from(p.rejected),
        margin: p.margin,
      })),
      f.config.maxLength,
      f.padId,
    );
    expect(batch.ids.arraySync()).toEqual(f.batch.ids);
    expect(batch.mask.arraySync()).toEqual(f.batch.mask);
    expect(batch.margin.arraySync()).toEqual(f.batch.margin.map((m) => Math.fround(m)));
    expect(batch.size).toBe(f.pairs.length);
    tf.dispose([batch.ids, batch.mask, batch.margin]);
  });

  it('every fixture has non-trivial weights, padding, a non-zero margin and a parameter set the model agrees with', () => {
    for (const [label, f] of FIXTURES) {
      const model = RewardModel.create(specOf(f), 1);
      expect(f.weights.map((w) => w.name).sort(), label).toEqual([...model.params.keys()].sort());
      model.dispose();
      expect(
        f.batch.mask.flat().some((m) => m === 0),
        `${label} has padding`,
      ).toBe(true);
      expect(
        f.batch.margin.some((m) => m !== 0),
        `${label} has a margin`,
      ).toBe(true);
      const gamma = f.weights.find((w) => w.name === 'ln_f.gamma')!;
      expect(
        gamma.data.some((g) => Math.abs(g - 1) > 0.05),
        `${label} LayerNorm gamma is not all ones`,
      ).toBe(true);
    }
  });
});
