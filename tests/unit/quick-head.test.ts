// The quick head (src/core/quick-head/) against an independent float64 PyTorch reference on the same
// embeddings and weights (scripts/reference/quick_head_reference.py -> tests/fixtures/quick-head/
// reference.json), on tfjs's cpu and wasm backends: the loss and its gradient with respect to every
// weight, and three full-batch Adam steps (the losses before each and every weight after). Then that
// fitting learns a planted direction, that bootstrap members differ where seeds alone do not, and that
// bad options and bad stored weights are refused with the field named.
//
// Tolerance: a few float32 operations on unit vectors: |error| <= 1e-5 of the largest expected value for
// the loss and gradients; weights after three Adam steps, 1e-4 of the largest change (Adam divides by
// sqrt(v), which magnifies float32 rounding in small gradients).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuickHeadConfig, QUICK_HEAD_DEFAULTS } from '../../src/core/quick-head/config.ts';
import { fitQuickHead, memberWeights, type PairEmbeddings } from '../../src/core/quick-head/fit.ts';
import { QuickHead, type QuickHeadShape } from '../../src/core/quick-head/head.ts';
import { quickHeadLoss } from '../../src/core/quick-head/loss.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';

interface ReferenceCase {
  name: string;
  shape: QuickHeadShape;
  l2: number;
  learningRate: number;
  chosen: number[];
  rejected: number[];
  count: number;
  counts: number[];
  weights: { name: string; shape: number[]; data: number[] }[];
  loss: number;
  grads: Record<string, number[]>;
  stepLosses: number[];
  after: Record<string, number[]>;
}

const fixture = JSON.parse(readFileSync('tests/fixtures/quick-head/reference.json', 'utf8')) as {
  cases: ReferenceCase[];
};

function maxError(actual: ArrayLike<number>, expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
  return err;
}
const maxAbs = (xs: readonly number[]) => xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

function headOf(c: ReferenceCase): QuickHead {
  return QuickHead.fromWeights(
    c.shape,
    c.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) })),
  );
}

function inputsOf(c: ReferenceCase) {
  const D = c.shape.inputSize;
  return {
    chosen: tf.tensor2d(c.chosen, [c.count, D]),
    rejected: tf.tensor2d(c.rejected, [c.count, D]),
    counts: tf.tensor2d(c.counts, [c.shape.members, c.count]),
  };
}

