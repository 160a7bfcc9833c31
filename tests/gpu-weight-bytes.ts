// The bytes a reward model's weights hold in GPU buffers once a forward pass has read each of them
// (float32, or a frozen matrix's f16 words with Frozen weights f16: src/core/model/ops/frozen-f16.ts),
// as tfjs-backend-webgpu's buffer manager counts them (tf.memory().numBytesInGPU). Run on the counting
// device (tests/webgpu-counting-device.ts) it needs no GPU. Used by tests/unit/memory-plan.test.ts and
// bench/f16-frozen.ts; imports nothing from the test runner.
import * as tf from '@tensorflow/tfjs';
import { checkF16Kernels, storeFrozenInF16 } from '../src/core/model/ops/frozen-f16.ts';
import { RewardModel, type ModelSpec } from '../src/core/model/reward-model.ts';
import type { FrozenPrecision } from '../src/core/train/config.ts';
import { freezeChoiceOf, trainedNames, type FreezeChoice } from '../src/core/train/freezing.ts';

const gpuBytes = () => (tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }).numBytesInGPU;

/**
 * Builds `spec`'s model on the current (WebGPU) backend, stores its frozen matrices as f16 when asked,
 * runs one forward pass and returns the bytes its weights then hold on the GPU, and how many were
 * stored as f16. Set WEBGPU_CPU_FORWARD off first, or small ops run on the CPU and upload nothing.
 */
export async function weightBytesOnGpu(
  spec: ModelSpec,
  freeze: Omit<FreezeChoice, 'lora'>,
  frozenWeights: FrozenPrecision,
): Promise<{ bytes: number; storedInF16: number }> {
  const start = gpuBytes();
  const model = RewardModel.create(spec, 1);
  try {
    const names = [...model.params.keys()];
    const trained = new Set(trainedNames(names, freezeChoiceOf(spec, freeze))); // LoRA: adapters and head
    let storedInF16 = 0;
    if (frozenWeights === 'f16') {
      if (!(await checkF16Kernels())) throw new Error('the f16 kernels are off on this backend');
      const storage = await storeFrozenInF16(
        model.params,
        names.filter((n) => !trained.has(n)),
      );
      storedInF16 = storage!.stored.length;
    }
    const rewards = tf.tidy(() => {
      const ids = tf.ones([2, 8], 'int32') as tf.Tensor2D;
      return model.rewards(ids, tf.onesLike(ids).toFloat() as tf.Tensor2D);
    });
    // A read-back submits the queue: the uploads' staging buffers and the uniforms are released then.
    await rewards.data();
    rewards.dispose();
    return { bytes: gpuBytes() - start, storedInF16 };
  } finally {
    model.dispose();
  }
}
