// The multi-tensor AdamW kernel (src/core/model/ops/webgpu/adamw.ts) on WebGPU (Chromium, Dawn's
// software adapter here) against the plain-tfjs composition (ops/adamw.ts) on the cpu backend, from
// the same weights and gradients: clipping, weight decay on matrices only, both moments, the bias
// corrections, over several steps. Nine parameters of mixed shapes: two sumsq dispatches (6 + 3)
// and an update dispatch with a single parameter (9 is odd), so every shader variant runs. Then a
// save and restore in the middle gives the uninterrupted run bit for bit, and a kernel the device
// refuses falls back to the plain ops with one warning. Tiny shapes: the software adapter is slow.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdamW } from '../../src/core/train/optimizer.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';

const SHAPES = [[5, 3], [3], [300], [7, 40], [1], [2, 2], [33], [64, 9], [4]];
const STEPS = 4;
const LR = [1e-2, 2e-2, 5e-3, 1e-2];
const WEIGHT_DECAY = 0.1;

function numbers(seed: number, n: number, scale: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const startWeights = SHAPES.map((s, i) => numbers(100 + i, size(s), 0.5));
/** Per step and parameter: large enough that clipping at 1 bites. */
const gradients = Array.from({ length: STEPS }, (_, t) => SHAPES.map((s, i) => numbers(1000 * t + i, size(s), 0.3)));

interface Outcome {
  implementation: string;
  norms: number[];
  weights: Float32Array[];
  moments: { m: Float32Array; v: Float32Array }[];
}

/** `steps` AdamW steps from the start weights on the current backend (optionally saved and restored after `cut`). */
async function train(maxGradNorm: number, cut?: number): Promise<Outcome> {
  const vars = tf.tidy(() => SHAPES.map((s, i) => tf.variable(tf.tensor(startWeights[i]!, s), true)));
  let optimizer = await AdamW.create(vars, WEIGHT_DECAY, maxGradNorm);
  const implementation = optimizer.implementation;
  const norms: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    if (t === cut) {
      const saved = await optimizer.save();
      optimizer.dispose();
      optimizer = await AdamW.create(vars, WEIGHT_DECAY, maxGradNorm);
      optimizer.restore(saved, saved.moments);
    }
    const grads: tf.NamedTensorMap = Object.fromEntries(
      vars.map((v, i) => [v.name, tf.tensor(gradients[t]![i]!, SHAPES[i]!)]),
    );
    const norm = optimizer.step(grads, LR[t]!);
    norms.push((await norm.data())[0]!);
    tf.dispose([norm, ...Object.values(grads)]);
  }
  const weights = await Promise.all(vars.map(async (v) => new Float32Array(await v.data<'float32'>())));
  const { moments } = await optimizer.save();
  optimizer.dispose();
  tf.dispose(vars);
  return { implementation, norms, weights, moments };
}

/** Largest |a - b| over a tensor, relative to the largest |b| (at least 1e-3). */
function relative(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

describe('the multi-tensor AdamW kernel on WebGPU', () => {
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([1, 0])(
    'maxGradNorm %s: norms, weights and moments match the plain ops on the cpu backend',
    async (maxGradNorm) => {
      await tf.setBackend('cpu');
      const plain = await train(maxGradNorm);
      expect(plain.implementation).toBe('plain');
      expect(await tf.setBackend('webgpu')).toBe(true);
      const before = tf.memory().numTensors;
      const gpu = await train(maxGradNorm);
      expect(tf.memory().numTensors).toBe(before);
      expect(gpu.implementation).toBe('webgpu-kernel');
      if (maxGradNorm > 0) expect(Math.max(...plain.norms)).toBeGreaterThan(maxGradNorm); // clipping bites
      for (let t = 0; t < STEPS; t++)
        expect(Math.abs(gpu.norms[t]! - plain.norms[t]!)).toBeLessThan(1e-5 * plain.norms[t]!);
      for (const [i, w] of gpu.weights.entries()) {
        expect(relative(w, plain.weights[i]!), `weight ${i}`).toBeLessThan(1e-5);
        expect(relative(gpu.moments[i]!.m, plain.moments[i]!.m), `m ${i}`).toBeLessThan(1e-5);
        expect(relative(gpu.moments[i]!.v, plain.moments[i]!.v), `v ${i}`).toBeLessThan(1e-5);
      }
      // the weights moved (a kernel that wrote nothing would fail here)
      expect(relative(gpu.weights[3]!, startWeights[3]!)).toBeGreaterThan(1e-3);
    },
  );

  it('a save and restore between steps gives the uninterrupted run, bit for bit', async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    const whole = await train(1);
    const cut = await train(1, 2);
    expect(cut.norms).toEqual(whole.norms);
    for (const [i, w] of whole.weights.entries()) expect(Array.from(cut.weights[i]!)).toEqual(Array.from(w));
  });

  it('falls back to the plain ops, with one warning, when the device refuses the kernel', async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const refuse = vi.spyOn(device, 'createComputePipelineAsync').mockRejectedValue(new Error('refused by this test'));
    try {
      const first = await train(1);
      const second = await train(1);
      expect(first.implementation).toBe('plain');
      expect(second.implementation).toBe('plain');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/AdamW kernel did not compile.*refused by this test/);
    } finally {
      refuse.mockRestore();
      warn.mockRestore();
    }
  });
});
