// A training run with Frozen weights f16 (TRAIN_FIELDS.frozenWeights): on tfjs's real WebGPU backend
// over the counting device (tests/webgpu-counting-device.ts; no GPU, nothing computed: the numbers are
// the browser tests' business, tests/browser/f16-frozen-webgpu.test.ts), the trainer stores the frozen
// matrices as f16 before the first step, keeps the trained ones float32, and leaks no tensor across
// steps; on a backend other than WebGPU it refuses the run, naming the option and the backend.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { packedOf } from '../../src/core/model/ops/frozen-f16.ts';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { DEFAULT_TRAIN_CONFIG } from '../../src/core/train/config.ts';
import { trainedNames } from '../../src/core/train/freezing.ts';
import { trainRewardModel } from '../../src/core/train/trainer.ts';
import { useCountingWebGPU } from '../webgpu-counting-device.ts';
import { countedModels, syntheticData } from '../webgpu-step-counts.ts';

const config = { ...DEFAULT_TRAIN_CONFIG, maxLength: 16, batchSize: 2, frozenLayers: 1, frozenWeights: 'f16' as const };
const bertTiny = () => countedModels(config).find((m) => m.name === 'bert-tiny-sized')!;

describe('a run with frozen weights in f16', () => {
  beforeAll(async () => {
    await useCountingWebGPU();
  });

  /** Trains 6 steps; the tensor count at each step and the weights stored as f16 at the first. */
  async function run(frozenWeights: 'f32' | 'f16') {
    const m = bertTiny();
    const model = RewardModel.create(m.spec, 1);
    const names = [...model.params.keys()];
    const tensorsAtStep: number[] = [];
    let packedAtFirstStep: string[] = [];
    const hyper = { ...config, frozenWeights, maxSteps: 6, epochs: 1, evalEvery: 1e9 };
    await trainRewardModel(model, syntheticData(m, 12), hyper, m.pad, {
      onEvent: () => {},
      shouldStop: () => {
        if (tensorsAtStep.length === 0) packedAtFirstStep = names.filter((n) => packedOf(model.params.get(n)!));
        tensorsAtStep.push(tf.memory().numTensors);
        return false;
      },
    });
    const before = tf.memory().numTensors;
    const trained = new Set(trainedNames(names, config));
    const frozenMatrices = names.filter((n) => !trained.has(n) && model.params.get(n)!.rank === 2);
    model.dispose(); // the f16 copies go with the model
    return { tensorsAtStep, packedAtFirstStep, frozenMatrices, freed: before - tf.memory().numTensors, names };
  }

  it('stores the frozen matrices as f16 before the first step, the trained weights stay float32, no tensor leaks', async () => {
    const f32 = await run('f32');
    const f16 = await run('f16');
    expect(f16.frozenMatrices.length).toBe(9); // 3 embedding tables, layer 0's 6 matrices
    expect(f16.packedAtFirstStep).toEqual(f16.frozenMatrices);
    expect(f32.packedAtFirstStep).toEqual([]);
    // At every step f16 holds the same tensors as float32 plus one f16 copy per frozen matrix: nothing grows.
    expect(f16.tensorsAtStep.map((n, i) => n - f32.tensorsAtStep[i]!)).toEqual(f16.tensorsAtStep.map(() => 9));
    expect(f16.freed).toBe(f16.names.length + 9);
  });

  it('is refused, naming the option and the backend, off WebGPU', async () => {
    await tf.setBackend('cpu');
    const m = bertTiny();
    const model = RewardModel.create(m.spec, 1);
    try {
      await expect(
        trainRewardModel(model, syntheticData(m, 4), { ...config, maxSteps: 1 }, m.pad, { onEvent: () => {} }),
      ).rejects.toThrow('Frozen weights (frozenWeights) f16 runs on the WebGPU backend only, and this run is on cpu');
    } finally {
      model.dispose();
    }
  });
});