describe.each(['cpu', 'wasm'])('the quick head against the PyTorch reference on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: loss and gradient of every weight', (_, c) => {
    const head = headOf(c);
    const { chosen, rejected, counts } = inputsOf(c);
    const { value, grads } = tf.variableGrads(
      () => quickHeadLoss(head, chosen, rejected, counts, c.l2),
      head.variables,
    );
    expect(Math.abs(value.dataSync()[0]! - c.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(c.loss));
    const byVariable = new Map([...head.params].map(([name, v]) => [v.name, name]));
    const scale = maxAbs(Object.values(c.grads).flat());
    for (const [id, g] of Object.entries(grads)) {
      const name = byVariable.get(id)!;
      expect(maxError(g.dataSync(), c.grads[name]!), `gradient of ${name}`).toBeLessThanOrEqual(1e-5 * scale);
    }
    tf.dispose([value, chosen, rejected, counts, ...Object.values(grads)]);
    head.dispose();
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: three Adam steps', async (_, c) => {
    const before = tf.memory().numTensors;
    const head = headOf(c);
    const { chosen, rejected, counts } = inputsOf(c);
    const optimizer = tf.train.adam(c.learningRate, 0.9, 0.999, 1e-8);
    for (const expected of c.stepLosses) {
      const loss = optimizer.minimize(() => quickHeadLoss(head, chosen, rejected, counts, c.l2), true, head.variables)!;
      expect(Math.abs(loss.dataSync()[0]! - expected)).toBeLessThanOrEqual(1e-5 * Math.abs(expected));
      loss.dispose();
    }
    const start = new Map(c.weights.map((w) => [w.name, w.data]));
    for (const w of await head.getWeights()) {
      const change = c.after[w.name]!.map((x, i) => x - start.get(w.name)![i]!);
      // From the start as float32 holds it, so the rounding of the start is not counted as a change.
      const got = Array.from(w.data, (x, i) => x - Math.fround(start.get(w.name)![i]!));
      expect(maxError(got, change), `weight ${w.name}`).toBeLessThanOrEqual(1e-4 * maxAbs(change));
    }
    tf.dispose([chosen, rejected, counts]);
    optimizer.dispose();
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Pairs whose chosen side leans along a planted direction (plus noise), as unit vectors. */
function plantedPairs(n: number, size: number, seed: number): PairEmbeddings {
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const direction = Float32Array.from({ length: size }, (_, j) => (j < 4 ? 1 : 0));
  const row = (lean: number) => {
    const v = Float32Array.from({ length: size }, (_, j) => gaussian() + lean * direction[j]!);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const chosen = new Float32Array(n * size);
  const rejected = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    chosen.set(row(0.8), i * size);
    rejected.set(row(-0.8), i * size);
  }
  return { count: n, size, chosen, rejected };
}

describe('fitting a quick head', () => {
  it.each(['linear', 'mlp'] as const)('a %s head learns a planted direction and keeps its best epoch', async (head) => {
    const before = tf.memory().numTensors;
    const config = { ...QUICK_HEAD_DEFAULTS, head, epochs: 15, hiddenUnits: 16 };
    const seen: number[] = [];
    const result = await fitQuickHead(plantedPairs(300, 24, 1), plantedPairs(100, 24, 2), config, {
      onEpoch: (e) => seen.push(e.epoch),
    });
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(result.heldOut.n).toBe(100);
    expect(result.heldOut.correct / 100).toBeGreaterThan(0.85);
    const best = result.epochs[result.bestEpoch - 1]!;
    expect(Math.min(...result.epochs.map((e) => e.heldOutLoss))).toBe(best.heldOutLoss);
    expect(result.epochs[0]!.trainLoss).toBeGreaterThan(result.epochs.at(-1)!.trainLoss);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bootstrap members disagree somewhat; a stop request ends the fit', async () => {
    const config = { ...QUICK_HEAD_DEFAULTS, members: 4, ensemble: 'bootstrap' as const, epochs: 5 };
    const result = await fitQuickHead(plantedPairs(80, 16, 3), plantedPairs(40, 16, 4), config);
    expect(result.heldOut.memberAccuracy).toHaveLength(4);
    expect(result.heldOut.meanSpread).toBeGreaterThan(0);
    let batches = 0;
    await expect(
      fitQuickHead(plantedPairs(80, 16, 3), plantedPairs(40, 16, 4), config, { shouldStop: () => ++batches > 2 }),
    ).rejects.toThrow('stopped');
  });

  it('bootstrap counts: n draws per member, members differ; seeds: all ones', () => {
    const w = memberWeights({ members: 3, ensemble: 'bootstrap', seed: 5 }, 50);
    for (let k = 0; k < 3; k++) expect(w.subarray(k * 50, (k + 1) * 50).reduce((a, b) => a + b, 0)).toBe(50);
    expect(Array.from(w.subarray(0, 50))).not.toEqual(Array.from(w.subarray(50, 100)));
    expect(memberWeights({ members: 2, ensemble: 'seeds', seed: 5 }, 4).every((x) => x === 1)).toBe(true);
  });

  it('no training pairs: a clear error', async () => {
    const empty = { count: 0, size: 8, chosen: new Float32Array(), rejected: new Float32Array() };
    await expect(fitQuickHead(empty, empty, QUICK_HEAD_DEFAULTS)).rejects.toThrow(/no training pairs/);
  });
});

describe('options and stored weights', () => {
  it('parses options, naming a bad field and why', () => {
    expect(parseQuickHeadConfig({ head: 'mlp', members: 5 })).toMatchObject({ head: 'mlp', members: 5, epochs: 40 });
    expect(() => parseQuickHeadConfig({ members: 0 })).toThrow(/members: 0 is not a number from 1 to 16/);
    expect(() => parseQuickHeadConfig({ epochs: 2.5 })).toThrow(/epochs: 2.5 is not a whole number/);
    expect(() => parseQuickHeadConfig({ head: 'transformer' })).toThrow(
      /head: "transformer" is not one of linear, mlp/,
    );
    expect(() => parseQuickHeadConfig({ lr: 1 })).toThrow(/lr: no such option/);
    expect(() => parseQuickHeadConfig(null)).toThrow(/not an object/);
  });

  it('refuses stored weights that do not fit the shape', () => {
    const shape: QuickHeadShape = { head: 'linear', inputSize: 4, hiddenUnits: 1, members: 1 };
    const ok = [{ name: 'member0.out.weight', shape: [4, 1], data: new Float32Array(4) }];
    QuickHead.fromWeights(shape, ok).dispose();
    expect(() => QuickHead.fromWeights(shape, [])).toThrow(/member0.out.weight is missing/);
    expect(() => QuickHead.fromWeights(shape, [{ ...ok[0]!, shape: [3, 1] }])).toThrow(/shape \[3,1\]/);
    expect(() => QuickHead.fromWeights(shape, [{ ...ok[0]!, data: Float32Array.of(0, Number.NaN, 0, 0) }])).toThrow(
      /non-finite/,
    );
    expect(() => QuickHead.fromWeights(shape, [...ok, { name: 'x', shape: [1], data: new Float32Array(1) }])).toThrow(
      /no weights named x/,
    );
  });
});
