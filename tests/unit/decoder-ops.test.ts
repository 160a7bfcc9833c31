// The decoder building blocks in src/core/model/ops/ (rms-norm, rotary, swiglu, causal-attention,
// last-token) against textbook formulas written with plain ops and differentiated by tfjs's
// autodiff, on the cpu and wasm backends. The whole models are checked against PyTorch in
// tests/unit/decoder-reference.test.ts.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { attentionBias } from '../../src/core/model/ops/attention.ts';
import { causalAttention, causalBias } from '../../src/core/model/ops/causal-attention.ts';
import { lastTokenOneHot, lastTokenPool } from '../../src/core/model/ops/last-token.ts';
import { rmsNorm } from '../../src/core/model/ops/rms-norm.ts';
import { applyRotary, rotaryTables } from '../../src/core/model/ops/rotary.ts';
import { swiGLU } from '../../src/core/model/ops/swiglu.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale),
    shape,
  );
}

/** Largest |a - b| relative to the largest |b| (floored at 1e-3), over value and every gradient. */
function against(
  f: (...x: tf.Tensor[]) => tf.Tensor,
  g: (...x: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
): number {
  return tf.tidy(() => {
    const dy = random(f(...inputs).shape, 7);
    const run = (h: typeof f) => [
      h(...inputs),
      ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(h(...xs), dy)))(inputs),
    ];
    const [a, b] = [run(f), run(g)];
    let w = 0;
    for (const [i, t] of a.entries()) {
      const [x, y] = [t.dataSync(), b[i]!.dataSync()];
      let [err, scale] = [0, 1e-3];
      for (let k = 0; k < y.length; k++) {
        err = Math.max(err, Math.abs(x[k]! - y[k]!));
        scale = Math.max(scale, Math.abs(y[k]!));
      }
      w = Math.max(w, err / scale);
    }
    return w;
  });
}

const rmsNormTextbook = (x: tf.Tensor, w: tf.Tensor) =>
  tf.mul(w, tf.div(x, tf.sqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))));

/** rope written out pair by pair: dimensions i and i + hs/2 rotate by t * theta^(-2i/hs). */
function rotaryTextbook(x: tf.Tensor4D, theta: number): tf.Tensor {
  const [B, H, T, hs] = x.shape;
  const v = x.arraySync();
  const out = v.map((b) =>
    b.map((h) =>
      h.map((row, t) => {
        const r = [...row];
        for (let i = 0; i < hs / 2; i++) {
          const a = t * Math.pow(theta, (-2 * i) / hs);
          r[i] = row[i]! * Math.cos(a) - row[i + hs / 2]! * Math.sin(a);
          r[i + hs / 2] = row[i + hs / 2]! * Math.cos(a) + row[i]! * Math.sin(a);
        }
        return r;
      }),
    ),
  );
  return tf.tensor4d(out, [B, H, T, hs]);
}

/** Attention with each key/value head repeated for its query heads (HF's repeat_kv) and an explicit mask. */
function attentionTextbook(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor2D): tf.Tensor {
  const [B, H, T, hs] = q.shape as number[];
  const rep = H! / k.shape[1]!;
  const repeat = (t: tf.Tensor) =>
    tf.concat(
      Array.from({ length: H! }, (_, h) => tf.slice(t, [0, Math.floor(h / rep), 0, 0], [B!, 1, T!, hs!])),
      1,
    );
  const allowed = tf.mul(tf.linalg.bandPart(tf.ones([T!, T!]), -1, 0), tf.reshape(mask, [B!, 1, 1, T!])); // [B, 1, T, T]
  const scores = tf.div(tf.matMul(q, repeat(k), false, true), Math.sqrt(hs!));
  return tf.matMul(tf.softmax(tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9))), repeat(v));
}

