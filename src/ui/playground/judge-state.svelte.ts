// The playground's reference judge: a Hub reward model the worker loads (judge-session.ts), its
// download progress, Cancel and the error in words, and the scoring call the views use beside the
// user's model. One class owns this state; components read it through getters.
import type { ScoreItem } from '../../core/eval/score.ts';
import type { LoadProgress } from '../../core/model/pretrained.ts';
import type { LoadedJudge } from '../../worker/judge-session.ts';

export interface JudgeWorker {
  loadJudge(model: string, onProgress: (p: LoadProgress) => void): Promise<LoadedJudge>;
  cancelJudgeLoad(): Promise<void> | void;
  unloadJudge(): Promise<void>;
  judgeResponses(items: ScoreItem[]): Promise<number[]>;
}

export class JudgeState {
  #loading = $state(false);
  #progress = $state.raw<LoadProgress | undefined>();
  #loaded = $state.raw<LoadedJudge | undefined>();
  #error = $state<string | undefined>();

  constructor(private readonly workerOf: () => JudgeWorker) {}

  private get worker(): JudgeWorker {
    return this.workerOf();
  }

  get loading(): boolean {
    return this.#loading;
  }
  get progress(): LoadProgress | undefined {
    return this.#progress;
  }
  get loaded(): LoadedJudge | undefined {
    return this.#loaded;
  }
  get error(): string | undefined {
    return this.#error;
  }

  async load(model: string): Promise<void> {
    this.#loading = true;
    this.#error = undefined;
    this.#progress = undefined;
    try {
      this.#loaded = await this.worker.loadJudge(model.trim(), (p) => {
        this.#progress = p;
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#error = /cancelled/i.test(message) ? undefined : message;
    } finally {
      this.#loading = false;
    }
  }

  cancel(): void {
    void this.worker.cancelJudgeLoad();
  }

  async clear(): Promise<void> {
    this.#loaded = undefined;
    await this.worker.unloadJudge();
  }

  /** The judge's rewards, or undefined when none is loaded. */
  async score(items: ScoreItem[]): Promise<number[] | undefined> {
    return this.#loaded ? this.worker.judgeResponses(items) : undefined;
  }
}
