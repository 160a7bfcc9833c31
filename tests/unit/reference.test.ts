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
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { disposeBatch } from '../../src/core/train/batch.ts';
import { expectMatchesFixture } from '../reference-expect.ts';
import { adamSteps, fixtureBatch, runFixture, specOf, type Fixture } from '../reference-fixture.ts';
import cls from '../fixtures/reference-cls.json';
import mean from '../fixtures/reference-mean.json';
import tinyCls from '../fixtures/reference-tiny-cls.json';
import tinyMean from '../fixtures/reference-tiny-mean.json';

const FIXTURES: [string, Fixture][] = [
  ['reference-cls', cls],
  ['reference-mean', mean],
  ['reference-tiny-cls', tinyCls],
  ['reference-tiny-mean', tinyMean],
];

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
    expectMatchesFixture(f, await runFixture(f), `${backend} ${label}`);
  });

  it('a training step with Adam leaves no tensor behind', async () => {
    const { start, counts, end, losses } = await adamSteps(cls as Fixture, 1e-3);
    expect(losses.every(Number.isFinite)).toBe(true);
    // Adam makes its two moment slots per variable on the first step; after that, nothing grows.
    expect(counts[2]).toBe(counts[1]);
    expect(end).toBe(start);
  });
});

describe('the fixtures describe what the app feeds the model', () => {
  it.each(FIXTURES)('%s: makeBatch gives the fixture ids, mask and margins (chosen rows, then rejected)', (_, f) => {
    const batch = fixtureBatch(f);
    expect(batch.ids.arraySync()).toEqual(f.batch.ids);
    expect(batch.mask.arraySync()).toEqual(f.batch.mask);
    expect(batch.margin.arraySync()).toEqual(f.batch.margin.map((m) => Math.fround(m)));
    expect(batch.size).toBe(f.pairs.length);
    disposeBatch(batch);
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
