// GELU in its two forms, each with a hand-written gradient that keeps only its input, a WebGPU
// kernel for each (one dispatch forward, one backward; webgpu/gelu.ts) and a WebAssembly SIMD one
// (wasm/gelu.ts, wasm/gelu.c). The plain composition is the reference and the fallback.
//
// geluErf, 0.5 x (1 + erf(x / sqrt 2)): BERT's "gelu" (torch's F.gelu). tf.erf has a kernel on the
// cpu, wasm and webgpu backends in tfjs 4.22, computed with Abramowitz-Stegun 7.1.26 (absolute error
// under 1.5e-7), far inside the reference tolerance.
//   d/dx = Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi)
//
// geluTanh, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GPT-2's and BERT's "gelu_new", the
// built-in encoder's. x^3 is x * x * x, not tf.pow: pow was 12.5% of a built-in training step on WASM.
//   d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2),  t = tanh(...)
//
// Written with plain ops and autodiff, either form leaves five [N, intermediate] tensors alive until
// the backward pass (the widest tensors of a layer); as one custom gradient only x is kept.
import * as tf from '@tensorflow/tfjs';
import { kernelsOn, registerProbe } from './webgpu/program.ts';
import { geluKernel, geluGradKernel } from './webgpu/gelu.ts';
import { geluGradOnWasm, geluOnWasm, wasmGeluOn } from './wasm/gelu.ts';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
export const GELU_C = Math.sqrt(2 / Math.PI);
export const GELU_K = 0.044715;

export type GeluForm = 'erf' | 'tanh';

/** The plain-tfjs composition (exported for the kernels' tests). */
export function plainValue(x: tf.Tensor, form: GeluForm): tf.Tensor {
  if (form === 'erf') return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
  const t = tf.tanh(tf.mul(tf.mul(x, tf.add(1, tf.mul(GELU_K, tf.mul(x, x)))), GELU_C));
  return tf.mul(tf.mul(0.5, x), tf.add(1, t));
}

/** GELU'(x) as plain tfjs ops. */
export function plainDerivative(x: tf.Tensor, form: GeluForm): tf.Tensor {
  if (form === 'erf') {
    const phi = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI); // phi(x)
    return tf.add(tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))), tf.mul(x, phi));
  }
  const x2 = tf.mul(x, x);
  const t = tf.tanh(tf.mul(tf.mul(x, tf.add(1, tf.mul(GELU_K, x2))), GELU_C));
  const dInner = tf.mul(GELU_C, tf.add(1, tf.mul(3 * GELU_K, x2)));
  return tf.add(tf.mul(0.5, tf.add(1, t)), tf.mul(tf.mul(tf.mul(0.5, x), tf.sub(1, tf.square(t))), dInner));
}

function gelu<T extends tf.Tensor>(x: T, form: GeluForm): T {
  const op = tf.customGrad((xIn, save) => {
    const input = xIn as tf.Tensor;
    (save as tf.GradSaveFunc)([input]);
    return {
      value: kernelsOn() ? geluKernel(input, form) : wasmGeluOn() ? geluOnWasm(input, form) : plainValue(input, form),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx] = saved as [tf.Tensor];
        if (kernelsOn()) return geluGradKernel(dy, sx, form);
        return wasmGeluOn() ? geluGradOnWasm(dy, sx, form) : tf.mul(dy, plainDerivative(sx, form));
      },
    };
  });
  return op(x) as T;
}

/** BERT's exact GELU (hidden_act "gelu"). */
export function geluErf<T extends tf.Tensor>(x: T): T {
  return gelu(x, 'erf');
}

/** The tanh approximation (hidden_act "gelu_new"; the built-in encoder's). */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  return gelu(x, 'tanh');
}

for (const form of ['erf', 'tanh'] as const) {
  registerProbe(() =>
    tf.tidy(() => {
      const x = tf.linspace(-6, 6, 97);
      const dy = tf.linspace(0.5, 1.5, 97);
      return {
        name: `gelu (${form})`,
        kernel: tf.concat([geluKernel(x, form), geluGradKernel(dy, x, form)]),
        plain: tf.concat([plainValue(x, form), tf.mul(dy, plainDerivative(x, form))]),
        tolerance: 1e-5,
      };
    }),
  );
}
