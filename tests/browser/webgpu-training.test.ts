// Training on WebGPU (the software adapter here) end to end through the trainer: the per-step
// diagnostics are right and the loss goes down as on the CPU. This caught tfjs-backend-webgpu
// 4.22's AddN summing only some of its inputs (the gradient norm read 0, and runs diverged).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { modelSpecFor, RewardModel } from '../../src/core/model/reward-model.ts';
import { makeBatch } from '../../src/core/train/batch.ts';
import { parseTrainConfig } from '../../src/core/train/config.ts';
import { prepareTrainingData } from '../../src/core/train/data.ts';
import type { StepPoint } from '../../src/core/train/events.ts';
import { bradleyTerryLoss } from '../../src/core/train/loss.ts';
import { permutation } from '../../src/core/train/shuffle.ts';
import { trainRewardModel } from '../../src/core/train/trainer.ts';

const tokenizer = builtinTokenizer();
const pairs: Pair[] = Array.from({ length: 60 }, (_, i) => ({
  id: `${i}`,
  datasetId: 'd',
  prompt: `question ${i}`,
  responseA: `a kind answer ${i}`,
  responseB: `no ${i}`,
  winner: 'a',
}));
const config = parseTrainConfig({
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  maxLength: 16,
  batchSize: 4,
  maxSteps: 12,
  evalEvery: 1000,
  checkpointEvery: 1000,
  maxHeldOutPairs: 4,
});

it('reports the gradient norm of the step, computed on the GPU', async () => {
  await tf.setBackend('webgpu');
  const data = prepareTrainingData(pairs, tokenizer, config);
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), 0);
  const weights = await model.getWeights();
  const steps: StepPoint[] = [];
  await trainRewardModel(model, data, { ...config, maxSteps: 1 }, tokenizer.special.pad, {
    onEvent: (e) => e.type === 'steps' && steps.push(...e.points),
  });
  // The norm of the first step's gradients, from the same weights and batch, read tensor by tensor.
  model.setWeights(weights);
  const order = permutation(data.train.length, config.seed * 1000);
  const first = makeBatch(
    order.slice(0, 4).map((i) => data.train[i]!),
    16,
    tokenizer.special.pad,
  );
  const { grads } = tf.variableGrads(() => {
    const [rc, rr] = tf.split(model.rewards(first.ids, first.mask, first.responseLength), 2) as [
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    return bradleyTerryLoss(rc, rr, first.margin);
  }, model.trainableVariables);
  let squares = 0;
  for (const g of Object.values(grads)) for (const v of await g.data()) squares += v * v;
  expect(steps[0]!.gradNorm).toBeGreaterThan(0);
  expect(steps[0]!.gradNorm).toBeCloseTo(Math.sqrt(squares), 4);
  model.dispose();
});

it('trains: the loss falls over a few steps and stays finite', async () => {
  await tf.setBackend('webgpu');
  const data = prepareTrainingData(pairs, tokenizer, config);
  const model = RewardModel.create(modelSpecFor(config, tokenizer.vocabSize), 0);
  const steps: StepPoint[] = [];
  await trainRewardModel(model, data, config, tokenizer.special.pad, {
    onEvent: (e) => e.type === 'steps' && steps.push(...e.points),
  });
  model.dispose();
  expect(steps).toHaveLength(12);
  expect(steps.every((p) => Number.isFinite(p.loss) && Number.isFinite(p.gradNorm!) && p.gradNorm! > 0)).toBe(true);
  const mean = (xs: StepPoint[]) => xs.reduce((n, p) => n + p.loss, 0) / xs.length;
  expect(mean(steps.slice(-4))).toBeLessThan(mean(steps.slice(0, 4)));
});
