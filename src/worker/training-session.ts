// The run training in this tab, as the worker drives it: one at a time, stopped or paused from the
// page between steps. Its flags live here, not in the worker's module scope, so what "training" means
// is one object's state (scoring asks it before taking the backend).
import { parseTrainConfig, type BackendChoice } from '../core/train/config.ts';
import { openLabDB, type RunRecord } from '../store/db.ts';
import { holding, TRAINING_LOCK } from '../store/liveness.ts';
import { PauseGate, resumeRun, runTraining, type RunUpdate } from './train-run.ts';

export class TrainingSession {
  #training = false;
  #stopRequested = false;
  readonly #pause = new PauseGate();

  get training(): boolean {
    return this.#training;
  }

  /** Trains a new run on a dataset; refuses while another run trains in this tab. */
  train(
    dataset: { id: string; name: string },
    rawConfig: unknown,
    onUpdate: (u: RunUpdate) => void,
  ): Promise<RunRecord> {
    return this.#exclusive(async () => {
      const config = parseTrainConfig(rawConfig);
      const db = await openLabDB();
      return holding(TRAINING_LOCK, () =>
        runTraining(db, dataset, config, onUpdate, () => this.#stopRequested, this.#pause),
      );
    });
  }

  /** Goes on with an interrupted, stopped or failed run from its latest checkpoint (see resumeRun). */
  resume(runId: string, onUpdate: (u: RunUpdate) => void, backend?: BackendChoice): Promise<RunRecord> {
    return this.#exclusive(async () => {
      const db = await openLabDB();
      // One tab at a time resumes a run: two clicks in two tabs must not train it twice.
      const once = (lock: Lock | null) => {
        if (!lock) throw new Error('this run is being resumed in another tab');
        return resumeRun(db, runId, onUpdate, () => this.#stopRequested, this.#pause, backend);
      };
      const exclusive = () =>
        navigator.locks.request(`rm-lab-resume-${runId}`, { ifAvailable: true }, once) as unknown as Promise<RunRecord>;
      return holding(TRAINING_LOCK, exclusive);
    });
  }

  stop(): void {
    this.#stopRequested = true;
    this.#pause.resume(); // a paused run wakes up to stop
  }

  /** Pauses the run after its current step (it writes a checkpoint, then waits). */
  pause(): void {
    if (this.#training) this.#pause.pause();
  }

  unpause(): void {
    this.#pause.resume();
  }

  async #exclusive(run: () => Promise<RunRecord>): Promise<RunRecord> {
    if (this.#training) throw new Error('a run is already training in this tab');
    this.#training = true;
    this.#stopRequested = false;
    this.#pause.resume();
    try {
      return await run();
    } finally {
      this.#training = false;
    }
  }
}
