// The weights-by-name layers the Hugging Face encoder families here (BERT and its relatives,
// DeBERTa) build their layers from: a projection with its LoRA update where it has one, and
// LayerNorm with the checkpoint's eps. One place, so a family cannot forget the LoRA update or
// read another eps.
import type * as tf from '@tensorflow/tfjs';
import { linear } from '../ops/linear.ts';
import { addLayerNorm, layerNorm } from '../ops/layer-norm.ts';
import type { LoraAdapters } from '../lora.ts';
import type { NamedParams } from './encoder.ts';

export abstract class NamedLayers {
  readonly params: NamedParams = new Map();
  /** LoRA adapters on some of its projections (lora.ts), set by the reward model. */
  lora?: LoraAdapters;

  /** `layerNormEps`: the checkpoint's layer_norm_eps. */
  constructor(protected readonly layerNormEps: number) {}

  /** x [..., in] @ weight [in, out] + bias (+ its LoRA update, where it has one) -> [..., out] */
  protected linear<X extends tf.Tensor>(x: X, name: string): X {
    const y = linear(x, this.p(`${name}.weight`) as tf.Tensor2D, this.p(`${name}.bias`) as tf.Tensor1D);
    return this.lora ? this.lora.adapt(name, x, y) : y;
  }

  /** LayerNorm over the last axis, biased variance as torch. */
  protected layerNorm(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const [gamma, beta] = [this.p(`${name}.gamma`) as tf.Tensor1D, this.p(`${name}.beta`) as tf.Tensor1D];
    return layerNorm(x, gamma, beta, this.layerNormEps);
  }

  /** LN(x + residual): the residual sum made inside the LayerNorm's kernel on WebGPU (ops/layer-norm.ts). */
  protected addLayerNorm(x: tf.Tensor3D, residual: tf.Tensor3D, name: string): tf.Tensor3D {
    const [gamma, beta] = [this.p(`${name}.gamma`) as tf.Tensor1D, this.p(`${name}.beta`) as tf.Tensor1D];
    return addLayerNorm(x, residual, gamma, beta, this.layerNormEps);
  }

  protected p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }
}
