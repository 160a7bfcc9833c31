// LayerNorm over the last axis in WGSL: one dispatch forward, two backward (see ../layer-norm.ts for
// the maths). One thread a row for the forward pass, the row statistics and dx (rows are at most a
// model's width, a few hundred values); one thread a column for dgamma and dbeta, summing over rows.
// tfjs's plain composition takes ~9 dispatches forward and ~11 (custom gradient) to ~20 (autodiff)
// backward.
import type * as tf from '@tensorflow/tfjs';
import { groupsFor, runMulti, type UniformField } from './dispatch.ts';
import { program, run } from './program.ts';

const WG = 64;

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

/**
 * The rows' reads of x: x itself, or x + residual (a residual sum fused into the LayerNorm after it,
 * as BERT's post-LN layers have it: the sum is made in float32 as tf.add makes it).
 */
function reads(code: string, residual: boolean): string {
  const X = residual ? 'fn X(i : i32) -> f32 { return x[i] + res[i]; }' : 'fn X(i : i32) -> f32 { return x[i]; }';
  return `${X}\n${code.replace(/\bx\[r \* D \+ j\]/g, 'X(r * D + j)')}`; // not dx[...]
}

/** x [N, D] (+ residual [N, D]), gamma [D], beta [D] -> [N, D] */
export function layerNormKernel(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  residual?: tf.Tensor2D,
): tf.Tensor2D {
  const [N, D] = x.shape;
  const p = program(
    residual ? 'add_layer_norm' : 'layer_norm',
    residual ? ['x', 'res', 'gamma', 'beta'] : ['x', 'gamma', 'beta'],
    [N, D],
    N,
    reads(
      `${ROW_STATS}
fn main(r : i32) {
  if (r >= uniforms.rows) { return; }
  let st = rowStats(r);
  let D = uniforms.D;
  for (var j = 0; j < D; j++) { result[r * D + j] = (x[r * D + j] - st.x) * st.y * gamma[j] + beta[j]; }
}`,
      residual !== undefined,
    ),
    UNIFORMS,
  );
  const inputs = residual ? [x, residual, gamma, beta] : [x, gamma, beta];
  return run(p, inputs, numbers(N, D, eps)) as tf.Tensor2D;
}

/** One thread a row: its mean and 1/std into `stats`, and dx. */
const ROWS_GRAD = `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = i32(gid.x);
  if (r >= u.rows) { return; }
  let D = u.D;
  var s = 0.0;
  for (var j = 0; j < D; j++) { s += x[r * D + j]; }
  let mean = s / f32(D);
  var v = 0.0;
  for (var j = 0; j < D; j++) { let c = x[r * D + j] - mean; v += c * c; }
  let rstd = inverseSqrt(v / f32(D) + u.eps);
  stats[2 * r] = mean;
  stats[2 * r + 1] = rstd;
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
    dx[r * D + j] = rstd * (g - mg - xhat * mgx);
  }
}`;

/** One thread a column: dgamma and dbeta, summed over the rows. */
const COLUMNS_GRAD = `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = i32(gid.x);
  let D = u.D;
  if (j >= D) { return; }
  var sgamma = 0.0;
  var sbeta = 0.0;
  for (var r = 0; r < u.rows; r++) {
    let g = dy[r * D + j];
    sgamma += g * (x[r * D + j] - stats[2 * r]) * stats[2 * r + 1];
    sbeta += g;
  }
  dgamma[j] = sgamma;
  dbeta[j] = sbeta;
}`;

/**
 * d loss / d (x, gamma, beta) from dy [N, D], x [N, D], gamma [D], in two dispatches (./dispatch.ts,
 * two outputs each): one thread a row for the row statistics and dx, one thread a column for dgamma
 * and dbeta, which reads the statistics the first wrote.
 */
export function layerNormGradKernel(
  dy: tf.Tensor2D,
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  eps: number,
  residual?: tf.Tensor2D,
): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  const fused = residual !== undefined;
  const xs = residual
    ? [
        { name: 'x', tensor: x },
        { name: 'res', tensor: residual },
      ]
    : [{ name: 'x', tensor: x }];
  const [N, D] = x.shape;
  const uniforms: UniformField[] = [
    ['rows', 'i32', N],
    ['D', 'i32', D],
    ['eps', 'f32', eps],
  ];
  // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma
  const [dx, stats] = runMulti({
    key: `layer_norm_grad_rows_${fused}`,
    inputs: [{ name: 'dy', tensor: dy }, ...xs, { name: 'gamma', tensor: gamma }],
    outputs: [
      { name: 'dx', shape: [N, D] },
      { name: 'stats', shape: [N, 2] },
    ],
    uniforms,
    code: reads(ROWS_GRAD, fused),
    workgroupSize: WG,
    workgroups: groupsFor(N, WG),
  });
  const [dgamma, dbeta] = runMulti({
    key: `layer_norm_grad_columns_${fused}`,
    inputs: [{ name: 'dy', tensor: dy }, ...xs, { name: 'stats', tensor: stats! }],
    outputs: [
      { name: 'dgamma', shape: [D] },
      { name: 'dbeta', shape: [D] },
    ],
    uniforms,
    code: reads(COLUMNS_GRAD, fused),
    workgroupSize: WG,
    workgroups: groupsFor(D, WG),
  });
  stats!.dispose();
  return [dx as tf.Tensor2D, dgamma as tf.Tensor1D, dbeta as tf.Tensor1D];
}
