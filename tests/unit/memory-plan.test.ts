// The memory plan (src/core/train/memory-plan.ts) against tf.memory() around a real training step
// on the cpu backend: parameters, the forward tensors the tape keeps, the gradients and AdamW's
// moments, for shapes other than those its counts were fitted on, with and without freezing. Each
// part within 25%, and the verdicts against the WASM heap and a WebGPU buffer limit. With Frozen
// weights f16, the parameters against the WebGPU backend's own buffer bytes (float32 and f16 alike).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bert } from '../../src/core/model/families/bert.ts';
import { deberta } from '../../src/core/model/families/deberta.ts';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { freezeChoiceOf, trainedNames, type FreezeChoice } from '../../src/core/train/freezing.ts';
import { withLora } from '../../src/core/model/lora.ts';
import { limitsFor, memoryPlan, WASM_HEAP_BYTES } from '../../src/core/train/memory-plan.ts';
import { AdamW } from '../../src/core/train/optimizer.ts';
import { useCountingWebGPU } from '../webgpu-counting-device.ts';
import { weightBytesOnGpu } from '../gpu-weight-bytes.ts';

/** One step's bytes by kind, as tf.memory() counts them. */
async function measured(spec: ModelSpec, batch: number, T: number, freeze: FreezeChoice) {
  const start = tf.memory().numBytes;
  const model = RewardModel.create(spec, 1);
  const parameters = tf.memory().numBytes - start;
  const names = trainedNames([...model.params.keys()], freezeChoiceOf(spec, freeze));
  const vars = names.map((n) => model.params.get(n)!);
  const optimizer = await AdamW.create(vars, 0, 1);
  const ids = tf.ones([2 * batch, T], 'int32') as tf.Tensor2D;
  const mask = tf.ones([2 * batch, T], 'float32') as tf.Tensor2D;
  const before = tf.memory().numBytes;
  let activations = 0;
  const { value, grads } = tf.variableGrads(() => {
    const r = model.rewards(ids, mask);
    activations = tf.memory().numBytes - before;
    return tf.sum(r) as tf.Scalar;
  }, vars);
  const gradients = Object.values(grads).reduce((n, g) => n + 4 * g.size, 0);
  const beforeStep = tf.memory().numBytes;
  optimizer.step(grads, 1e-3).dispose();
  const optimizerBytes = tf.memory().numBytes - beforeStep;
  tf.dispose([value, ids, mask, ...Object.values(grads)]);
  optimizer.dispose();
  model.dispose();
  return { parameters, activations, gradients, optimizer: optimizerBytes };
}

const builtin: ModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: { vocabSize: 300, maxLength: 64, dModel: 48, nLayers: 2, nHeads: 3, dFF: 96, pooling: 'mean' },
};
const bertSpec: ModelSpec = {
  encoder: 'bert',
  tokenizer: 'embedded',
  pooling: 'cls',
  source: 'test',
  bert: bert.readConfig(
    {
      model_type: 'bert',
      vocab_size: 300,
      hidden_size: 40,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      intermediate_size: 80,
      max_position_embeddings: 64,
    },
    { sepTokenId: 1, padTokenId: 0 },
  ),
};

/** DeBERTa-v3's settings: the c2p and p2c products against the relative rows are its own activations. */
const debertaSpec: ModelSpec = {
  ...bertSpec,
  bert: deberta.readConfig(
    {
      model_type: 'deberta-v2',
      vocab_size: 300,
      hidden_size: 40,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      intermediate_size: 80,
      max_position_embeddings: 64,
      relative_attention: true,
      position_buckets: 256,
      share_att_key: true,
      pos_att_type: 'p2c|c2p',
      norm_rel_ebd: 'layer_norm',
      position_biased_input: false,
    },
    { sepTokenId: 1, padTokenId: 0 },
  ),
};

const lora = (loraRank: number, loraTargets = '') => ({ loraRank, loraAlpha: 16, loraTargets });

