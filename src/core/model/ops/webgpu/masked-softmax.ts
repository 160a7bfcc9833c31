// softmax(scale * scores + bias) over the last axis in WGSL, one thread a row of keys: one dispatch
// forward (tfjs: mul, add, softmax), one backward (tfjs: the softmax gradient's mul, sum, sub, mul and
// the scale's mul). See ../attention.ts.
import * as tf from '@tensorflow/tfjs';
import { program, run } from './program.ts';

const UNIFORMS = 'rows : i32, T : i32, rowsPerBias : i32, scale : f32,';

function numbers(rows: number, T: number, rowsPerBias: number, scale: number) {
  return [
    { type: 'int32' as const, data: [rows] },
    { type: 'int32' as const, data: [T] },
    { type: 'int32' as const, data: [rowsPerBias] },
    { type: 'float32' as const, data: [scale] },
  ];
}

/**
 * Runs `source` with one thread a row of keys over [B, H, Tq, T] (rows = B * H * Tq), on `inputs`
 * named as the WGSL names them, the first of them giving the output's shape.
 */
function perRow(name: string, inputs: Record<string, tf.Tensor>, scale: number, source: string) {
  const [first] = Object.values(inputs) as [tf.Tensor4D];
  const [B, H, Tq, T] = first.shape;
  const rows = B * H * Tq;
  const p = program(name, Object.keys(inputs), first.shape, rows, source, UNIFORMS);
  return run(p, Object.values(inputs), numbers(rows, T, H * Tq, scale)) as tf.Tensor4D;
}

/** scores [B, H, Tq, T], bias [B, 1, 1, T] -> probabilities [B, H, Tq, T] */
export function maskedSoftmaxKernel(scores: tf.Tensor4D, bias: tf.Tensor, scale: number): tf.Tensor4D {
  return perRow(
    'masked_softmax',
    { scores, bias },
    scale,
    `
fn main(r : i32) {
  if (r >= uniforms.rows) { return; }
  let T = uniforms.T;
  let b = (r / uniforms.rowsPerBias) * T;
  var top = -3.0e38;
  for (var j = 0; j < T; j++) { top = max(top, scores[r * T + j] * uniforms.scale + bias[b + j]); }
  var s = 0.0;
  for (var j = 0; j < T; j++) { s += exp(scores[r * T + j] * uniforms.scale + bias[b + j] - top); }
  for (var j = 0; j < T; j++) { result[r * T + j] = exp(scores[r * T + j] * uniforms.scale + bias[b + j] - top) / s; }
}`,
  );
}

/** d loss / d scores = scale * P * (dP - sum(dP * P)), from dP and P [B, H, Tq, T]. */
export function maskedSoftmaxGradKernel(dp: tf.Tensor4D, probs: tf.Tensor4D, scale: number): tf.Tensor4D {
  return perRow(
    'masked_softmax_grad',
    { dp, probs },
    scale,
    `
fn main(r : i32) {
  if (r >= uniforms.rows) { return; }
  let T = uniforms.T;
  var s = 0.0;
  for (var j = 0; j < T; j++) { s += dp[r * T + j] * probs[r * T + j]; }
  for (var j = 0; j < T; j++) { result[r * T + j] = uniforms.scale * probs[r * T + j] * (dp[r * T + j] - s); }
}`,
  );
}
