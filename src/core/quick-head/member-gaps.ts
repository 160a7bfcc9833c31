// A quick head's members' reward gaps r_k(A) - r_k(B) from its stored weights, in plain float64
// arithmetic rather than tfjs: the labelling worker ranks its queue with them and loads no tfjs (it
// starts in milliseconds, and a head is one matrix product or two). The maths is head.ts's, weight
// for weight ([in, out] layout, no output bias); tests/unit/ab-labelling.test.ts checks the two agree.
import type { NamedWeight } from '../model/reward-model.ts';
import { quickHeadParams, type QuickHeadShape } from './head.ts';

/** Member k's reward of one embedding x (length inputSize). */
function memberReward(shape: QuickHeadShape, w: Map<string, Float32Array>, k: number, x: Float32Array): number {
  const D = shape.inputSize;
  const out = w.get(`member${k}.out.weight`)!;
  if (shape.head === 'linear') {
    let r = 0;
    for (let d = 0; d < D; d++) r += x[d]! * out[d]!;
    return r;
  }
  const H = shape.hiddenUnits;
  const W1 = w.get(`member${k}.hidden.weight`)!; // [D, H]
  const b1 = w.get(`member${k}.hidden.bias`)!; // [H]
  let r = 0;
  for (let h = 0; h < H; h++) {
    let z = b1[h]!;
    for (let d = 0; d < D; d++) z += x[d]! * W1[d * H + h]!;
    if (z > 0) r += z * out[h]!;
  }
  return r;
}

/** The weights by name, each checked against the shape (a stored head read from outside). */
function checkedWeights(shape: QuickHeadShape, weights: readonly NamedWeight[]): Map<string, Float32Array> {
  const byName = new Map(weights.map((w) => [w.name, w.data]));
  for (const p of quickHeadParams(shape)) {
    const data = byName.get(p.name);
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (!data || data.length !== size)
      throw new Error(`the quick head's weight ${p.name} is missing or not of shape [${p.shape}]`);
  }
  return byName;
}

/**
 * For items i with embeddings a[i] (prompt + response A) and b[i] (prompt + response B): member k's
 * r(A) - r(B) at [k * n + i], the layout ensembleJudgements (ensemble.ts) reads.
 */
export function memberGaps(
  shape: QuickHeadShape,
  weights: readonly NamedWeight[],
  a: readonly Float32Array[],
  b: readonly Float32Array[],
): Float32Array {
  const w = checkedWeights(shape, weights);
  const n = a.length;
  const gaps = new Float32Array(shape.members * n);
  for (let i = 0; i < n; i++) {
    if (a[i]!.length !== shape.inputSize || b[i]!.length !== shape.inputSize)
      throw new Error(
        `the encoder gives vectors of ${a[i]!.length} floats; this head was trained on ${shape.inputSize}`,
      );
    for (let k = 0; k < shape.members; k++)
      gaps[k * n + i] = memberReward(shape, w, k, a[i]!) - memberReward(shape, w, k, b[i]!);
  }
  return gaps;
}
