// Builds padded tensors from tokenized pairs. Each batch is padded to the smallest of a few
// fixed lengths (buckets) that fits it: every new shape costs a shader compilation on WebGPU,
// and padding everything to maxLength wastes work on short pairs.
import * as tf from '@tensorflow/tfjs';

/** How much a pair's labels say "chosen wins", "rejected wins" and "tie" (summing to 1): see loss.ts. */
export interface Outcome {
  chosen: number;
  rejected: number;
  tie: number;
}

/** A plain label: the chosen response wins. */
export const CHOSEN_WINS: Outcome = Object.freeze({ chosen: 1, rejected: 0, tie: 0 });

export interface TokenizedPair {
  /** [CLS] prompt [SEP] chosen [SEP] (for a tie: response A) */
  chosen: Int32Array;
  /** [CLS] prompt [SEP] rejected [SEP] (for a tie: response B) */
  rejected: Int32Array;
  margin: number;
  /**
   * Token counts of the chosen and rejected responses before truncation: the length term's input
   * (reward-model.ts). prepareTrainingData always sets them; a model without a length term ignores them.
   */
  chosenLength?: number;
  rejectedLength?: number;
  /** Soft targets from votes, or a tie; omitted: the chosen response wins. */
  outcome?: Outcome;
  /** Sample weight in the loss (a derived pair's rule weight, see loss.ts); omitted: 1. */
  weight?: number;
}

/** Lengths a batch is padded to: powers of two from 16 up to maxLength (which is always one). */
export function bucketLengths(maxLength: number): number[] {
  const out: number[] = [];
  for (let n = 16; n < maxLength; n *= 2) out.push(n);
  out.push(maxLength);
  return out;
}

export function bucketFor(length: number, maxLength: number): number {
  const fit = bucketLengths(maxLength).find((b) => b >= length);
  if (fit === undefined) throw new Error(`sequence of ${length} tokens exceeds maxLength ${maxLength}`);
  return fit;
}

export interface PairBatch {
  /** [2B, T]: the B chosen sequences, then the B rejected ones, so one encoder pass scores both. */
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  /** [2B]: each row's response token count before truncation, in the rows' order (when every pair has them). */
  responseLength?: tf.Tensor1D;
  margin: tf.Tensor1D;
  /** [B] each: the weights of the three outcomes (see loss.ts). */
  outcome: { chosen: tf.Tensor1D; rejected: tf.Tensor1D; tie: tf.Tensor1D };
  /** [B]: 1 for a pair with a winner, 0 for a tie (accuracy counts only the former). */
  decisive: tf.Tensor1D;
  /** [B]: each pair's sample weight (1 unless the pair has one). */
  weight: tf.Tensor1D;
  /**
   * The rows above in one [PAIR_ROWS, B] tensor (margin, chosen, rejected, tie, decisive, weight):
   * one upload a batch for the fused loss (fused-loss.ts). A tensor is uploaded to a GPU only when
   * an op reads it, so the separate rows cost nothing where this one is used, and the reverse.
   */
  pairs: tf.Tensor2D;
  size: number;
}

/** The rows of PairBatch.pairs. */
export const PAIR_ROWS = 6;

export function makeBatch(pairs: TokenizedPair[], maxLength: number, padId: number): PairBatch {
  const sequences = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const outcomes = pairs.map((p) => p.outcome ?? CHOSEN_WINS);
  const T = bucketFor(Math.max(...sequences.map((s) => s.length)), maxLength);
  const B = pairs.length;
  const rows = [
    pairs.map((p) => p.margin),
    outcomes.map((o) => o.chosen),
    outcomes.map((o) => o.rejected),
    outcomes.map((o) => o.tie),
    outcomes.map((o) => (o.tie === 1 ? 0 : 1)),
    pairs.map((p) => p.weight ?? 1),
  ];
  const packed = new Float32Array(PAIR_ROWS * B);
  rows.forEach((row, r) => packed.set(row, r * B));
  const ids = new Int32Array(sequences.length * T).fill(padId);
  const mask = new Float32Array(sequences.length * T);
  sequences.forEach((s, row) => {
    ids.set(s, row * T);
    mask.fill(1, row * T, row * T + s.length);
  });
  return {
    ids: tf.tensor2d(ids, [sequences.length, T], 'int32'),
    mask: tf.tensor2d(mask, [sequences.length, T], 'float32'),
    ...(pairs.every((p) => p.chosenLength !== undefined && p.rejectedLength !== undefined)
      ? {
          responseLength: tf.tensor1d(
            [...pairs.map((p) => p.chosenLength!), ...pairs.map((p) => p.rejectedLength!)],
            'float32',
          ),
        }
      : {}),
    margin: tf.tensor1d(
      pairs.map((p) => p.margin),
      'float32',
    ),
    outcome: {
      chosen: tf.tensor1d(
        outcomes.map((o) => o.chosen),
        'float32',
      ),
      rejected: tf.tensor1d(
        outcomes.map((o) => o.rejected),
        'float32',
      ),
      tie: tf.tensor1d(
        outcomes.map((o) => o.tie),
        'float32',
      ),
    },
    decisive: tf.tensor1d(
      outcomes.map((o) => (o.tie === 1 ? 0 : 1)),
      'float32',
    ),
    weight: tf.tensor1d(
      pairs.map((p) => p.weight ?? 1),
      'float32',
    ),
    pairs: tf.tensor2d(packed, [PAIR_ROWS, B]),
    size: pairs.length,
  };
}

export function disposeBatch(b: PairBatch): void {
  tf.dispose([
    b.ids,
    b.mask,
    ...(b.responseLength ? [b.responseLength] : []),
    b.margin,
    b.outcome.chosen,
    b.outcome.rejected,
    b.outcome.tie,
    b.decisive,
    b.weight,
    b.pairs,
  ]);
}
