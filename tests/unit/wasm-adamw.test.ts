// RM Lab's WebAssembly AdamW kernel (src/core/model/ops/wasm/adamw.c: one pass per parameter)
// against the plain-tfjs composition on the wasm backend, over three steps with clipping, weight
// decay on some parameters and not others, sizes that end part-way through a 4-wide vector, and
// without clipping; and the optimizer takes it on wasm.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWasmKernels } from '../../src/cli/wasm-kernels.ts';
import {
  adamwStep,
  adamwStepPlain,
  ADAM_BETA1,
  ADAM_BETA2,
  nextAccBeta,
  type AdamWStep,
} from '../../src/core/model/ops/adamw.ts';
import { wasmAdamWOn } from '../../src/core/model/ops/wasm/adamw.ts';
import { wasmSimdKernelsActive } from '../../src/core/model/ops/wasm/kernels.ts';
import { random } from '../wasm-kernels-compare.ts';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await installWasmKernels()).toBe(true);
  expect(wasmSimdKernelsActive()).toBe(true);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const SHAPES = [[7, 5], [3], [129], [4, 4]];
const DECAYS = [true, false, true, false];

/** Parameters, moments and three steps' gradients, then three steps of `step`; the final values. */
function train(step: typeof adamwStep, maxGradNorm: number): Float32Array[] {
  // In a tidy: a variable shares its initial tensor's data, and the initial tensor must go.
  const params = tf.tidy(() => SHAPES.map((s, i) => tf.variable(random(s, i), true, `p${i}`)));
  const moments = tf.tidy(() =>
    SHAPES.map((s) => ({ m: tf.variable(tf.zeros(s), false), v: tf.variable(tf.zeros(s), false) })),
  );
  let [acc1, acc2] = [ADAM_BETA1, ADAM_BETA2];
  const norms: number[] = [];
  for (let t = 0; t < 3; t++) {
    const grads = SHAPES.map((s, i) => random(s, 100 * (t + 1) + i, 3));
    const s: AdamWStep = { learningRate: 0.01, weightDecay: 0.1, maxGradNorm, accBeta1: acc1, accBeta2: acc2 };
    const norm = step(params, grads, moments, DECAYS, s);
    norms.push(norm.dataSync()[0]!);
    tf.dispose([norm, ...grads]);
    [acc1, acc2] = [nextAccBeta(acc1, ADAM_BETA1), nextAccBeta(acc2, ADAM_BETA2)];
  }
  const out = [...params, ...moments.flatMap(({ m, v }) => [m, v])].map((x) => x.dataSync() as Float32Array);
  tf.dispose([...params, ...moments.flatMap(({ m, v }) => [m, v])]);
  return [Float32Array.from(norms), ...out];
}

describe("RM Lab's wasm AdamW", () => {
  it('runs on the wasm backend in Node', () => {
    expect(wasmAdamWOn()).toBe(true);
  });

  it.each([1, 0])(
    'gives the composition’s parameters, moments and norms, bit for bit, over three steps (max norm %s)',
    (maxGradNorm) => {
      const before = tf.memory().numTensors;
      const ours = train(adamwStep, maxGradNorm);
      expect(tf.memory().numTensors).toBe(before); // nothing left behind
      const theirs = train(adamwStepPlain, maxGradNorm);
      expect(ours.length).toBe(theirs.length);
      ours.forEach((o, i) => expect(Array.from(o), `tensor ${i}`).toEqual(Array.from(theirs[i]!)));
    },
  );
});
