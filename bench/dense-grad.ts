// The gradient of a dense layer on tfjs's WASM backend: tf.matMul's own gradient (transposed
// products) against dense() (explicit transposes, then plain products), on the default model's
// shapes, in one run. Also checks the two give the same numbers.
//   npx tsx bench/dense-grad.ts        -> bench/results/dense-grad.json
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { dense } from '../src/core/model/ops/linear.ts';

await tf.setBackend('wasm');
// Default model, batch 16 pairs = 32 sequences of 128 tokens: N = 4096 rows; D = 64, the MLP 256.
const shapes: [number, number, number][] = [
  [4096, 64, 192], // qkv
  [4096, 64, 64], // attention out
  [4096, 64, 256], // mlp in
  [4096, 256, 64], // mlp out
];
const REPEATS = 10;
const rows = [];
for (const [n, din, dout] of shapes) {
  const x = tf.randomNormal([n, din], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([din, dout], 0, 0.1, 'float32', 2) as tf.Tensor2D;
  const time = async (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) => {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(f(a as tf.Tensor2D, b as tf.Tensor2D)));
    const run = async () => {
      const out = g([x, w]);
      await Promise.all(out.map((t) => t.data()));
      return out;
    };
    tf.dispose(await run()); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < REPEATS; i++) tf.dispose(await run());
    return { ms: (performance.now() - t0) / REPEATS, grads: await run() };
  };
  const plain = await time((a, b) => tf.matMul(a, b));
  const ours = await time(dense);
  let maxDiff = 0;
  for (let i = 0; i < 2; i++) {
    const [p, o] = await Promise.all([plain.grads[i]!.data(), ours.grads[i]!.data()]);
    for (let j = 0; j < p.length; j++) maxDiff = Math.max(maxDiff, Math.abs(p[j]! - o[j]!));
  }
  tf.dispose([x, w, ...plain.grads, ...ours.grads]);
  rows.push({
    shape: `[${n},${din}]x[${din},${dout}]`,
    matMulGradMs: plain.ms,
    denseGradMs: ours.ms,
    speedup: plain.ms / ours.ms,
    maxDiff,
  });
  console.log(rows.at(-1));
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/dense-grad.json',
  JSON.stringify({ date: new Date().toISOString(), backend: 'wasm', rows }, null, 2) + '\n',
);
