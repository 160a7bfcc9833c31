// GELU forward and backward as one WGSL dispatch each (see ../gelu.ts for the maths). erf is
// Abramowitz-Stegun 7.1.26, as tfjs's own webgpu and cpu Erf kernels compute it; tanh is written
// through exp(-2|x|), as tfjs's webgpu Tanh is, so a large |x| gives +-1, never NaN.
import type * as tf from '@tensorflow/tfjs';
import type { GeluForm } from '../gelu.ts';
import { program, run } from './program.ts';

const FUNCTIONS = `
fn erf_(v : f32) -> f32 {
  let p = 0.3275911;
  let a1 = 0.254829592; let a2 = -0.284496736; let a3 = 1.421413741; let a4 = -1.453152027; let a5 = 1.061405429;
  let x = abs(v);
  let t = 1.0 / (1.0 + p * x);
  let y = 1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * exp(-x * x);
  return sign(v) * y;
}
fn tanh_(v : f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}
fn gelu_erf(x : f32) -> f32 { return x * 0.5 * (1.0 + erf_(x * ${Math.SQRT1_2})); }
fn gelu_erf_grad(x : f32) -> f32 {
  return 0.5 * (1.0 + erf_(x * ${Math.SQRT1_2})) + x * exp(-0.5 * x * x) * ${1 / Math.sqrt(2 * Math.PI)};
}
fn gelu_tanh(x : f32) -> f32 {
  let t = tanh_(x * (1.0 + 0.044715 * x * x) * ${Math.sqrt(2 / Math.PI)});
  return 0.5 * x * (1.0 + t);
}
fn gelu_tanh_grad(x : f32) -> f32 {
  let t = tanh_(x * (1.0 + 0.044715 * x * x) * ${Math.sqrt(2 / Math.PI)});
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * ${Math.sqrt(2 / Math.PI)} * (1.0 + ${3 * 0.044715} * x * x);
}`;

export function geluKernel(x: tf.Tensor, form: GeluForm): tf.Tensor {
  const p = program(
    `gelu_${form}`,
    ['x'],
    x.shape,
    x.size,
    `${FUNCTIONS}
fn main(index : i32) {
  if (index < uniforms.size) { result[index] = gelu_${form}(x[index]); }
}`,
  );
  p.size = true;
  return run(p, [x]);
}

/** dy * GELU'(x) */
export function geluGradKernel(dy: tf.Tensor, x: tf.Tensor, form: GeluForm): tf.Tensor {
  const p = program(
    `gelu_${form}_grad`,
    ['dy', 'x'],
    x.shape,
    x.size,
    `${FUNCTIONS}
fn main(index : i32) {
  if (index < uniforms.size) { result[index] = dy[index] * gelu_${form}_grad(x[index]); }
}`,
  );
  p.size = true;
  return run(p, [dy, x]);
}
