// LayerNorm over the last axis in WGSL: one dispatch forward, four backward (see ../layer-norm.ts for
// the maths). One thread a row for the forward pass, the row statistics and dx (rows are at most a
// model's width, a few hundred values); one thread a column for dgamma and dbeta, summing over rows.
// tfjs's plain composition takes ~9 dispatches forward and ~11 (custom gradient) to ~20 (autodiff)
// backward.
import * as tf from '@tensorflow/tfjs';
import { program, run } from './program.ts';

const UNIFORMS = 'rows : i32, D : i32, eps : f32,';
const numbers = (rows: number, D: number, eps: number) => [
  { type: 'int32' as const, data: [rows] },
  { type: 'int32' as const, data: [D] },
  { type: 'float32' as const, data: [eps] },
];

/** Mean and 1/std of row r of x, into (mean, rstd). */
const ROW_STATS = `
fn rowStats(r : i32) -> vec2<f32> {
  let D = uniforms.D;
  var s = 0.0;
  for (var j = 0; j < D; j++) { s += x[r * D + j]; }
  let mean = s / f32(D);
  var v = 0.0;
  for (var j = 0; j < D; j++) { let c = x[r * D + j] - mean; v += c * c; }
  return vec2<f32>(mean, inverseSqrt(v / f32(D) + uniforms.eps));
}`;

/** x [N, D], gamma [D], beta [D] -> [N, D] */
export function layerNormKernel(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  const [N, D] = x.shape;
  const p = program(
    'layer_norm',
    ['x', 'gamma', 'beta'],
    [N, D],
    N,
    `${ROW_STATS}
fn main(r : i32) {
  if (r >= uniforms.rows) { return; }
  let st = rowStats(r);
  let D = uniforms.D;
  for (var j = 0; j < D; j++) { result[r * D + j] = (x[r * D + j] - st.x) * st.y * gamma[j] + beta[j]; }
}`,
    UNIFORMS,
  );
  return run(p, [x, gamma, beta], numbers(N, D, eps)) as tf.Tensor2D;
}

/** d loss / d (x, gamma, beta) from dy [N, D], x [N, D], gamma [D]. */
export function layerNormGradKernel(
  dy: tf.Tensor2D,
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  eps: number,
): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  const [N, D] = x.shape;
  const u = numbers(N, D, eps);
  const stats = run(
    program(
      'layer_norm_stats',
      ['x'],
      [N, 2],
      N,
      `${ROW_STATS}
fn main(r : i32) {
  if (r >= uniforms.rows) { return; }
  let st = rowStats(r);
  result[2 * r] = st.x;
  result[2 * r + 1] = st.y;
}`,
      UNIFORMS,
    ),
    [x],
    u,
  );
  // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma
  const dx = run(
    program(
      'layer_norm_dx',
      ['dy', 'x', 'gamma', 'stats'],
      [N, D],
      N,
      `
fn main(r : i32) {
  if (r >= uniforms.rows) { return; }
  let D = uniforms.D;
  let mean = stats[2 * r];
  let rstd = stats[2 * r + 1];
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = 0; j < D; j++) {
    let g = dy[r * D + j] * gamma[j];
    sg += g;
    sgx += g * (x[r * D + j] - mean) * rstd;
  }
  let mg = sg / f32(D);
  let mgx = sgx / f32(D);
  for (var j = 0; j < D; j++) {
    let g = dy[r * D + j] * gamma[j];
    let xhat = (x[r * D + j] - mean) * rstd;
    result[r * D + j] = rstd * (g - mg - xhat * mgx);
  }
}`,
      UNIFORMS,
    ),
    [dy, x, gamma, stats],
    u,
  ) as tf.Tensor2D;
  const dgamma = column(
    u,
    'layer_norm_dgamma',
    [dy, x, stats],
    ['dy', 'x', 'stats'],
    'dy[r * D + j] * (x[r * D + j] - stats[2 * r]) * stats[2 * r + 1]',
  );
  const dbeta = column(u, 'layer_norm_dbeta', [dy], ['dy'], 'dy[r * D + j]');
  stats.dispose();
  return [dx, dgamma, dbeta];
}

/** A [D] sum over the rows of `term` (WGSL, in row r and column j), one thread a column. */
function column(
  u: ReturnType<typeof numbers>,
  key: string,
  inputs: tf.Tensor[],
  names: string[],
  term: string,
): tf.Tensor1D {
  const D = inputs[0]!.shape[1]!;
  const code = `
fn main(j : i32) {
  let D = uniforms.D;
  if (j >= D) { return; }
  var s = 0.0;
  for (var r = 0; r < uniforms.rows; r++) { s += ${term}; }
  result[j] = s;
}`;
  return run(program(key, names, [D], D, code, UNIFORMS), inputs, u) as tf.Tensor1D;
}
