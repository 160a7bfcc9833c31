// Sums over a model's rows in WGSL. Mean pooling over the real tokens: one dispatch forward, one
// backward (see ../pool.ts), where tfjs's composition takes 6 forward (mul, two sums as transpose +
// reduce each, div) and its Sum gradient uploads an array of ones the size of x, [B, T, D], every step.
// A column sum: a bias's gradient in one dispatch (../linear.ts), where tfjs's takes two (transpose + reduce).
import type * as tf from '@tensorflow/tfjs';
import { program, run } from './program.ts';

const UNIFORMS = 'B : i32, T : i32, D : i32,';
const numbers = (B: number, T: number, D: number) => [
  { type: 'int32' as const, data: [B] },
  { type: 'int32' as const, data: [T] },
  { type: 'int32' as const, data: [D] },
];

/** The count of real tokens of sequence b (0 for a fully padded row, which divides by it as the composition does). */
const COUNT = `
fn tokens(b : i32) -> f32 {
  var n = 0.0;
  for (var t = 0; t < uniforms.T; t++) { n += mask[b * uniforms.T + t]; }
  return n;
}`;

/** x [B, T, D], mask [B, T] -> [B, D]: sum_t mask x / sum_t mask. One thread an output. */
export function meanPoolKernel(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const [B, T, D] = x.shape;
  const p = program(
    'mean_pool',
    ['x', 'mask'],
    [B, D],
    B * D,
    `${COUNT}
fn main(index : i32) {
  if (index >= uniforms.B * uniforms.D) { return; }
  let D = uniforms.D;
  let b = index / D;
  let d = index % D;
  var s = 0.0;
  for (var t = 0; t < uniforms.T; t++) { s += x[(b * uniforms.T + t) * D + d] * mask[b * uniforms.T + t]; }
  result[index] = s / tokens(b);
}`,
    UNIFORMS,
  );
  return run(p, [x, mask], numbers(B, T, D)) as tf.Tensor2D;
}

/** d loss / d x [B, T, D] = dy[b] mask[b, t] / count(b), from dy [B, D]. One thread a token. */
export function meanPoolGradKernel(dy: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor3D {
  const [B, D] = dy.shape;
  const T = mask.shape[1];
  const p = program(
    'mean_pool_grad',
    ['dy', 'mask'],
    [B, T, D],
    B * T,
    `${COUNT}
fn main(row : i32) {
  if (row >= uniforms.B * uniforms.T) { return; }
  let D = uniforms.D;
  let b = row / uniforms.T;
  let share = mask[row] / tokens(b);
  for (var d = 0; d < D; d++) { result[row * D + d] = dy[b * D + d] * share; }
}`,
    UNIFORMS,
  );
  return run(p, [dy, mask], numbers(B, T, D)) as tf.Tensor3D;
}

/** sum over the rows of x [N, C] -> [C]: a bias's gradient. One thread a column. */
export function columnSumKernel(x: tf.Tensor2D): tf.Tensor1D {
  const [N, C] = x.shape;
  const p = program(
    'column_sum',
    ['x'],
    [C],
    C,
    `
fn main(j : i32) {
  if (j >= uniforms.C) { return; }
  var s = 0.0;
  for (var r = 0; r < uniforms.N; r++) { s += x[r * uniforms.C + j]; }
  result[j] = s;
}`,
    'N : i32, C : i32,',
  );
  return run(
    p,
    [x],
    [
      { type: 'int32', data: [N] },
      { type: 'int32', data: [C] },
    ],
  ) as tf.Tensor1D;
}
