// AdamW (Loshchilov & Hutter) with gradient clipping by global norm, as torch.optim.AdamW and
// torch.nn.utils.clip_grad_norm_ compute them, over all of a model's parameters at once.
//
// The arithmetic is in src/core/model/ops/adamw.ts (the plain-tfjs composition: tfjs Adam's update
// op for op, with the decoupled weight decay applied first) and, on WebGPU, in a multi-tensor kernel
// (ops/webgpu/adamw.ts) that does the clipping and the whole update in a few dispatches. A kernel
// that fails to compile leaves the plain composition in charge, with one console warning.
//
// The state is what tfjs's Adam kept (checkpoint.ts saves it in the same form): both moments of every
// parameter, the update count and the running products beta1^t, beta2^t (float32, kept as numbers).
// Epsilon is torch's and the HF Trainer's 1e-8, not tfjs's 1e-7.
//
// Which weights decay: as the HF Trainer (get_decay_parameter_names), not biases and not LayerNorm
// weights. Every such parameter here is a vector and every other one (embeddings, projections, the
// reward head's weight) a matrix, so a parameter decays when it has two or more dimensions. That is
// true of the built-in encoder and of BERT checkpoints alike, and needs no list of names.
import * as tf from '@tensorflow/tfjs';
import { ADAM_BETA1, ADAM_BETA2, adamwStep, nextAccBeta } from '../model/ops/adamw.ts';
import { AdamWKernel, webgpuBackendOf } from '../model/ops/webgpu/adamw.ts';

export { ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON } from '../model/ops/adamw.ts';

/** Whether AdamW's weight decay applies to a parameter (biases and LayerNorm gains/shifts are vectors). */
export function decays(variable: tf.Variable): boolean {
  return variable.rank >= 2;
}

/** A parameter's moments as plain numbers, for checkpoints. */
export interface SavedMoments {
  m: Float32Array;
  v: Float32Array;
}

/** The optimizer's counters, for checkpoints. */
export interface AdamWCounters {
  iterations: number;
  accBeta1: number;
  accBeta2: number;
}

let warnedKernel = false;

export class AdamW {
  /** Updates applied so far. */
  iterations = 0;
  /** beta1^(t+1) and beta2^(t+1), float32, as tfjs's Adam holds them. */
  accBeta1 = Math.fround(ADAM_BETA1);
  accBeta2 = Math.fround(ADAM_BETA2);
  /** Per parameter, once the first step (or a restore) made them: [m, v] on the plain path, [m; v] packed for the kernel. */
  private moments: tf.Variable[][] | undefined;
  private readonly decayed: boolean[];

  private constructor(
    private readonly variables: tf.Variable[],
    private readonly weightDecay: number,
    private readonly maxGradNorm: number,
    private readonly kernel: AdamWKernel | undefined,
  ) {
    this.decayed = variables.map(decays);
  }

  /**
   * An optimizer for `variables`, with the WebGPU kernel when the backend is WebGPU and the kernel
   * compiles there. `maxGradNorm` is fixed for the optimizer's life (the kernel holds it).
   */
  static async create(variables: tf.Variable[], weightDecay: number, maxGradNorm: number): Promise<AdamW> {
    const backend = webgpuBackendOf(tf.backend());
    let kernel: AdamWKernel | undefined;
    if (backend && variables.length > 0) {
      try {
        kernel = await AdamWKernel.compile(backend, variables, variables.map(decays), maxGradNorm);
      } catch (error) {
        if (!warnedKernel) {
          warnedKernel = true;
          console.warn(`The WebGPU AdamW kernel did not compile here; using plain tfjs ops instead: ${String(error)}`);
        }
      }
    }
    return new AdamW(variables, weightDecay, maxGradNorm, kernel);
  }

  /** The variables this optimizer updates, in its order (a checkpoint names their moments by them). */
  get trained(): readonly tf.Variable[] {
    return this.variables;
  }

  /** Which implementation runs: for the backend probe and the benchmarks. */
  get implementation(): 'webgpu-kernel' | 'plain' {
    return this.kernel ? 'webgpu-kernel' : 'plain';
  }

  /**
   * One update with learning rate `lr` from gradients keyed by variable name (as variableGrads gives
   * them), clipped by global norm first. Returns the gradients' norm before clipping (a device
   * scalar, not read back: the caller disposes it).
   */
  step(grads: tf.NamedTensorMap, lr: number): tf.Scalar {
    const list = this.variables.map((v) => {
      const g = grads[v.name];
      if (!g) throw new Error(`no gradient for parameter ${v.name}`);
      return g;
    });
    const moments = (this.moments ??= this.zeroMoments());
    const numbers = {
      learningRate: lr,
      weightDecay: this.weightDecay,
      maxGradNorm: this.maxGradNorm,
      accBeta1: this.accBeta1,
      accBeta2: this.accBeta2,
    };
    const norm = this.kernel
      ? this.kernel.step(
          list,
          moments.map((m) => m[0]!),
          numbers,
        )
      : adamwStep(
          this.variables,
          list,
          moments.map(([m, v]) => ({ m: m!, v: v! })),
          this.decayed,
          numbers,
        );
    this.accBeta1 = nextAccBeta(this.accBeta1, ADAM_BETA1);
    this.accBeta2 = nextAccBeta(this.accBeta2, ADAM_BETA2);
    this.iterations++;
    return norm;
  }

  private zeroMoments(): tf.Variable[][] {
    // In a tidy: a variable shares its initial tensor's data, and the initial tensor must go.
    return tf.tidy(() =>
      this.variables.map((p) =>
        this.kernel
          ? [tf.variable(tf.zeros([2 * p.size]), false)]
          : [tf.variable(tf.zeros(p.shape), false), tf.variable(tf.zeros(p.shape), false)],
      ),
    );
  }

  /** The counters and every parameter's moments (none before the first step), read back. */
  async save(): Promise<AdamWCounters & { moments: SavedMoments[] }> {
    const counters = { iterations: this.iterations, accBeta1: this.accBeta1, accBeta2: this.accBeta2 };
    if (!this.moments) return { ...counters, moments: [] };
    const values = await Promise.all(this.moments.map((ms) => Promise.all(ms.map((t) => t.data<'float32'>()))));
    const moments = values.map(([a, b]): SavedMoments => {
      // Copies: on the cpu backend data() hands out the tensor's own array.
      if (b) return { m: new Float32Array(a!), v: new Float32Array(b) };
      const n = a!.length / 2;
      return { m: a!.slice(0, n), v: a!.slice(n) };
    });
    return { ...counters, moments };
  }

  /** Puts saved counters and moments (one per variable, in order) into a fresh optimizer. */
  restore(counters: AdamWCounters, moments: SavedMoments[]): void {
    this.iterations = counters.iterations;
    this.accBeta1 = counters.accBeta1;
    this.accBeta2 = counters.accBeta2;
    tf.dispose(this.moments?.flat() ?? []);
    this.moments = undefined;
    if (counters.iterations === 0) return; // nothing to restore: the moments start at the first step
    this.moments = tf.tidy(() =>
      this.variables.map((p, i) => {
        const { m, v } = moments[i]!;
        if (!this.kernel) return [tf.variable(tf.tensor(m, p.shape), false), tf.variable(tf.tensor(v, p.shape), false)];
        const packed = new Float32Array(2 * p.size);
        packed.set(m);
        packed.set(v, p.size);
        return [tf.variable(tf.tensor1d(packed), false)];
      }),
    );
  }

  dispose(): void {
    tf.dispose(this.moments?.flat() ?? []);
    this.moments = undefined;
    this.kernel?.dispose();
  }
}
