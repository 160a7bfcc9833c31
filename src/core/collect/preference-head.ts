// The fast model that ranks the labelling queue: a pairwise logistic regression on hashed word and
// word-bigram features of each response plus its log length, P(A better) = sigmoid(w . (phi(A) - phi(B))).
//
// Why this and not the stored reward model: the queue is re-ranked every few labels, and the page
// must stay responsive while it is. This fits a few hundred labels in milliseconds on a CPU in a
// worker, needs no tokenizer or weights, and starts from nothing (a project may have no trained
// model yet). It is the same kind of model as the in-run "hashed bag of words" baseline; the
// reward model itself can still rank the queue through the same interface (a P(A better) per item).
import { textOf, type Text } from '../data/pair.ts';
import { cyrb53 } from '../data/hash.ts';
import { wordAndBigramCounts, words } from '../eval/baselines/hashed-features.ts';

/** Sparse features: parallel arrays of bucket indices and values. */
export interface SparseVector {
  index: Uint32Array;
  value: Float32Array;
}

export interface PreferenceHeadOptions {
  /** Hash buckets: 2^15 keeps collisions rare for the few thousand words of a project. */
  buckets?: number;
  /** Passes over the labels at each fit. */
  epochs?: number;
  learningRate?: number;
  /** L2 penalty: strong enough that 20 labels do not give confident nonsense. */
  l2?: number;
  seed?: number;
}

const LENGTH_FEATURE = 0; // bucket 0 holds log(1 + words); hashed features use 1..buckets-1

/** Bag of words and bigrams, L2-normalised (long texts do not get larger weights), plus log length. */
export function responseFeatures(text: Text, buckets = 1 << 15): SparseVector {
  const ws = words(textOf(text));
  const counts = wordAndBigramCounts(ws, (feature) => 1 + (cyrb53(feature) % (buckets - 1)));
  let norm = 0;
  for (const c of counts.values()) norm += c * c;
  norm = Math.sqrt(norm) || 1;
  const index = new Uint32Array(counts.size + 1);
  const value = new Float32Array(counts.size + 1);
  index[0] = LENGTH_FEATURE;
  value[0] = Math.log1p(ws.length) / 4; // ~1 for a 50-word response: the same scale as the bag
  let k = 1;
  for (const [bucket, c] of counts) {
    index[k] = bucket;
    value[k++] = c / norm;
  }
  return { index, value };
}

/** One labelled comparison: y = 1 when A is better, 0 when B is, 1/2 for a tie. */
export interface PreferenceExample {
  a: SparseVector;
  b: SparseVector;
  y: number;
}

export class PreferenceHead {
  readonly buckets: number;
  readonly weights: Float32Array;
  readonly #epochs: number;
  readonly #learningRate: number;
  readonly #l2: number;
  #seed: number;

  constructor(options: PreferenceHeadOptions = {}) {
    this.buckets = options.buckets ?? 1 << 15;
    this.weights = new Float32Array(this.buckets);
    this.#epochs = options.epochs ?? 30;
    this.#learningRate = options.learningRate ?? 0.5;
    this.#l2 = options.l2 ?? 1e-3;
    this.#seed = options.seed ?? 0;
  }

  /** The reward of one response's features. */
  reward(x: SparseVector): number {
    let r = 0;
    for (let k = 0; k < x.index.length; k++) r += this.weights[x.index[k]!]! * x.value[k]!;
    return r;
  }

  probabilityA(a: SparseVector, b: SparseVector): number {
    return sigmoid(this.reward(a) - this.reward(b));
  }

  /**
   * Refits from zero on all the examples (stochastic gradient descent, a seeded order each epoch):
   * refitting rather than updating keeps the result a function of the labels alone, whatever order
   * they came in.
   */
  fit(examples: readonly PreferenceExample[]): void {
    this.weights.fill(0);
    if (examples.length === 0) return;
    const order = examples.map((_, i) => i);
    let random = this.#seed >>> 0 || 1;
    const next = () => ((random = Math.imul(random ^ (random >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
    for (let epoch = 0; epoch < this.#epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const lr = this.#learningRate / (1 + epoch * 0.1);
      for (const i of order) {
        const { a, b, y } = examples[i]!;
        const g = sigmoid(this.reward(a) - this.reward(b)) - y; // d loss / d (r_a - r_b)
        this.#step(a, -lr * g);
        this.#step(b, lr * g);
      }
      // L2 shrinkage once an epoch, on all weights at once: the product of the per-example factors
      // (1 - lr * l2), so it stays positive however many labels there are
      const shrink = (1 - lr * this.#l2) ** order.length;
      for (let k = 0; k < this.weights.length; k++) this.weights[k]! *= shrink;
    }
  }

  #step(x: SparseVector, scale: number): void {
    for (let k = 0; k < x.index.length; k++) this.weights[x.index[k]!]! += scale * x.value[k]!;
  }
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
