// The bag-of-words baseline: a Bradley-Terry model on hashed word and bigram counts. Each pair's
// features are the counts of (prompt + response) for the chosen response minus those for the rejected
// one, so P(chosen preferred) = sigmoid(w . (f(chosen) - f(rejected))): a linear reward w . f(text),
// trained with the pairwise loss, as the reward model is, on the run's own training pairs. The prompt's
// words cancel in the difference (only the bigram across prompt and response can remain): what it learns
// is which words and phrases, and how many of them, make a response preferred. No intercept: with one,
// the model could learn "the first response wins", and which side is first is an artefact of the
// orientation, not of the data.
import { countDifference, DEFAULT_HASH_BITS, hashedCounts } from './hashed-features.ts';
import {
  DEFAULT_LOGISTIC,
  fitLogistic,
  sigmoid,
  type LogisticOptions,
  type SparseRows,
} from './logistic-regression.ts';
import type { TextPair } from './text-pair.ts';

export interface BagOfWordsOptions extends LogisticOptions {
  hashBits: number;
}

/** C = 1 (scikit-learn's default); 2^18 buckets keep collisions rare for a few thousand pairs' words. */
export const DEFAULT_BAG_OF_WORDS: BagOfWordsOptions = { ...DEFAULT_LOGISTIC, hashBits: DEFAULT_HASH_BITS };

export interface BagOfWordsModel {
  /** Hash bucket -> weight, for the buckets seen in training (all others weigh 0). */
  weights: Map<number, number>;
  hashBits: number;
  iterations: number;
}

/** f(prompt + response), the text a pair's side is read as. */
function sideText(prompt: string, response: string): string {
  return `${prompt}\n${response}`;
}

export function pairFeatures(pair: TextPair, hashBits: number): Map<number, number> {
  return countDifference(
    hashedCounts(sideText(pair.prompt, pair.chosen), hashBits),
    hashedCounts(sideText(pair.prompt, pair.rejected), hashBits),
  );
}

export function fitBagOfWords(
  train: readonly TextPair[],
  options: BagOfWordsOptions = DEFAULT_BAG_OF_WORDS,
): BagOfWordsModel {
  const features = train.map((p) => pairFeatures(p, options.hashBits));
  // Columns are the buckets that occur, in order of first appearance (a pure function of the pairs).
  const column = new Map<number, number>();
  for (const f of features) for (const bucket of f.keys()) if (!column.has(bucket)) column.set(bucket, column.size);
  const nnz = features.reduce((n, f) => n + f.size, 0);
  const rows: SparseRows = {
    rowStart: new Int32Array(features.length + 1),
    indices: new Int32Array(nnz),
    values: new Float64Array(nnz),
    columns: column.size,
  };
  let k = 0;
  for (const [i, f] of features.entries()) {
    for (const [bucket, value] of f) {
      rows.indices[k] = column.get(bucket)!;
      rows.values[k] = value;
      k++;
    }
    rows.rowStart[i + 1] = k;
  }
  // Every row is oriented chosen - rejected, so every label is +1 (the loss is the same for any orientation).
  const labels = new Int8Array(features.length).fill(1);
  const fit = fitLogistic(rows, labels, options);
  const weights = new Map<number, number>();
  for (const [bucket, j] of column) weights.set(bucket, fit.weights[j]!);
  return { weights, hashBits: options.hashBits, iterations: fit.iterations };
}

/** w . (f(chosen) - f(rejected)) for each pair: > 0 means the model prefers the chosen response. */
export function bagOfWordsMargins(model: BagOfWordsModel, pairs: readonly TextPair[]): number[] {
  return pairs.map((p) => {
    let s = 0;
    for (const [bucket, value] of pairFeatures(p, model.hashBits)) s += value * (model.weights.get(bucket) ?? 0);
    return s;
  });
}

/** P(chosen preferred) for each pair. */
export function bagOfWordsProbabilities(model: BagOfWordsModel, pairs: readonly TextPair[]): number[] {
  return bagOfWordsMargins(model, pairs).map(sigmoid);
}
