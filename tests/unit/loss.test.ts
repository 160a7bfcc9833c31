import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bradleyTerryLoss, pairwiseAccuracy } from '../../src/core/train/loss.ts';
import { pairwiseMetrics } from '../../src/core/eval/metrics.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const softplus = (x: number) => Math.log(1 + Math.exp(x));

describe('Bradley-Terry loss', () => {
  it('is the mean of -log sigmoid(r_chosen - r_rejected), computed by hand', async () => {
    const rc = tf.tensor1d([2, 0, -1]);
    const rr = tf.tensor1d([1, 0, 1]);
    const loss = (await bradleyTerryLoss(rc, rr).data())[0]!;
    // -log sigmoid(d) = log(1 + exp(-d)) for d = 1, 0, -2
    const expected = (Math.log(1 + Math.exp(-1)) + Math.log(2) + Math.log(1 + Math.exp(2))) / 3;
    expect(loss).toBeCloseTo(expected, 6);
  });

  it('subtracts the margin inside the sigmoid, as TRL does: -log sigmoid(r_c - r_r - m)', async () => {
    const loss = (await bradleyTerryLoss(tf.tensor1d([3]), tf.tensor1d([1]), tf.tensor1d([0.5])).data())[0]!;
    expect(loss).toBeCloseTo(softplus(-(3 - 1 - 0.5)), 6);
  });

  it('has gradient -(1 - sigmoid(d)) / B for r_chosen and the opposite for r_rejected', async () => {
    const rc = tf.tensor1d([0.3, -0.2]);
    const rr = tf.tensor1d([0.1, 0.4]);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => bradleyTerryLoss(a as tf.Tensor1D, b as tf.Tensor1D))([
      rc,
      rr,
    ]);
    const [gc, gr] = await Promise.all(grads.map((g) => g.data()));
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    [0.2, -0.6].forEach((d, i) => {
      expect(gc![i]).toBeCloseTo(-(1 - sigmoid(d)) / 2, 6);
      expect(gr![i]).toBeCloseTo((1 - sigmoid(d)) / 2, 6);
    });
  });

  it('stays finite for large reward differences (no overflow in softplus)', async () => {
    const loss = (await bradleyTerryLoss(tf.tensor1d([-500]), tf.tensor1d([500])).data())[0]!;
    expect(loss).toBeCloseTo(1000, 3);
  });
});

describe('pairwise accuracy', () => {
  it('counts a pair correct only when chosen scores strictly higher', async () => {
    const acc = (await pairwiseAccuracy(tf.tensor1d([1, 2, 3, 0]), tf.tensor1d([0, 2, 4, -1])).data())[0]!;
    expect(acc).toBe(0.5);
  });

  it('agrees with the plain-number metrics used for held-out evaluation', async () => {
    const chosen = [1, 2, 3, 0, 0.5];
    const rejected = [0, 2, 4, -1, 0.2];
    const margins = [0, 0, 0.5, 0, 0];
    const m = pairwiseMetrics(chosen, rejected, margins);
    const tensorLoss = (
      await bradleyTerryLoss(tf.tensor1d(chosen), tf.tensor1d(rejected), tf.tensor1d(margins)).data()
    )[0]!;
    expect(m.loss).toBeCloseTo(tensorLoss, 5);
    expect(m.accuracy).toBe(3 / 5);
    expect(m.meanMargin).toBeCloseTo((1 + 0 - 1 + 1 + 0.3) / 5, 10);
  });
});