describe.each(['cpu', 'wasm'])('decoder ops on the %s backend', (backend) => {
  it('sets the backend', async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('rmsNorm (hand-written gradient) is the textbook RMSNorm, for x and the weight', () => {
    const f = (x: tf.Tensor, w: tf.Tensor) => rmsNorm(x, w as tf.Tensor1D, 1e-6);
    expect(against(f, rmsNormTextbook, [random([2, 3, 16], 1, 3), random([16], 2, 2)])).toBeLessThan(1e-5);
  });

  it('rmsNorm uses its eps: with inputs of mean square 1e-4, eps 1e-5 against 1e-6 moves the output', () => {
    const x = random([4, 8], 3, 0.017);
    const w = tf.ones([8]) as tf.Tensor1D;
    expect(
      against(
        (a) => rmsNorm(a, w, 1e-5),
        (a) => rmsNorm(a, w, 1e-6),
        [x],
      ),
    ).toBeGreaterThan(1e-2);
  });

  it('applyRotary rotates dimension i with i + hs/2 by position * theta^(-2i/hs), from position 0', () => {
    const x = random([2, 3, 5, 8], 4, 2) as tf.Tensor4D;
    const tables = rotaryTables(5, 8, 10000);
    const got = applyRotary(x, tables);
    const want = rotaryTextbook(x, 10000);
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    // position 0 is not rotated
    expect(
      tf
        .max(tf.abs(tf.sub(tf.slice(got, [0, 0, 0, 0], [2, 3, 1, 8]), tf.slice(x, [0, 0, 0, 0], [2, 3, 1, 8]))))
        .dataSync()[0],
    ).toBe(0);
    tf.dispose([x, tables.cos, tables.sin, got, want]);
  });

  it("applyRotary's gradient matches a central difference along a random direction", () => {
    const tables = rotaryTables(4, 6, 500);
    const rotate = (x: tf.Tensor) => applyRotary(x as tf.Tensor4D, tables);
    const x = random([2, 1, 4, 6], 9);
    // d/dh sum(rope(x + h d) * dy) at h = 0 against the gradient tfjs builds through slice, concat and neg
    const d = random([2, 1, 4, 6], 10);
    const dy = random([2, 1, 4, 6], 11);
    const h = 1e-2;
    const loss = (t: tf.Tensor) => tf.sum(tf.mul(rotate(t), dy));
    const numeric =
      (loss(tf.add(x, tf.mul(d, h))).dataSync()[0]! - loss(tf.sub(x, tf.mul(d, h))).dataSync()[0]!) / (2 * h);
    const analytic = tf.sum(tf.mul(tf.grad(loss)(x), d)).dataSync()[0]!;
    expect(Math.abs(numeric - analytic)).toBeLessThan(1e-3 * Math.max(1, Math.abs(analytic)));
    tf.dispose([tables.cos, tables.sin, x, d, dy]);
  });

  it('swiGLU is silu(gate) * up', () => {
    const textbook = (g: tf.Tensor, u: tf.Tensor) => tf.mul(tf.div(g, tf.add(1, tf.exp(tf.neg(g)))), u);
    expect(against(swiGLU, textbook, [random([3, 7], 12, 4), random([3, 7], 13, 2)])).toBeLessThan(1e-5);
  });

  it.each([
    [4, 4],
    [4, 2],
    [6, 2],
    [4, 1],
  ])('causalAttention with %i query heads on %i key/value heads is repeat_kv attention, for q, k and v', (H, Hkv) => {
    const mask = tf.tensor2d([1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1], [2, 6]); // right and left padding
    const causal = causalBias(6);
    const padding = attentionBias(mask);
    const f = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
      causalAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, causal, padding);
    const g = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => attentionTextbook(q, k, v, mask);
    const inputs = [random([2, H, 6, 4], 14, 2), random([2, Hkv, 6, 4], 15, 2), random([2, Hkv, 6, 4], 16)];
    // rows of padded queries differ (fully masked rows average differently); compare real query rows only
    const real = tf.reshape(mask, [2, 1, 6, 1]);
    const ours = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.mul(f(q, k, v), real);
    const theirs = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.mul(g(q, k, v), real);
    expect(against(ours as never, theirs as never, inputs)).toBeLessThan(1e-5);
    tf.dispose([mask, causal, padding, real, ...inputs]);
  });

  it('causalAttention: query head h reads key/value head h // (H / Hkv), not h % Hkv', () => {
    // Each key/value head's values are its index: head h's output is then the index of the head it reads.
    const q = tf.zeros([1, 4, 3, 2]) as tf.Tensor4D;
    const k = tf.zeros([1, 2, 3, 2]) as tf.Tensor4D;
    const v = tf.reshape(
      tf.tile(tf.reshape(tf.tensor1d([0, 1]), [1, 2, 1, 1]), [1, 1, 3, 2]),
      [1, 2, 3, 2],
    ) as tf.Tensor4D;
    const mask = tf.ones([1, 3]) as tf.Tensor2D;
    const y = causalAttention(q, k, v, causalBias(3), attentionBias(mask));
    const read = (y.arraySync() as number[][][][])[0]!.map((head) => head[2]![0]);
    expect(read).toEqual([0, 0, 1, 1]);
  });

  it('causalBias masks only keys after the query', () => {
    expect((causalBias(3).arraySync() as number[][]).map((r) => r.map((v) => v < 0))).toEqual([
      [false, true, true],
      [false, false, true],
      [false, false, false],
    ]);
  });

  it('lastTokenPool reads the rightmost real token, padded right or left, and passes its gradient there only', () => {
    const mask = tf.tensor2d([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 5]);
    expect((lastTokenOneHot(mask as tf.Tensor2D).arraySync() as number[][]).map((r) => r.indexOf(1))).toEqual([
      2, 4, 4,
    ]);
    const x = random([3, 5, 4], 17);
    const gathered = (t: tf.Tensor) =>
      tf.stack([0, 1, 2].map((b, i) => tf.reshape(tf.slice(t, [b, [2, 4, 4][i]!, 0], [1, 1, 4]), [4])));
    expect(against((t) => lastTokenPool(t as tf.Tensor3D, mask as tf.Tensor2D), gathered, [x])).toBe(0);
  });
});

afterAll(async () => {
  await tf.setBackend('cpu');
});
