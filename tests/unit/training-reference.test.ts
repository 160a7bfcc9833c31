// The training core against an independent float64 PyTorch reference
// (scripts/reference/training_reference.py, which writes tests/fixtures/training-reference.json), on the
// tfjs cpu and wasm backends:
// - every loss variant (Bradley-Terry with margins, reward centering, soft targets from votes, Davidson's
//   ties, and Davidson as nu -> 0), plain and with per-pair sample weights (the weighted mean), its value
//   and its gradient with respect to every reward;
// - five optimizer steps of the built-in model through the trainer's own step (trainStep): AdamW with
//   decoupled weight decay (biases and LayerNorm weights not decayed), HF's linear / cosine / constant
//   warmup schedules via LambdaLR, clip_grad_norm_ (some steps clipped, some not), gradient accumulation
//   over two micro-batches with a short last one, and one case with per-pair sample weights. Each step's loss, pre-clip gradient norm and learning
//   rate, and every weight after the last step, are compared.
//
// Tolerance: losses and reward gradients are a handful of float32 operations: |error| <= 1e-5 x the
// largest value (observed below 1e-6). The weights after five steps carry float32 rounding through the
// encoder's gradients into Adam's m / sqrt(v), which for a gradient near zero is close to its sign:
// compared on the change of each weight (end - start), with the tensor's largest change as its scale,
// |error| <= 2e-3 of it (observed: see the log line; planted bugs land at 10^-1 to 10^1 of the scale).
// Some entries have no gradient in exact arithmetic: the key bias (softmax ignores a shift shared by
// all keys), and, under a loss of reward differences alone, the head's bias and the last LayerNorm's
// shift (they add the same to both rewards). In float32 their gradient is rounding noise (~1e-9) and
// Adam's m / (sqrt(v) + eps) turns it into steps of up to the learning rate, in PyTorch's float32 as
// in tfjs. The reference marks them (zeroGradient); they are held to |change| <= the sum of the
// learning rates (Adam's bound on a step), not to the reference's ~0.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../../src/core/train/batch.ts';
import {
  compareWeights,
  fixture,
  fusedLossOf,
  lossCases,
  weightedLossCases,
  lossOf,
  optimizerCases,
  relativeError,
  runSteps,
} from '../training-reference.ts';

const LOSS_TOLERANCE = 1e-5;
const WEIGHT_TOLERANCE = 2e-3;

describe.each(['cpu', 'wasm'])('the training core against the PyTorch reference on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([...lossCases, ...weightedLossCases].map((c) => [c.name, c] as const))(
    'loss %s: value and gradient w.r.t. every reward',
    async (_, c) => {
      const got = await lossOf(c);
      const errors = {
        loss: relativeError([got.loss], [c.loss]),
        chosen: relativeError(got.gradChosen, c.gradChosen),
        rejected: relativeError(got.gradRejected, c.gradRejected),
      };
      console.log(`${backend} loss ${c.name}: relative errors ${JSON.stringify(errors)}`);
      for (const [what, e] of Object.entries(errors))
        expect(e, `${c.name} ${what}`).toBeLessThanOrEqual(LOSS_TOLERANCE);
    },
  );

  // The fused loss's entry point off WebGPU: its plain composition, read from the packed pair rows.
  it.each([...lossCases, ...weightedLossCases].filter((c) => c.ties === 'drop').map((c) => [c.name, c] as const))(
    'packed-pairs Bradley-Terry %s (fused-loss.ts, plain path): value and gradient w.r.t. every reward',
    async (_, c) => {
      const got = await fusedLossOf(c);
      expect(relativeError([got.loss], [c.loss]), 'loss').toBeLessThanOrEqual(LOSS_TOLERANCE);
      expect(relativeError(got.gradChosen, c.gradChosen), 'chosen').toBeLessThanOrEqual(LOSS_TOLERANCE);
      expect(relativeError(got.gradRejected, c.gradRejected), 'rejected').toBeLessThanOrEqual(LOSS_TOLERANCE);
    },
  );

  it.each(optimizerCases.map((c) => [c.name, c] as const))(
    'optimizer %s: five steps with accumulation give the same losses, norms, learning rates and weights',
    async (_, c) => {
      const start = tf.memory().numTensors;
      const { log, weights } = await runSteps(c);
      expect(tf.memory().numTensors).toBe(start);
      for (const [s, expected] of c.log.entries()) {
        expect(log[s]!.learningRate, `step ${s} learning rate`).toBeCloseTo(expected.learningRate, 12);
        expect(Math.abs(log[s]!.loss - expected.loss), `step ${s} loss`).toBeLessThanOrEqual(1e-5 * expected.loss);
        expect(Math.abs(log[s]!.gradNorm - expected.gradNorm), `step ${s} norm`).toBeLessThanOrEqual(
          1e-4 * expected.gradNorm,
        );
      }
      const { worst, noGradientMoves } = compareWeights(c, weights);
      expect(noGradientMoves, 'entries without a gradient moved further than the learning rates allow').toEqual([]);
      console.log(
        `${backend} ${c.name}: worst weight change ${worst.name}, error ${worst.error.toExponential(2)} of its scale`,
      );
      expect(worst.error, `${c.name}: ${worst.name}`).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
    },
  );
});

