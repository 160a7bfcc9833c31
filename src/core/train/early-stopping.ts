// Early stopping on held-out loss, and the best checkpoint. After each evaluation the held-out loss
// is compared with the lowest so far: a new lowest copies the weights (on the device: no read-back
// in the loop), anything else counts one evaluation without improvement; `patience` of those in a row
// ends the run (0: never). Whatever ends the run, the best weights are what it stores as its model,
// and the last weights are kept beside them.
//
// The state is part of a checkpoint (TrainState.best), so a resumed run stops at the same step and
// keeps the same best weights as one that never stopped.
import * as tf from '@tensorflow/tfjs';
import type { NamedWeight, RewardModel } from '../model/reward-model.ts';

export interface BestState {
  /** The step of the evaluation with the lowest held-out loss so far. */
  step: number;
  loss: number;
  /** Evaluations since then, none of them lower. */
  evalsSince: number;
  /** The weights at `step`; absent when they are the checkpoint's own weights (best step = checkpoint step). */
  weights?: NamedWeight[];
}

export class EarlyStopping {
  #best: { step: number; loss: number; evalsSince: number } | undefined;
  /** Device copies of the weights at the best step, by parameter name. */
  #weights = new Map<string, tf.Tensor>();

  constructor(readonly patience: number) {}

  /** Puts back a checkpoint's state; `model` already holds the checkpoint's weights. */
  restore(state: BestState | undefined, model: RewardModel, step: number): void {
    this.dispose();
    if (!state) return;
    this.#best = { step: state.step, loss: state.loss, evalsSince: state.evalsSince };
    if (state.weights) {
      for (const w of state.weights) this.#weights.set(w.name, tf.tensor(w.data, w.shape, 'float32'));
    } else if (state.step === step) {
      this.#copy(model);
    } else {
      throw new Error(`the checkpoint of step ${step} has no weights for its best step ${state.step}`);
    }
  }

  get bestStep(): number | undefined {
    return this.#best?.step;
  }

  get bestLoss(): number | undefined {
    return this.#best?.loss;
  }

  /** Takes an evaluation's held-out loss; true when the run should stop here. */
  observe(model: RewardModel, step: number, loss: number): boolean {
    if (!this.#best || loss < this.#best.loss) {
      this.#best = { step, loss, evalsSince: 0 };
      this.#copy(model);
      return false;
    }
    this.#best.evalsSince++;
    return this.patience > 0 && this.#best.evalsSince >= this.patience;
  }

  /** The state a checkpoint of step `step` keeps (weights read back only when they differ from the model's). */
  async capture(step: number): Promise<BestState | undefined> {
    if (!this.#best) return undefined;
    const state: BestState = { ...this.#best };
    if (this.#best.step !== step) state.weights = await this.bestWeights();
    return state;
  }

  /** The best step, its held-out loss and its weights (read back), or undefined before the first evaluation. */
  async best(): Promise<{ step: number; loss: number; weights: NamedWeight[] } | undefined> {
    const weights = await this.bestWeights();
    return this.#best && weights && { step: this.#best.step, loss: this.#best.loss, weights };
  }

  /** The best weights, read back (copies), or undefined before the first evaluation. */
  async bestWeights(): Promise<NamedWeight[] | undefined> {
    if (!this.#best) return undefined;
    return Promise.all(
      [...this.#weights].map(async ([name, t]) => ({
        name,
        shape: [...t.shape],
        data: new Float32Array((await t.data()) as Float32Array),
      })),
    );
  }

  #copy(model: RewardModel): void {
    tf.dispose([...this.#weights.values()]);
    this.#weights.clear();
    for (const [name, v] of model.params) this.#weights.set(name, tf.clone(v));
  }

  dispose(): void {
    tf.dispose([...this.#weights.values()]);
    this.#weights.clear();
    this.#best = undefined;
  }
}
