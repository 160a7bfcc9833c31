// Multi-head attention with a padding mask as three WGSL dispatches a layer: one forward, two
// backward (see ../attention.ts for the maths and the plain composition). tfjs's composition takes
// ~10 forward (split or three projections' transposes, the scores' product, the masked softmax, the
// values' product, the heads' transpose back) and ~10 backward.
//
// The heads are read where the projections left them: q, k and v are rows of `stride` values per
// token ([B, T, D] each, or one packed [B, T, 3D] at offsets 0, D and 2D), head h at columns
// h*hs..(h+1)*hs. The output is [B, T, D] with the heads side by side, as the output projection
// wants it. One thread a (sequence, head, query) row, looping over keys: no tiling, so this is for
// the small models RM Lab trains, where a step is bound by the number of dispatches, not FLOPs.
//
//   forward   row (b, h, i):  s_j = scale q_i.k_j + (1 - mask_j) MASKED;  p = softmax(s);  y_i = sum_j p_j v_j
//             writes y and p (kept for the backward pass)
//   backward  row (b, h, i):  dp_j = dy_i.v_j;  ds_j = scale p_j (dp_j - sum_j' dp_j' p_j');  dq_i = sum_j ds_j k_j
//             writes dq and ds
//             key (b, h, j):  dk_j = sum_i ds_ij q_i;  dv_j = sum_i p_ij dy_i
import type * as tf from '@tensorflow/tfjs';
import { groupsFor, runMulti, type UniformField } from './dispatch.ts';

const WG = 64;

/** Where the heads sit: row stride and the column offsets of q, k and v. */
export interface HeadLayout {
  B: number;
  T: number;
  H: number;
  hs: number;
  stride: number;
  offsets: [number, number, number];
}

/** The WGSL index of element d of head h of token t of sequence b in a [B, T, stride] tensor at `off`. */
const INDEX = `fn rowAt(b: i32, t: i32, h: i32, off: i32) -> i32 { return (b * u.T + t) * u.stride + off + h * HS; }`;

function uniforms(l: HeadLayout, scale: number): UniformField[] {
  return [
    ['rows', 'i32', l.B * l.H * l.T],
    ['T', 'i32', l.T],
    ['H', 'i32', l.H],
    ['stride', 'i32', l.stride],
    ['qOff', 'i32', l.offsets[0]],
    ['kOff', 'i32', l.offsets[1]],
    ['vOff', 'i32', l.offsets[2]],
    ['scale', 'f32', scale],
  ];
}

/** The row's (b, h, i) from thread r = ((b H) + h) T + i. */
const ROW = `
  let r = i32(gid.x);
  if (r >= u.rows) { return; }
  let T = u.T;
  let i = r % T;
  let h = (r / T) % u.H;
  let b = r / (T * u.H);
  let pRow = r * T;`;

/** y [B, T, H hs] and probabilities [B, H, T, T] from q, k, v (see the file's head); mask [B, T]. */
export function attentionKernel(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask: tf.Tensor,
  l: HeadLayout,
  scale: number,
  masked: number,
): [tf.Tensor3D, tf.Tensor4D] {
  const code = `
const HS = ${l.hs};
${INDEX}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {${ROW}
  var qi: array<f32, HS>;
  let qb = rowAt(b, i, h, u.qOff);
  for (var d = 0; d < HS; d++) { qi[d] = q[qb + d]; }
  var top = -3.0e38;
  for (var j = 0; j < T; j++) {
    let kb = rowAt(b, j, h, u.kOff);
    var s = 0.0;
    for (var d = 0; d < HS; d++) { s += qi[d] * k[kb + d]; }
    s = s * u.scale + (1.0 - mask[b * T + j]) * ${masked.toFixed(1)};
    probs[pRow + j] = s;
    top = max(top, s);
  }
  var total = 0.0;
  for (var j = 0; j < T; j++) {
    let e = exp(probs[pRow + j] - top);
    probs[pRow + j] = e;
    total += e;
  }
  var acc: array<f32, HS>;
  for (var j = 0; j < T; j++) {
    let p = probs[pRow + j] / total;
    probs[pRow + j] = p;
    let vb = rowAt(b, j, h, u.vOff);
    for (var d = 0; d < HS; d++) { acc[d] += p * v[vb + d]; }
  }
  let yb = (b * T + i) * (u.H * HS) + h * HS;
  for (var d = 0; d < HS; d++) { y[yb + d] = acc[d]; }
}`;
  const [y, probs] = runMulti({
    key: `attention_${l.hs}`,
    inputs: [
      { name: 'q', tensor: q },
      { name: 'k', tensor: k },
      { name: 'v', tensor: v },
      { name: 'mask', tensor: mask },
    ],
    outputs: [
      { name: 'y', shape: [l.B, l.T, l.H * l.hs] },
      { name: 'probs', shape: [l.B, l.H, l.T, l.T] },
    ],
    uniforms: uniforms(l, scale),
    code,
    workgroupSize: WG,
    workgroups: groupsFor(l.B * l.H * l.T, WG),
  });
  return [y as tf.Tensor3D, probs as tf.Tensor4D];
}

