// Rewards of (prompt, response) texts from a trained model, in batches.
//
// Texts are tokenized with the model's tokenizer and the same truncation as training, sorted by
// length so each batch pads to the smallest bucket that fits it (few shapes, little padding), and
// each batch is read back once. Rewards come back in input order.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../train/config.ts';
import { bucketFor } from '../train/batch.ts';
import type { ModelSpec, RewardModel } from '../model/reward-model.ts';
import type { PairTokenizer } from '../model/tokenizer.ts';
import { longestSequence } from '../model/encoders/bert-config.ts';

export interface ScoreItem {
  prompt: string;
  response: string;
}

export interface ScoreOptions {
  /** Longest token sequence, as the model was trained with (maxLengthOf). */
  maxLength: number;
  /** Sequences per forward pass. */
  batchSize?: number;
  /** Called after each batch with the number of items scored so far. */
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches: true stops scoring with a ScoringCancelled error. */
  shouldStop?: () => boolean;
  /**
   * 'reward' (default): the whole reward. 'quality': without the length term (reward-model.ts), for
   * a model that has one, e.g. an ODIN model whose quality part was trained to ignore length.
   */
  part?: RewardPart;
  /** The responses' token counts before truncation, aligned with the sequences (needed by a model with a length term). */
  responseTokens?: readonly number[];
}

export type RewardPart = 'reward' | 'quality';

export class ScoringCancelled extends Error {
  constructor() {
    super('scoring was cancelled');
  }
}

export const DEFAULT_SCORE_BATCH = 64;

/**
 * The sequence length a model reads: its training run's maxLength, else what its encoder allows. A
 * quick head has none of its own: its frozen encoder's tokenizer decides (Embedder.maxLength, read
 * from the loaded model), so asking here is a mistake.
 */
export function maxLengthOf(spec: ModelSpec, trainConfig?: Pick<TrainConfig, 'maxLength'>): number {
  if (spec.encoder === 'frozen-hub') {
    throw new Error("a quick head reads what its frozen encoder's tokenizer keeps: ask the loaded encoder");
  }
  if (trainConfig) return trainConfig.maxLength;
  return spec.encoder === 'builtin-transformer' ? spec.transformer.maxLength : longestSequence(spec.bert);
}

/** Rewards of `items`, in their order. */
export async function scoreTexts(
  model: RewardModel,
  tokenizer: PairTokenizer,
  items: readonly ScoreItem[],
  options: ScoreOptions,
): Promise<Float32Array> {
  const encoded = items.map((it) => tokenizer.encodePair(it.prompt, it.response, options.maxLength));
  return scoreSequences(
    model,
    encoded.map((e) => e.ids),
    tokenizer.special.pad,
    { ...options, responseTokens: encoded.map((e) => e.responseTokens) },
  );
}

/** Rewards of tokenized sequences ([CLS] prompt [SEP] response [SEP]), in their order. */
export async function scoreSequences(
  model: RewardModel,
  sequences: readonly Int32Array[],
  padId: number,
  options: ScoreOptions,
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? DEFAULT_SCORE_BATCH;
  const order = sequences.map((_, i) => i).sort((a, b) => sequences[a]!.length - sequences[b]!.length);
  const rewards = new Float32Array(sequences.length);
  for (let start = 0; start < order.length; start += batchSize) {
    if (options.shouldStop?.()) throw new ScoringCancelled();
    const rows = order.slice(start, start + batchSize);
    const batch = rows.map((i) => sequences[i]!);
    const lengths = options.responseTokens && rows.map((i) => options.responseTokens![i]!);
    const scored = await scoreBatch(model, batch, lengths, options.maxLength, padId, options.part ?? 'reward');
    rows.forEach((i, k) => (rewards[i] = scored[k]!));
    options.onProgress?.(Math.min(start + batchSize, order.length), order.length);
  }
  return rewards;
}

/** One forward pass over sequences padded to one bucket; one read-back. */
async function scoreBatch(
  model: RewardModel,
  sequences: readonly Int32Array[],
  responseTokens: readonly number[] | undefined,
  maxLength: number,
  padId: number,
  part: RewardPart,
): Promise<Float32Array> {
  const T = bucketFor(Math.max(...sequences.map((s) => s.length)), maxLength);
  const B = sequences.length;
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  sequences.forEach((s, row) => {
    ids.set(s, row * T);
    mask.fill(1, row * T, row * T + s.length);
  });
  const rewards = tf.tidy(() => {
    const parts = model.rewardParts(
      tf.tensor2d(ids, [B, T], 'int32'),
      tf.tensor2d(mask, [B, T], 'float32'),
      responseTokens && tf.tensor1d([...responseTokens], 'float32'),
    );
    return part === 'quality' || !parts.length ? parts.quality : tf.add(parts.quality, parts.length);
  }); // [B]
  try {
    return (await rewards.data()) as Float32Array;
  } finally {
    rewards.dispose();
  }
}
