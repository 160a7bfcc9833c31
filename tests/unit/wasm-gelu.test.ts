// RM Lab's WebAssembly GELU kernels (src/core/model/ops/wasm/gelu.c, both forms, forward and
// backward) against float64 (the forms' definitions) and against the plain-tfjs composition that
// stays the reference and the fallback (values and gradients, on the wasm backend), at sizes that
// end part-way through a 4-wide vector; and the fallback when the kernels are not installed.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWasmKernels } from '../../src/cli/wasm-kernels.ts';
import { wasmSimdKernelsActive } from '../../src/core/model/ops/wasm/kernels.ts';
import { geluErf, geluTanh, plainDerivative, plainValue } from '../../src/core/model/ops/gelu.ts';
import { geluFloat64, geluGradOnWasm, geluOnWasm, wasmGeluOn } from '../../src/core/model/ops/wasm/gelu.ts';
import { maxAbsDiff, random, withPlainKernels } from '../wasm-kernels-compare.ts';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await installWasmKernels()).toBe(true);
  expect(wasmSimdKernelsActive()).toBe(true); // bound, and every self-check passed (else tfjs's kernels run)
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const FORMS = ['tanh', 'erf'] as const;
const GELU = { tanh: geluTanh, erf: geluErf };

describe("RM Lab's wasm GELU", () => {
  it('runs on the wasm backend in Node', () => {
    expect(wasmGeluOn()).toBe(true);
  });

  it.each(FORMS)('(%s) is within 5e-7 of float64 over -12..12, forward and backward (and exact far out)', (form) => {
    const grid = Array.from({ length: 24001 }, (_, i) => -12 + i / 1000);
    const xs = [...grid, -1e4, -90, -30, -1e-30, 0, 1e-30, 1e-7, 30, 90, 1e4];
    const x = tf.tensor1d(xs);
    const dy = tf.onesLike(x);
    const [value, grad] = [geluOnWasm(x, form).dataSync(), geluGradOnWasm(dy, x, form).dataSync()];
    let worst = 0;
    xs.forEach((xi, i) => {
      const want = geluFloat64(Math.fround(xi), form);
      // absolute error, relative to the value where the value is large (float32 holds 24 bits)
      const scale = Math.max(1, Math.abs(want.value));
      worst = Math.max(worst, Math.abs(value[i]! - want.value) / scale, Math.abs(grad[i]! - want.derivative));
    });
    expect(worst).toBeLessThan(5e-7); // measured: 2.0e-7 (tanh), 2.6e-7 (erf); the plain composition's up to 5.5e-7
    expect(Number.isFinite(worst)).toBe(true);
    tf.dispose([x, dy]);
  });

  it.each(FORMS)(
    '(%s) matches the plain composition, values and gradients, at 1, 3, 5, 17 and [2, 7, 33] elements',
    async (form) => {
      const shapes = [[1], [3], [5], [17], [2, 7, 33]];
      const run = () =>
        shapes.map((shape, i) =>
          tf.tidy(() => {
            const x = random(shape, i, 4);
            const dy = random(shape, 100 + i);
            const f = (a: tf.Tensor) => tf.sum(tf.mul(GELU[form](a), dy));
            return [GELU[form](x), tf.grad(f)(x)];
          }),
        );
      const ours = run();
      const theirs = await withPlainKernels(run);
      for (const [i, pair] of ours.entries()) {
        expect(maxAbsDiff(pair[0]!, theirs[i]![0]!), `value, shape ${shapes[i]}`).toBeLessThan(2e-6);
        expect(maxAbsDiff(pair[1]!, theirs[i]![1]!), `gradient, shape ${shapes[i]}`).toBeLessThan(2e-6);
      }
      tf.dispose([...ours.flat(), ...theirs.flat()]);
    },
  );

  it('gives back the plain composition exactly when its kernels are not installed', async () => {
    const x = random([4, 9], 7, 3);
    const [value, plain] = await withPlainKernels(() => {
      expect(wasmGeluOn()).toBe(false);
      return [geluTanh(x), plainValue(x, 'tanh')];
    });
    expect(Array.from(value.dataSync())).toEqual(Array.from(plain.dataSync()));
    const derivative = plainDerivative(x, 'erf');
    expect(maxAbsDiff(geluGradOnWasm(tf.onesLike(x), x, 'erf'), derivative)).toBeLessThan(2e-6);
    tf.dispose([x, value, plain, derivative]);
  });
});