/** The backward pass's query rows: dq and ds (see the file's head). */
function rowGradShader(hs: number, dq: string): string {
  return `
const HS = ${hs};
${INDEX}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {${ROW}
  var dyi: array<f32, HS>;
  let yb = (b * T + i) * (u.H * HS) + h * HS;
  for (var d = 0; d < HS; d++) { dyi[d] = dy[yb + d]; }
  var t = 0.0;
  for (var j = 0; j < T; j++) {
    let vb = rowAt(b, j, h, u.vOff);
    var dp = 0.0;
    for (var d = 0; d < HS; d++) { dp += dyi[d] * v[vb + d]; }
    ds[pRow + j] = dp;
    t += dp * probs[pRow + j];
  }
  var acc: array<f32, HS>;
  for (var j = 0; j < T; j++) {
    let g = u.scale * probs[pRow + j] * (ds[pRow + j] - t);
    ds[pRow + j] = g;
    let kb = rowAt(b, j, h, u.kOff);
    for (var d = 0; d < HS; d++) { acc[d] += g * k[kb + d]; }
  }
  let qb = rowAt(b, i, h, u.qOff);
  for (var d = 0; d < HS; d++) { ${dq}[qb + d] = acc[d]; }
}`;
}

/** The backward pass's key rows: dk and dv. Thread r is key j of (b, h): the same decomposition of r. */
function keyGradShader(hs: number, dk: string, dv: string): string {
  return `
const HS = ${hs};
${INDEX}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {${ROW}
  let j = i;
  var ak: array<f32, HS>;
  var av: array<f32, HS>;
  let col0 = (r - j) * T + j; // element (b, h, query 0, key j)
  for (var qi = 0; qi < T; qi++) {
    let g = ds[col0 + qi * T];
    let p = probs[col0 + qi * T];
    let qb = rowAt(b, qi, h, u.qOff);
    let yb = (b * T + qi) * (u.H * HS) + h * HS;
    for (var d = 0; d < HS; d++) {
      ak[d] += g * q[qb + d];
      av[d] += p * dy[yb + d];
    }
  }
  let kb = rowAt(b, j, h, u.kOff);
  let vb = rowAt(b, j, h, u.vOff);
  for (var d = 0; d < HS; d++) {
    ${dk}[kb + d] = ak[d];
    ${dv}[vb + d] = av[d];
  }
}`;
}

/**
 * The gradients of q, k and v from dy [B, T, H hs] and the saved probabilities. With `packed` (q, k
 * and v one tensor) one [B, T, 3D] gradient in the same layout, else three [B, T, D].
 */
export function attentionGradKernel(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  probs: tf.Tensor4D,
  dy: tf.Tensor,
  l: HeadLayout,
  scale: number,
  packed: boolean,
): tf.Tensor[] {
  const D = l.H * l.hs;
  // Gradients are written in the inputs' layout: packed, one tensor at the inputs' offsets.
  const out = packed ? { dq: 'dqkv', dk: 'dqkv', dv: 'dqkv' } : { dq: 'dq', dk: 'dk', dv: 'dv' };
  const gradShape = packed ? [l.B, l.T, 3 * D] : [l.B, l.T, D];
  const common = { uniforms: uniforms(l, scale), workgroupSize: WG, workgroups: groupsFor(l.B * l.H * l.T, WG) };
  const [dq, ds] = runMulti({
    key: `attention_grad_rows_${l.hs}_${packed}`,
    inputs: [
      { name: 'k', tensor: k },
      { name: 'v', tensor: v },
      { name: 'dy', tensor: dy },
      { name: 'probs', tensor: probs },
    ],
    outputs: [
      { name: out.dq, shape: gradShape },
      { name: 'ds', shape: [l.B, l.H, l.T, l.T] },
    ],
    code: rowGradShader(l.hs, out.dq),
    ...common,
  });
  const keyOutputs = packed
    ? [{ name: 'dqkv', into: dq! }]
    : [
        { name: 'dk', shape: gradShape },
        { name: 'dv', shape: gradShape },
      ];
  const written = runMulti({
    key: `attention_grad_keys_${l.hs}_${packed}`,
    inputs: [
      { name: 'q', tensor: q },
      { name: 'probs', tensor: probs },
      { name: 'ds', tensor: ds! },
      { name: 'dy', tensor: dy },
    ],
    outputs: keyOutputs,
    code: keyGradShader(l.hs, out.dk, out.dv),
    ...common,
  });
  ds!.dispose();
  return packed ? [dq!] : [dq!, ...written];
}
