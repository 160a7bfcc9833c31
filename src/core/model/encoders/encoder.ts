// What every encoder family provides to the reward model: padded token ids and an attention
// mask in, one vector per sequence out, and its weights by name.
import type * as tf from '@tensorflow/tfjs';

/**
 * How a sequence becomes one vector. 'cls' takes the first token ([CLS]), as BERT's
 * sequence-classification head does; 'mean' averages the real (unpadded) tokens; 'last' takes the
 * last real token, as decoder reward models read the end of the response.
 */
export type Pooling = 'cls' | 'mean' | 'last';

export type NamedParams = Map<string, tf.Variable>;

export interface Encoder {
  readonly hiddenSize: number;
  readonly params: NamedParams;
  /** ids [B, T] int32, mask [B, T] float32 -> [B, hiddenSize] */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D;
}
