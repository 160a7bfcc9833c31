// WGSL kernels that read a weight stored as f16, two halves to a 32-bit word (../f16.ts packs it),
// and compute in float32: unpack2x16float widens a word to a vec2<f32>, products and sums are f32.
// unpack2x16float is a core WGSL builtin (no `enable f16;`), so these run on every adapter.
// Words arrive as an int32 tensor (tfjs has no u32 or f16 dtype) and are bitcast to u32.
//
//   product       y [M, N] = x [M, K] W [K, N] (+ b [N])   one thread per output pair (n = 2j, 2j + 1)
//   product's dx  dx [M, K] = dy [M, N] W^T                 one thread per output; W frozen: no dW
//   rows          out [R, C] = W[ids[r], :]                 an embedding lookup (or W[start + r, :])
import type * as tf from '@tensorflow/tfjs';
import { program, run } from './program.ts';

/** Word j of row k of a packed matrix with P words a row, as two f32s. */
const HALVES = `
fn halves(k : i32, j : i32) -> vec2<f32> { return unpack2x16float(bitcast<u32>(w[k * uniforms.P + j])); }`;

const int = (n: number) => ({ type: 'int32' as const, data: [n] });

/** x [M, K] f32, words [K, ceil(N/2)] (W [K, N] in f16), bias [N] or none -> x W (+ b) [M, N] f32. */
export function f16MatMulKernel(x: tf.Tensor2D, words: tf.Tensor2D, N: number, bias?: tf.Tensor1D): tf.Tensor2D {
  const [M, K] = x.shape;
  const P = words.shape[1];
  const b = (n: string) => (bias ? ` + bias[${n}]` : '');
  const p = program(
    bias ? 'f16_matmul_bias' : 'f16_matmul',
    bias ? ['x', 'w', 'bias'] : ['x', 'w'],
    [M, N],
    M * P,
    `${HALVES}
fn main(index : i32) {
  let P = uniforms.P;
  if (index >= uniforms.M * P) { return; }
  let m = index / P;
  let j = index % P;
  let K = uniforms.K;
  var s = vec2<f32>(0.0, 0.0);
  for (var k = 0; k < K; k++) { s += x[m * K + k] * halves(k, j); }
  let n = 2 * j;
  let N = uniforms.N;
  result[m * N + n] = s.x${b('n')};
  if (n + 1 < N) { result[m * N + n + 1] = s.y${b('n + 1')}; }
}`,
    'M : i32, K : i32, N : i32, P : i32,',
  );
  return run(p, bias ? [x, words, bias] : [x, words], [int(M), int(K), int(N), int(P)]) as tf.Tensor2D;
}

/** dy [M, N], words [K, ceil(N/2)] (W [K, N] in f16) -> dy W^T [M, K]: the product's gradient wrt x. */
export function f16MatMulGradXKernel(dy: tf.Tensor2D, words: tf.Tensor2D): tf.Tensor2D {
  const [M, N] = dy.shape;
  const [K, P] = words.shape;
  const p = program(
    'f16_matmul_dx',
    ['dy', 'w'],
    [M, K],
    M * K,
    `${HALVES}
fn main(index : i32) {
  let K = uniforms.K;
  if (index >= uniforms.M * K) { return; }
  let m = index / K;
  let k = index % K;
  let N = uniforms.N;
  var s = 0.0;
  for (var j = 0; j < uniforms.P; j++) {
    let h = halves(k, j);
    let n = 2 * j;
    s += dy[m * N + n] * h.x;
    if (n + 1 < N) { s += dy[m * N + n + 1] * h.y; }
  }
  result[index] = s;
}`,
    'M : i32, K : i32, N : i32, P : i32,',
  );
  return run(p, [dy, words], [int(M), int(K), int(N), int(P)]) as tf.Tensor2D;
}

/**
 * Rows of a packed [V, C] table as f32 [R, C]: rows ids[r] (an embedding lookup, ids int32 [R]),
 * or with no ids rows start .. start + R - 1 (positions). One thread per output pair.
 */
export function f16RowsKernel(
  words: tf.Tensor2D,
  C: number,
  rows: { ids: tf.Tensor1D } | { start: number; count: number },
): tf.Tensor2D {
  const P = words.shape[1];
  const R = 'ids' in rows ? rows.ids.shape[0] : rows.count;
  const start = 'ids' in rows ? 0 : rows.start;
  const row = 'ids' in rows ? 'ids[r]' : 'uniforms.start + r';
  const p = program(
    'ids' in rows ? 'f16_gather' : 'f16_rows',
    'ids' in rows ? ['w', 'ids'] : ['w'],
    [R, C],
    R * P,
    `${HALVES}
fn main(index : i32) {
  let P = uniforms.P;
  if (index >= uniforms.R * P) { return; }
  let r = index / P;
  let j = index % P;
  let h = halves(${row}, j);
  let C = uniforms.C;
  result[r * C + 2 * j] = h.x;
  if (2 * j + 1 < C) { result[r * C + 2 * j + 1] = h.y; }
}`,
    'R : i32, C : i32, P : i32, start : i32,',
  );
  const inputs = 'ids' in rows ? [words, rows.ids] : [words];
  return run(p, inputs, [int(R), int(C), int(P), int(start)]) as tf.Tensor2D;
}
