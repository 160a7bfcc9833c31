// The reward's length term and ODIN's decorrelation penalty against an independent float64 PyTorch
// reference (scripts/reference/length_reference.py writes tests/fixtures/length-reference.json):
// the rewards and their two parts, the trainer's micro-batch loss (microBatchLoss, the function the
// training step differentiates) and its gradient for every parameter, the length weight included,
// on the cpu and wasm backends. Tolerance as tests/unit/reference.test.ts (relative 1e-4 of each
// tensor's scale): a wrong LENGTH_SCALE, log instead of log1p, the penalty without its absolute value
// or on the whole reward instead of the quality part all land orders of magnitude above it.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LENGTH_SCALE, RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import type { Pooling } from '../../src/core/model/encoders/encoder.ts';
import { disposeBatch, makeBatch } from '../../src/core/train/batch.ts';
import { BRADLEY_TERRY, lengthCorrelationPenalty } from '../../src/core/train/loss.ts';
import { microBatchLoss } from '../../src/core/train/trainer.ts';
import { compare, type Comparison } from '../reference-fixture.ts';
import { expectClose } from '../reference-expect.ts';
import fixture from '../fixtures/length-reference.json';

type Case = (typeof fixture.cases)[number];

function specFor(c: Case): ModelSpec {
  const { pooling, ...rest } = fixture.config;
  return {
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    transformer: { ...rest, pooling: pooling as Pooling },
    length: c.odinWeight > 0 ? 'odin' : 'term',
  };
}

function batchOf() {
  const pairs = fixture.pairs.map((p) => ({
    chosen: Int32Array.from(p.chosen),
    rejected: Int32Array.from(p.rejected),
    chosenLength: p.chosenLength,
    rejectedLength: p.rejectedLength,
    margin: 0,
  }));
  return makeBatch(pairs, fixture.config.maxLength, fixture.padId);
}

async function run(c: Case) {
  const model = RewardModel.create(specFor(c), 1);
  model.setWeights(c.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) })));
  const batch = batchOf();
  const vars = model.trainableVariables;
  const names = [...model.params.keys()];
  const parts = model.rewardParts(batch.ids, batch.mask, batch.responseLength);
  let rewards: tf.Tensor1D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = microBatchLoss(model, batch, { ...BRADLEY_TERRY, odinWeight: c.odinWeight }, batch.size);
    rewards = tf.keep(out.rewards);
    return out.total;
  }, vars);
  const correlation = tf.tidy(() =>
    tf.abs(lengthCorrelationPenalty(parts.quality, tf.log1p(batch.responseLength!) as tf.Tensor1D)),
  );
  const result = {
    rewards: await rewards!.data(),
    quality: await parts.quality.data(),
    length: await parts.length!.data(),
    loss: (await value.data())[0]!,
    correlation: (await correlation.data())[0]!,
    grads: new Map<string, Float32Array>(),
  };
  for (const [i, name] of names.entries()) result.grads.set(name, (await grads[vars[i]!.name]!.data()) as Float32Array);
  tf.dispose([value, rewards!, correlation, parts.quality, parts.length!, ...Object.values(grads)]);
  disposeBatch(batch);
  model.dispose();
  return result;
}

/**
 * A shift of every reward changes neither the pairwise loss nor a correlation, so the gradients of
 * head.bias and (through mean pooling) ln_f.beta are 0 in exact arithmetic; float32 leaves noise of
 * ~1e-6 there, which the relative tolerance's 1e-6 floor would fail. Those two are held to 1e-5
 * absolute: a loss or penalty that broke the invariance would put them at the other gradients' size.
 */
const SHIFT_INVARIANT = new Set(['head.bias', 'ln_f.beta']);
const SHIFT_INVARIANT_TOLERANCE = 1e-5;

function gradientComparison(g: { name: string; data: number[] }, actual: Float32Array | undefined): Comparison {
  if (!SHIFT_INVARIANT.has(g.name)) return compare(actual ?? [], g.data);
  const maxErr = actual ? Math.max(...g.data.map((x, i) => Math.abs(actual[i]! - x))) : Infinity;
  return { maxErr, ratio: maxErr / SHIFT_INVARIANT_TOLERANCE };
}

describe.each(['cpu', 'wasm'])('length term and ODIN penalty against PyTorch on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(fixture.cases.map((c) => [c.name, c] as [string, Case]))(
    '%s: rewards, parts, loss and every gradient (the length weight too)',
    async (name, c) => {
      const r = await run(c);
      const results: [string, Comparison][] = [
        ['rewards', compare(r.rewards, c.expected.rewards)],
        ['loss', compare([r.loss], [c.expected.loss])],
        ['quality', compare(r.quality, c.expected.quality)],
        ['length', compare(r.length, c.expected.length)],
        ['|correlation|', compare([r.correlation], [Math.abs(c.expected.correlation)])],
        ...c.grads.map((g): [string, Comparison] => [`grad ${g.name}`, gradientComparison(g, r.grads.get(g.name))]),
      ];
      expectClose(`${backend} ${name}`, results);
      expect([...r.grads.keys()].sort()).toEqual(c.grads.map((g) => g.name).sort());
    },
  );
});

describe('the fixture matches the app', () => {
  it('uses the model’s length scale, and its lengths are not the sequences’ own', () => {
    expect(fixture.lengthScale).toBe(LENGTH_SCALE);
    expect(fixture.pairs.some((p) => p.chosenLength !== p.chosen.length - 3)).toBe(true);
  });

  it('a model with a length term refuses to score without the response lengths', () => {
    const c = fixture.cases[0]!;
    const model = RewardModel.create(specFor(c), 1);
    const batch = batchOf();
    expect(() => model.rewards(batch.ids, batch.mask)).toThrow(/length term: give the responses' token counts/);
    disposeBatch(batch);
    model.dispose();
  });
});
