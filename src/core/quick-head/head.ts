// The quick reward model's head: one or more small networks (the ensemble's members) that map a frozen
// embedding of prompt + response to a reward. A linear member is r = x w; an MLP member is
// r = relu(x W1 + b1) w2. The output layer has no bias: the pairwise loss sees only reward differences,
// so a bias there would get no gradient (in float32, rounding noise that Adam turns into steps). The reward of the ensemble is the mean of its members'; their spread on
// a pair is its uncertainty (what the labelling queue's uncertainty sampling can rank by).
//
// Weights are named member<k>.hidden.* / member<k>.out.*, in tfjs's [in, out] layout (a PyTorch
// Linear's weight is the transpose: scripts/reference/quick_head_reference.py).
import * as tf from '@tensorflow/tfjs';
import type { NamedWeight } from '../model/reward-model.ts';
import type { HeadKind } from './config.ts';

/** The head's shape: enough to rebuild it; the weights travel separately. */
export interface QuickHeadShape {
  head: HeadKind;
  /** The embedding's size (the feature-extraction model's hidden size). */
  inputSize: number;
  /** Hidden units of an MLP member (ignored for linear ones). */
  hiddenUnits: number;
  members: number;
}

/** Each weight's name and shape, in a fixed order. */
export function quickHeadParams(shape: QuickHeadShape): { name: string; shape: number[] }[] {
  const { inputSize: D, hiddenUnits: H } = shape;
  const params: { name: string; shape: number[] }[] = [];
  for (let k = 0; k < shape.members; k++) {
    if (shape.head === 'mlp') {
      params.push({ name: `member${k}.hidden.weight`, shape: [D, H] }, { name: `member${k}.hidden.bias`, shape: [H] });
    }
    const into = shape.head === 'mlp' ? H : D;
    params.push({ name: `member${k}.out.weight`, shape: [into, 1] });
  }
  return params;
}

export class QuickHead {
  readonly params: Map<string, tf.Variable>;

  private constructor(
    readonly shape: QuickHeadShape,
    params: Map<string, tf.Variable>,
  ) {
    this.params = params;
  }

  /**
   * Fresh weights, a different seeded draw per member: He-normal for the hidden layer (ReLU follows),
   * N(0, 1/(fan_in + 1)) for the output as RM Lab's reward heads start, so first rewards sit near 0.
   */
  static create(shape: QuickHeadShape, seed: number): QuickHead {
    const params = new Map<string, tf.Variable>();
    quickHeadParams(shape).forEach((p, i) => {
      const fanIn = p.shape[0]!;
      const std = p.name.endsWith('.bias')
        ? 0
        : p.name.includes('.hidden.')
          ? Math.sqrt(2 / fanIn)
          : 1 / Math.sqrt(fanIn + 1);
      const init = std === 0 ? tf.zeros(p.shape) : tf.randomNormal(p.shape, 0, std, 'float32', seed * 7919 + i);
      params.set(p.name, tf.variable(init, true)); // unnamed: two heads may live side by side
      init.dispose();
    });
    return new QuickHead(shape, params);
  }

  /** A stored head: every weight must be there with its shape and finite values. */
  static fromWeights(shape: QuickHeadShape, weights: readonly NamedWeight[]): QuickHead {
    const byName = new Map(weights.map((w) => [w.name, w]));
    const expected = quickHeadParams(shape);
    const extra = weights.filter((w) => !expected.some((p) => p.name === w.name)).map((w) => w.name);
    if (extra.length > 0) throw new Error(`the quick head has no weights named ${extra.join(', ')}`);
    for (const p of expected) {
      const w = byName.get(p.name);
      if (!w) throw new Error(`the quick head's weight ${p.name} is missing`);
      if (w.shape.join('x') !== p.shape.join('x'))
        throw new Error(`the quick head's weight ${p.name} has shape [${w.shape}], expected [${p.shape}]`);
      if (w.data.length !== p.shape.reduce((a, b) => a * b, 1) || !w.data.every(Number.isFinite))
        throw new Error(`the quick head's weight ${p.name} holds the wrong number of values or a non-finite one`);
    }
    const params = new Map<string, tf.Variable>();
    for (const p of expected) {
      const t = tf.tensor(byName.get(p.name)!.data, p.shape);
      params.set(p.name, tf.variable(t, true));
      t.dispose(); // the variable holds its own copy
    }
    return new QuickHead(shape, params);
  }

  /** x [B, D] -> each member's rewards [K, B]. */
  memberRewards(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const rows: tf.Tensor1D[] = [];
      for (let k = 0; k < this.shape.members; k++) rows.push(this.memberReward(k, x));
      return tf.stack(rows) as tf.Tensor2D; // [K, B]
    });
  }

  /** x [B, D] -> member k's rewards [B]. */
  memberReward(k: number, x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      if (this.shape.head === 'mlp') {
        h = tf.relu(
          tf.add<tf.Tensor2D>(
            tf.matMul(x, this.param(`member${k}.hidden.weight`)),
            this.param(`member${k}.hidden.bias`),
          ),
        ); // [B, H]
      }
      const r = tf.matMul(h, this.param(`member${k}.out.weight`)); // [B, 1]
      return tf.reshape(r, [-1]) as tf.Tensor1D; // [B]
    });
  }

  /** x [B, D] -> the ensemble's reward, the mean of its members' [B]. */
  rewards(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.mean(this.memberRewards(x), 0) as tf.Tensor1D);
  }

  /** The weight matrices (not the biases): what the L2 penalty applies to. */
  matrices(k: number): tf.Variable[] {
    return [...this.params]
      .filter(([name]) => name.startsWith(`member${k}.`) && name.endsWith('.weight'))
      .map(([, v]) => v);
  }

  get variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  async getWeights(): Promise<NamedWeight[]> {
    return Promise.all(
      [...this.params].map(async ([name, v]) => ({ name, shape: v.shape, data: (await v.data()) as Float32Array })),
    );
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }

  private param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`the quick head has no weight ${name}`);
    return v;
  }
}