describe('the memory plan against tf.memory() on the cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['built-in', builtin, 3, 40, { frozenLayers: 0, embeddingTraining: 'train' }],
    ['built-in, 1 layer frozen', builtin, 5, 24, { frozenLayers: 1, embeddingTraining: 'train' }],
    ['bert', bertSpec, 3, 40, { frozenLayers: 0, embeddingTraining: 'train' }],
    ['bert, head only', bertSpec, 2, 56, { frozenLayers: 3, embeddingTraining: 'train' }],
    ['deberta-v3', debertaSpec, 3, 40, { frozenLayers: 0, embeddingTraining: 'train' }],
    [
      'bert, LoRA r 8 on query, value',
      withLora(bertSpec, lora(8)),
      3,
      40,
      { frozenLayers: 0, embeddingTraining: 'train' },
    ],
    [
      'bert, LoRA r 4 on every projection',
      withLora(bertSpec, lora(4, 'query, key, value, dense')),
      2,
      48,
      { frozenLayers: 0, embeddingTraining: 'train' },
    ],
    [
      'built-in, LoRA r 8 on qkv, in',
      withLora(builtin, lora(8, 'qkv, in')),
      3,
      40,
      { frozenLayers: 0, embeddingTraining: 'train' },
    ],
  ] as const)(
    '%s: every part within 25%%',
    async (_, spec, batch, T, freeze) => {
      const real = await measured(spec, batch, T, freeze);
      const plan = memoryPlan(spec, { batchSize: batch, maxLength: T, gradAccumulation: 1 }, freeze, limitsFor('cpu'));
      for (const part of ['parameters', 'activations', 'gradients', 'optimizer'] as const) {
        expect(
          Math.abs(plan[part] / real[part] - 1),
          `${part}: plan ${plan[part]}, measured ${real[part]}`,
        ).toBeLessThan(0.25);
      }
      expect(plan.over).toBeUndefined(); // no known limit on the cpu backend
    },
    60_000,
  );

  it('says plainly when a run is over the WASM heap or a GPU buffer, and what would help', () => {
    const big = {
      ...builtin,
      transformer: { ...builtin.transformer, dModel: 768, nHeads: 12, dFF: 3072, nLayers: 12 },
    };
    const run = { batchSize: 32, maxLength: 512, gradAccumulation: 1 };
    const none = { frozenLayers: 0, embeddingTraining: 'train' } as const;
    const wasm = memoryPlan(big, run, none, limitsFor('wasm'));
    expect(wasm.total).toBeGreaterThan(WASM_HEAP_BYTES);
    expect(wasm.over).toMatch(/will not fit: the run needs about [\d.]+ GB, more than WebAssembly's 4 GB heap/);
    expect(wasm.suggestions.join('\n')).toMatch(/batch size to 16 and double accumulation steps to 2/);
    expect(wasm.suggestions.join('\n')).toMatch(/freeze lower layers/);
    expect(wasm.suggestions.join('\n')).toMatch(/train LoRA adapters \(LoRA rank 8\)/);
    // With LoRA on, the gradients and optimizer state are the adapters' and the head's alone.
    const adapted = memoryPlan(withLora(big, lora(8)), run, none, limitsFor('wasm'));
    expect(adapted.trainedWeights).toBe(12 * 8 * (768 + 3 * 768) + 768 + 1); // A and B on each layer's qkv [768, 2304], the head
    expect(adapted.optimizer).toBe(2 * 4 * adapted.trainedWeights);
    expect(adapted.suggestions.join('\n')).not.toMatch(/LoRA|freeze lower layers/);
    expect(wasm.suggestions.join('\n')).toMatch(/shorten max tokens from 512 to 256/);
    const gpu = memoryPlan(
      big,
      run,
      none,
      limitsFor('webgpu', { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27 }),
    );
    expect(gpu.over).toMatch(/largest tensor \([\d.]+ MB\) is more than this GPU's largest buffer \(128.0 MB\)/);
    const small = memoryPlan(builtin, { batchSize: 4, maxLength: 32, gradAccumulation: 1 }, none, limitsFor('wasm'));
    expect(small.over).toBeUndefined();
    expect(small.suggestions).toEqual([]);
  });
});

// tests/gpu-weight-bytes.ts: the weights' bytes in GPU buffers after a forward pass, on tfjs's real
// WebGPU backend over the counting device (no GPU needed; its buffer manager counts what it holds).
describe("the memory plan's parameters against the WebGPU backend's buffer bytes, float32 and f16 frozen weights", () => {
  beforeAll(async () => {
    await useCountingWebGPU();
    // Every op on the GPU, so every weight is uploaded (small ops would otherwise run on the CPU).
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });

  it.each([
    ['built-in, 1 of 2 layers frozen', builtin, { frozenLayers: 1, embeddingTraining: 'train' }],
    ['bert, 2 of 3 layers frozen', bertSpec, { frozenLayers: 2, embeddingTraining: 'train' }],
    ['bert, head only', bertSpec, { frozenLayers: 3, embeddingTraining: 'train' }],
    ['bert, LoRA r 4 (its base frozen)', withLora(bertSpec, lora(4)), { frozenLayers: 0, embeddingTraining: 'train' }],
  ] as const)('%s: within 25%%, and f16 saves what the plan says', async (_, spec, freeze) => {
    const plan = (frozenWeights: 'f32' | 'f16') =>
      memoryPlan(
        spec,
        { batchSize: 1, maxLength: 8, gradAccumulation: 1 },
        { ...freeze, frozenWeights },
        limitsFor('webgpu'),
      ).parameters;
    const f32 = (await weightBytesOnGpu(spec, freeze, 'f32')).bytes;
    const f16 = (await weightBytesOnGpu(spec, freeze, 'f16')).bytes;
    expect(Math.abs(plan('f32') / f32 - 1), `f32: plan ${plan('f32')}, measured ${f32}`).toBeLessThan(0.25);
    expect(Math.abs(plan('f16') / f16 - 1), `f16: plan ${plan('f16')}, measured ${f16}`).toBeLessThan(0.25);
    const saved = (plan('f32') - plan('f16')) / (f32 - f16);
    expect(Math.abs(saved - 1), `saved: plan ${plan('f32') - plan('f16')}, measured ${f32 - f16}`).toBeLessThan(0.05);
    // f16 is a WebGPU matter: on WASM the plan counts float32 whatever the option says.
    const wasm = memoryPlan(
      spec,
      { batchSize: 1, maxLength: 8, gradAccumulation: 1 },
      { ...freeze, frozenWeights: 'f16' },
      limitsFor('wasm'),
    );
    expect(wasm.parameters).toBe(plan('f32'));
  });
});
