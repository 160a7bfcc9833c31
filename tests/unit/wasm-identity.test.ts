// The wasm backend's Identity shares the tensor's memory (src/core/model/ops/wasm/identity.ts; the
// unit project's setup installs it, as the CLI does): the clone reads the same numbers from the same
// buffer, outlives its source, and the gradients tfjs computes from saved tensors do not change.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWasmIdentity, uninstallWasmIdentity } from '../../src/core/model/ops/wasm/identity.ts';
import { geluTanh } from '../../src/core/model/ops/gelu.ts';
import { layerNorm } from '../../src/core/model/ops/layer-norm.ts';

interface Backend {
  getMemoryOffset(dataId: object): number;
}

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  installWasmIdentity();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('Identity on the wasm backend', () => {
  it('shares the buffer; the clone keeps its values after its source is disposed', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    const backend = tf.backend() as unknown as Backend;
    expect(backend.getMemoryOffset(y.dataId)).toBe(backend.getMemoryOffset(x.dataId));
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
  });

  it('gives the same gradients, bit for bit, as the copying Identity (saved tensors of custom gradients)', () => {
    const grads = () =>
      tf.tidy(() => {
        const x = tf.reshape(tf.sin(tf.linspace(0, 20, 2 * 5 * 8)), [2, 5, 8]);
        const g = tf.linspace(0.5, 1.5, 8) as tf.Tensor1D;
        const b = tf.linspace(-0.2, 0.2, 8) as tf.Tensor1D;
        const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(geluTanh(layerNorm(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-5)), tf.cos(xi)));
        return tf
          .grads(f)([x, g, b])
          .map((t) => Array.from(t.dataSync()));
      });
    const shared = grads();
    uninstallWasmIdentity();
    const copied = grads();
    installWasmIdentity();
    expect(shared).toEqual(copied);
  });
});
