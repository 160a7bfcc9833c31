// What the decoder families (gpt2.ts, llama.ts) share about their weights: each parameter's RM Lab
// name (tfjs orientation, linear weights [in, out]), its Hugging Face name inside the base model
// (GPT2Model, LlamaModel/Qwen2Model: a checkpoint adds 'transformer.' or 'model.' in front) and
// whether HF stores it transposed (nn.Linear keeps [out, in]; GPT-2's Conv1D already keeps [in, out]).
import * as tf from '@tensorflow/tfjs';
import type { NamedParams } from './encoder.ts';

/** How a parameter starts when it is not loaded: HF's _init_weights (N(0, initializer_range^2), norms 1, biases 0). */
export type DecoderInit = 'normal' | 'zeros' | 'ones';

export interface DecoderParam {
  name: string;
  /** The tensor's name in HF's base model (no 'transformer.' / 'model.' prefix). */
  hfName: string;
  shape: number[];
  init: DecoderInit;
  /** HF stores it as [out, in]: transposed on the way in and on the way out. */
  transposed: boolean;
}

/** A weight given to the encoder instead of a random start (tfjs orientation, float32). */
export interface DecoderWeight {
  shape: number[];
  data: Float32Array;
}

/**
 * One variable per parameter: `weights`' tensor where given (then every parameter must be there with
 * its shape: nothing half-loads), else a seeded draw. On an error every variable made is disposed.
 */
export function decoderVariables(
  params: DecoderParam[],
  seed: number,
  initStd: number,
  weights?: ReadonlyMap<string, DecoderWeight>,
): NamedParams {
  const made: NamedParams = new Map();
  let s = seed;
  try {
    for (const { name, shape, init } of params) {
      const given = weights?.get(name);
      if (weights && !given) throw new Error(`the encoder's weights have no tensor ${name}`);
      if (given && given.shape.join('x') !== shape.join('x')) {
        throw new Error(`tensor ${name} has shape [${given.shape}], the encoder expects [${shape}]`);
      }
      const value = tf.tidy(() => {
        if (given) return tf.tensor(given.data, shape, 'float32');
        if (init === 'ones') return tf.ones(shape);
        if (init === 'zeros') return tf.zeros(shape);
        // tfjs takes seed 0 for "no seed" (Math.random): seed 0 draws with 0.5 instead.
        return tf.randomNormal(shape, 0, initStd, 'float32', s++ || 0.5);
      });
      made.set(name, tf.variable(value, true));
      value.dispose(); // the variable holds its own copy
    }
  } catch (error) {
    for (const v of made.values()) v.dispose();
    throw error;
  }
  return made;
}

/** The named variable, or a plain error. */
export function param(params: NamedParams, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`no parameter ${name}`);
  return v;
}
