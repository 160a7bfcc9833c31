// The building blocks in src/core/model/ops/ (their plain-tfjs compositions, the path every backend
// but WebGPU takes and the reference its kernels are tested against in tests/browser/ops-webgpu.test.ts)
// against the textbook formulas written with plain ops and differentiated by tfjs's autodiff, on the
// cpu and wasm backends; and AdamW's composition against tfjs's own Adam, bit for bit.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { adamwStepPlain, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON, nextAccBeta } from '../../src/core/model/ops/adamw.ts';
import { geluErf, geluTanh } from '../../src/core/model/ops/gelu.ts';
import { layerNorm } from '../../src/core/model/ops/layer-norm.ts';
import { dense, linear } from '../../src/core/model/ops/linear.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale),
    shape,
  );
}

/** Largest |a - b| relative to the largest |b|, over value and gradients. */
function worst(a: tf.Tensor[], b: tf.Tensor[]): number {
  let w = 0;
  for (const [i, t] of a.entries()) {
    const x = t.dataSync();
    const y = b[i]!.dataSync();
    let err = 0;
    let scale = 1e-3;
    for (let k = 0; k < y.length; k++) {
      err = Math.max(err, Math.abs(x[k]! - y[k]!));
      scale = Math.max(scale, Math.abs(y[k]!));
    }
    w = Math.max(w, err / scale);
  }
  return w;
}

/** f's value and gradients of sum(f(inputs) * dy), against the same for g. */
function against(f: (...x: tf.Tensor[]) => tf.Tensor, g: (...x: tf.Tensor[]) => tf.Tensor, shapes: number[][]) {
  return tf.tidy(() => {
    const inputs = shapes.map((s, i) => random(s, 20 + i, 3));
    const dy = random(f(...inputs).shape, 7);
    const run = (h: typeof f) => [
      h(...inputs),
      ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(h(...xs), dy)))(inputs),
    ];
    return worst(run(f), run(g));
  });
}

const geluTanhTextbook = (x: tf.Tensor) =>
  tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
const geluErfTextbook = (x: tf.Tensor) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
const layerNormTextbook = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, 1e-5))), g), b);
};

describe.each(['cpu', 'wasm'])('ops on the %s backend', (backend) => {
  it('sets the backend', async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('geluTanh (x*x*x, hand-written gradient) is the textbook tanh GELU (with pow, autodiff)', () => {
    expect(against(geluTanh, geluTanhTextbook, [[4, 33]])).toBeLessThan(1e-5);
  });

  it('geluErf is the textbook exact GELU', () => {
    expect(against(geluErf, geluErfTextbook, [[4, 33]])).toBeLessThan(1e-5);
  });

  it('layerNorm (hand-written gradient) is the textbook LayerNorm, for x, gamma and beta', () => {
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
    expect(against(f as never, layerNormTextbook as never, [[2, 3, 16], [16], [16]])).toBeLessThan(1e-5);
  });

  it('linear is x @ w + b, for x, w and b; dense is x @ w exactly', () => {
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => linear(x, w as tf.Tensor2D, b as tf.Tensor1D);
    const g = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, 8]), w as tf.Tensor2D), b), [2, 3, 5]);
    expect(against(f as never, g as never, [[2, 3, 8], [8, 5], [5]])).toBeLessThan(1e-6);
    const d = (x: tf.Tensor, w: tf.Tensor) => dense(x as tf.Tensor2D, w as tf.Tensor2D);
    expect(
      against(d as never, ((x: tf.Tensor, w: tf.Tensor) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D)) as never, [
        [6, 8],
        [8, 5],
      ]),
    ).toBe(0);
  });

  it("AdamW's composition without clipping or decay is tfjs's Adam, bit for bit, over 3 steps", () => {
    const shapes = [[3, 4], [7]];
    const make = () => tf.tidy(() => shapes.map((s, i) => tf.variable(random(s, 50 + i), true)));
    const ours = make();
    const theirs = make();
    const moments = ours.map((v) =>
      tf.tidy(() => ({ m: tf.variable(tf.zerosLike(v), false), v: tf.variable(tf.zerosLike(v), false) })),
    );
    const adam = tf.train.adam(0.01, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON);
    let acc1 = Math.fround(ADAM_BETA1);
    let acc2 = Math.fround(ADAM_BETA2);
    for (let t = 0; t < 3; t++) {
      const grads = shapes.map((s, i) => random(s, 100 * t + i));
      const s = { learningRate: 0.01, weightDecay: 0, maxGradNorm: 0, accBeta1: acc1, accBeta2: acc2 };
      adamwStepPlain(ours, grads, moments, [true, false], s).dispose();
      adam.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
      acc1 = nextAccBeta(acc1, ADAM_BETA1);
      acc2 = nextAccBeta(acc2, ADAM_BETA2);
      tf.dispose(grads);
    }
    for (const [i, v] of ours.entries()) expect(Array.from(v.dataSync())).toEqual(Array.from(theirs[i]!.dataSync()));
    adam.dispose();
    tf.dispose([...ours, ...theirs, ...moments.flatMap((m) => [m.m, m.v])]);
  });
});

afterAll(async () => {
  await tf.setBackend('cpu');
});
