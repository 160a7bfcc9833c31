// The training core on WebGPU (Chromium, Dawn's software adapter here) against the float64 PyTorch
// reference (tests/fixtures/training-reference.json, from scripts/reference/training_reference.py):
// every loss variant's value and gradient w.r.t. the rewards (Davidson's loss uses abs, exp and log1p,
// whose gradients WebGPU must get right), and the fixture's AdamW steps with clipping and accumulation
// through the trainer's own step. WEBGPU_CPU_FORWARD is off so every op runs as a WebGPU shader. Same
// tolerances as tests/unit/training-reference.test.ts (its header says why).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKernels } from '../../src/core/model/ops/webgpu/program.ts';
import { kernelsOn } from '../../src/core/model/ops/webgpu/program.ts';
import { fusedLossApplies } from '../../src/core/train/fused-loss.ts';
import {
  compareWeights,
  fusedLossOf,
  lossCases,
  lossOf,
  optimizerCases,
  relativeError,
  runSteps,
  weightedLossCases,
} from '../training-reference.ts';

describe('the training core on WebGPU', () => {
  let previous: boolean;
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
    // RM Lab's kernels on (they run in training once checked): the reference checks them too.
    expect(await checkKernels()).toBe(true);
    previous = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterAll(async () => {
    tf.env().set('WEBGPU_CPU_FORWARD', previous);
    await tf.setBackend('cpu');
  });

  it.each(lossCases.map((c) => [c.name, c] as const))(
    'loss %s: value and gradient w.r.t. every reward',
    async (_, c) => {
      const got = await lossOf(c);
      expect(relativeError([got.loss], [c.loss]), 'loss').toBeLessThanOrEqual(1e-5);
      expect(relativeError(got.gradChosen, c.gradChosen), 'gradient, chosen').toBeLessThanOrEqual(1e-5);
      expect(relativeError(got.gradRejected, c.gradRejected), 'gradient, rejected').toBeLessThanOrEqual(1e-5);
    },
  );

  // The fused Bradley-Terry kernel (one dispatch forward, one backward) on the same cases.
  const bradleyTerry = [...lossCases, ...weightedLossCases].filter((c) => c.ties === 'drop');
  it.each(bradleyTerry.map((c) => [c.name, c] as const))(
    'fused loss %s (WebGPU kernel): value and gradient w.r.t. every reward',
    async (_, c) => {
      expect(kernelsOn()).toBe(true);
      const got = await fusedLossOf(c);
      expect(relativeError([got.loss], [c.loss]), 'loss').toBeLessThanOrEqual(1e-5);
      expect(relativeError(got.gradChosen, c.gradChosen), 'gradient, chosen').toBeLessThanOrEqual(1e-5);
      expect(relativeError(got.gradRejected, c.gradRejected), 'gradient, rejected').toBeLessThanOrEqual(1e-5);
    },
  );

  // A Bradley-Terry case with each step's micro-batches as one batch: the trainer's fused loss and
  // metrics kernels, against the same reference (accumulation gives the one-batch numbers).
  const bt = optimizerCases.find((o) => o.name === 'adamw-linear-weighted-bt')!;
  it(`optimizer ${bt.name}, one batch a step (fused loss): five steps give the reference's losses, norms and weights`, async () => {
    expect(fusedLossApplies({ ties: 'drop', tieNu: 1, centerRewards: 0 }, 1, false)).toBe(true);
    const { log, weights } = await runSteps(bt, true);
    for (const [s, expected] of bt.log.entries()) {
      expect(Math.abs(log[s]!.loss - expected.loss), `step ${s} loss`).toBeLessThanOrEqual(1e-5 * expected.loss);
      expect(Math.abs(log[s]!.gradNorm - expected.gradNorm), `step ${s} norm`).toBeLessThanOrEqual(
        1e-4 * expected.gradNorm,
      );
    }
    const { worst, noGradientMoves } = compareWeights(bt, weights);
    expect(noGradientMoves).toEqual([]);
    expect(worst.error, worst.name).toBeLessThanOrEqual(2e-3);
  });

  // One case: the software adapter is slow. The cosine one has Davidson ties, centering, decay and clipping.
  const c = optimizerCases.find((o) => o.name === 'adamw-cosine-davidson-centered')!;
  it(`optimizer ${c.name}: five steps give the reference's losses, norms and weights`, async () => {
    const { log, weights } = await runSteps(c);
    for (const [s, expected] of c.log.entries()) {
      expect(Math.abs(log[s]!.loss - expected.loss), `step ${s} loss`).toBeLessThanOrEqual(1e-5 * expected.loss);
      expect(Math.abs(log[s]!.gradNorm - expected.gradNorm), `step ${s} norm`).toBeLessThanOrEqual(
        1e-4 * expected.gradNorm,
      );
    }
    const { worst, noGradientMoves } = compareWeights(c, weights);
    console.log(
      `webgpu ${c.name}: worst weight change ${worst.name}, error ${worst.error.toExponential(2)} of its scale`,
    );
    expect(noGradientMoves).toEqual([]);
    expect(worst.error, worst.name).toBeLessThanOrEqual(2e-3);
  });
});
