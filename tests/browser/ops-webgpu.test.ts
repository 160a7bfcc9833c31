// RM Lab's WebGPU kernels (src/core/model/ops/webgpu/) on a real adapter (Chromium, Dawn's software
// one here) against their plain-tfjs compositions (src/core/model/ops/), values and gradients:
// LayerNorm, both GELUs, the masked softmax and the fused-bias linear layer. checkKernels' own probes must pass (or the
// app would run without the kernels, with a warning); then each op on a [2, 5, 48] input in the
// shapes the encoders use, through tf.grads, kernels on and off.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  attentionBias,
  attentionMask,
  maskedSoftmax,
  multiHeadAttention,
  packedAttention,
} from '../../src/core/model/ops/attention.ts';
import { geluErf, geluTanh } from '../../src/core/model/ops/gelu.ts';
import { addLayerNorm, layerNorm, layerNormPlain } from '../../src/core/model/ops/layer-norm.ts';
import { linear } from '../../src/core/model/ops/linear.ts';
import { pool } from '../../src/core/model/ops/pool.ts';
import { checkKernels, kernelsOn } from '../../src/core/model/ops/webgpu/program.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale),
    shape,
  );
}

async function maxRelative(a: tf.Tensor[], b: tf.Tensor[]): Promise<number> {
  let worst = 0;
  for (const [i, t] of a.entries()) {
    const [x, y] = await Promise.all([t.data(), b[i]!.data()]);
    let err = 0;
    let scale = 1e-3;
    for (let k = 0; k < y.length; k++) {
      err = Math.max(err, Math.abs(x[k]! - y[k]!));
      scale = Math.max(scale, Math.abs(y[k]!));
    }
    worst = Math.max(worst, err / scale);
  }
  return worst;
}

/** Value and gradients of sum(f(inputs) * dy) on the cpu backend and on WebGPU with the kernels. */
async function compare(f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], outShape: number[]) {
  const run = () =>
    tf.tidy(() => {
      const inputs = shapes.map((s, i) => random(s, 10 + i, 2));
      const dy = random(outShape, 99);
      const value = f(...inputs);
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs);
      return [value, ...grads];
    });
  await tf.setBackend('cpu');
  const cpu = run();
  await tf.setBackend('webgpu');
  expect(kernelsOn()).toBe(true);
  const gpu = run();
  const worst = await maxRelative(gpu, cpu);
  tf.dispose([...cpu, ...gpu]);
  return worst;
}

describe('RM Lab WebGPU kernels', () => {
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    expect(await tf.setBackend('webgpu')).toBe(true);
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('compile and agree with their compositions on this adapter (checkKernels, no warning)', async () => {
    const warn = vi.spyOn(console, 'warn');
    expect(await checkKernels()).toBe(true);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('LayerNorm: value and the gradients of x, gamma and beta', async () => {
    const worst = await compare(
      (x, g, b) => layerNorm(x!, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12),
      [[2, 5, 48], [48], [48]],
      [2, 5, 48],
    );
    expect(worst).toBeLessThan(1e-4);
  });

  it('LayerNorm of a residual sum (BERT post-LN): value and the gradients of x, the residual, gamma and beta', async () => {
    const worst = await compare(
      (x, r, g, b) => addLayerNorm(x!, r!, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12),
      [[2, 5, 48], [2, 5, 48], [48], [48]],
      [2, 5, 48],
    );
    expect(worst).toBeLessThan(1e-4);
  });

  it('LayerNorm on the kernel equals the plain composition on the same backend', async () => {
    await tf.setBackend('webgpu');
    const [a, b] = tf.tidy(() => {
      const x = random([3, 7, 32], 5, 3);
      const g = random([32], 6);
      const be = random([32], 7);
      return [
        layerNorm(x, g as tf.Tensor1D, be as tf.Tensor1D, 1e-5),
        layerNormPlain(x, g as tf.Tensor1D, be as tf.Tensor1D, 1e-5),
      ];
    });
    expect(await maxRelative([a!], [b!])).toBeLessThan(1e-5);
    tf.dispose([a!, b!]);
  });

  it.each([
    ['erf', geluErf],
    ['tanh', geluTanh],
  ] as const)('GELU (%s): value and gradient', async (_, gelu) => {
    expect(await compare((x) => gelu(x!), [[2, 5, 48]], [2, 5, 48])).toBeLessThan(1e-5);
  });

  it('masked softmax: probabilities and the gradient of the scores, padding masked', async () => {
    const worst = await compare(
      (s) =>
        maskedSoftmax(s as tf.Tensor4D, attentionBias(tf.tensor2d([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1], [2, 6])), 0.35),
      [[2, 3, 6, 6]],
      [2, 3, 6, 6],
    );
    expect(worst).toBeLessThan(1e-5);
  });

  // The fused attention kernel against the composition, both from the same inputs: the mask is made
  // inside f so each backend builds it its own way (attentionMask picks the kernel on WebGPU only).
  const padded = () => tf.tensor2d([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1], [2, 6]);

  it('attention (separate q, k, v; 3 heads of 8): value and the gradients of q, k and v, padding masked', async () => {
    const worst = await compare(
      (q, k, v) =>
        multiHeadAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, attentionMask(padded()), 3, true),
      [
        [2, 6, 24],
        [2, 6, 24],
        [2, 6, 24],
      ],
      [2, 6, 24],
    );
    expect(worst).toBeLessThan(1e-5);
  });

  it('packed attention (one [B, T, 3D] projection; 2 heads of 16): value and the gradient of qkv', async () => {
    const worst = await compare(
      (qkv) => packedAttention(qkv as tf.Tensor3D, attentionMask(padded()), 2),
      [[2, 6, 96]],
      [2, 6, 32],
    );
    expect(worst).toBeLessThan(1e-5);
  });

  it('attention on the kernel writes nothing into padded keys: a padded key changes no output', async () => {
    await tf.setBackend('webgpu');
    const [a, b] = tf.tidy(() => {
      const qkv = random([2, 6, 48], 3, 2) as tf.Tensor3D;
      // Change every value of the padded tokens (positions 3..5 of the first sequence).
      const keep = tf.reshape(tf.tensor1d([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]), [2, 6, 1]);
      const other = tf.add(tf.mul(qkv, keep), tf.mul(tf.sub(1, keep), random([2, 6, 48], 4, 5)));
      const first = (x: tf.Tensor) =>
        tf.slice(packedAttention(x as tf.Tensor3D, attentionMask(padded()), 2), [0, 0, 0], [1, 3, 16]);
      return [first(qkv), first(other)];
    });
    expect(await maxRelative([a!], [b!])).toBeLessThan(1e-6);
    tf.dispose([a!, b!]);
  });

  it('mean pooling over the real tokens: value and the gradient of x, padding left out', async () => {
    const worst = await compare(
      (x) => pool(x as tf.Tensor3D, tf.tensor2d([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1], [2, 6]), 'mean'),
      [[2, 6, 40]],
      [2, 40],
    );
    expect(worst).toBeLessThan(1e-5);
  });

  it('linear (fused bias on WebGPU): value and the gradients of x, w and b', async () => {
    const worst = await compare(
      (x, w, b) => linear(x!, w as tf.Tensor2D, b as tf.Tensor1D),
      [[2, 5, 24], [24, 40], [40]],
      [2, 5, 40],
    );
    expect(worst).toBeLessThan(1e-5);
  });
});
