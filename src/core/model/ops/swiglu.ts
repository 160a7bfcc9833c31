// The gated feed-forward of Llama, Qwen2 and SmolLM2 (Shazeer 2020, "GLU variants"):
//   mlp(x) = (silu(x W_gate) * (x W_up)) W_down,   silu(z) = z * sigmoid(z)
// This op is the gate, silu(gate) * up; the three projections are linear layers without bias.
import * as tf from '@tensorflow/tfjs';

/** gate [..., I], up [..., I] -> silu(gate) * up [..., I] */
export function swiGLU<T extends tf.Tensor>(gate: T, up: T): T {
  return tf.mul(tf.mul(gate, tf.sigmoid(gate)), up);
}
