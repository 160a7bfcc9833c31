// What every encoder family provides to the reward model: padded token ids and an attention
// mask in, one vector per sequence out, and its weights by name.
import type * as tf from '@tensorflow/tfjs';
import type { PoolingChoice } from '../../train/config.ts';
import type { LoraAdapters } from '../lora.ts';

/**
 * How a sequence becomes one vector. 'cls' takes the first token ([CLS]), as BERT's
 * sequence-classification head does; 'mean' averages the real (unpadded) tokens; 'last' takes the
 * last real token, as decoder reward models read the end of the response. The Pooling field's
 * choices (TRAIN_FIELDS.pooling).
 */
export type Pooling = PoolingChoice;

export type NamedParams = Map<string, tf.Variable>;

export interface Encoder {
  readonly hiddenSize: number;
  readonly params: NamedParams;
  /** LoRA adapters on some of its projections (lora.ts), set by the reward model; none: the plain encoder. */
  lora?: LoraAdapters;
  /** ids [B, T] int32, mask [B, T] float32 -> [B, hiddenSize] */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D;
}