describe('the fixture exercises what it claims', () => {
  it('clipping is on in some steps and off in others; accumulation has a short step; decay and warmup are on', () => {
    const [linear, cosine, constant] = optimizerCases;
    for (const c of [linear!, cosine!]) {
      expect(c.clippedSteps).toBeGreaterThan(0);
      expect(c.clippedSteps).toBeLessThan(c.steps.length);
      expect(c.weightDecay).toBeGreaterThan(0);
      expect(c.log[0]!.learningRate).toBe(0);
    }
    expect(constant!.maxGradNorm).toBe(0);
    expect(optimizerCases.every((c) => c.steps.some((s) => s.flat().length < 2 * c.batchSize))).toBe(true);
    expect(new Set(optimizerCases.map((c) => c.lrSchedule))).toEqual(new Set(['linear', 'cosine', 'constant']));
  });

  it('the weighted cases use unequal weights, and ignoring them misses the reference', async () => {
    const weighted = optimizerCases.find((c) => c.weights !== undefined)!;
    expect(new Set(weighted.weights).size).toBeGreaterThan(2);
    const { weights: _ignored, ...unweighted } = weighted;
    const { log } = await runSteps(unweighted);
    const worst = Math.max(...log.map((s, i) => Math.abs(s.loss - weighted.log[i]!.loss) / weighted.log[i]!.loss));
    expect(worst).toBeGreaterThan(100 * 1e-5);
    for (const c of weightedLossCases) expect(new Set(c.weights).size).toBeGreaterThan(2);
  });

  it('Davidson with nu -> 0 is Bradley-Terry', () => {
    const bt = lossCases.find((c) => c.name === 'bradley-terry')!;
    const small = lossCases.find((c) => c.name === 'davidson-small-nu')!;
    expect(Math.abs(small.loss - bt.loss)).toBeLessThan(1e-3 * bt.loss);
  });

  it('the step batches are what makeBatch builds (T = maxLength 8, chosen rows then rejected)', () => {
    const pairs = fixture.pairs.map((p) => ({
      chosen: Int32Array.from(p.chosen),
      rejected: Int32Array.from(p.rejected),
      margin: p.margin,
    }));
    const batch = makeBatch(pairs.slice(0, 2), fixture.model.maxLength, fixture.padId);
    expect(batch.ids.shape).toEqual([4, 8]);
    tf.dispose([batch.ids, batch.mask, batch.margin, batch.decisive, ...Object.values(batch.outcome)]);
  });
});
