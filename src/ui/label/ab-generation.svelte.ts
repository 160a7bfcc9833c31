// Two generation setups answering one prompt list, for an A/B labelling project and a regression
// file: setup A answers every prompt, then setup B (one model loaded at a time; the same model with
// two settings stays loaded). Each setup is a GenerationRun (the worker streams, Cancel stops after
// the current token). What finished is kept whatever happens next: a Cancel or a failing generator
// leaves the answers so far, the regression file holds all of them, and the labelling project the
// prompts both setups answered (answeredByAll), so a partial result is still a consistent one.
import { answeredByAll, answersFile, distinctVersions, type GeneratedResponse } from '../../core/generate/answers.ts';
import { parseGenerationSettings, settingsLabel, type GenerationSettings } from '../../core/generate/settings.ts';
import { textOf, type Text } from '../../core/data/pair.ts';
import type { LabClient } from '../lab-client.svelte.ts';
import { GenerationRun } from '../generate/generation-run.svelte.ts';

export type ABPhase = 'idle' | 'a' | 'b' | 'done';

export class ABGeneration {
  readonly runA: GenerationRun;
  readonly runB: GenerationRun;
  readonly responses: GeneratedResponse[];
  readonly complete: number;
  #prompts = $state.raw<Text[]>([]);
  #versions = $state.raw<[string, string] | undefined>();
  #phase = $state<ABPhase>('idle');
  #stopped = $state(false);
  #settingsError = $state<string | undefined>();

  constructor(lab: () => LabClient) {
    this.runA = new GenerationRun(lab);
    this.runB = new GenerationRun(lab);
    /** Finished answers of both setups, A's first. */
    this.responses = $derived([...this.runA.responses, ...this.runB.responses]);
    /** Prompts both setups answered: the A/B items. */
    this.complete = $derived(this.#versions ? answeredByAll(this.responses, this.#versions).size : 0);
  }

  get phase(): ABPhase {
    return this.#phase;
  }
  get running(): boolean {
    return this.#phase === 'a' || this.#phase === 'b';
  }
  /** The setups' version names (the answers file's keys), once a generation has started. */
  get versions(): [string, string] | undefined {
    return this.#versions;
  }
  get prompts(): Text[] {
    return this.#prompts;
  }
  /** Cancel was pressed: setup B is not started after A. */
  get stopped(): boolean {
    return this.#stopped;
  }
  get settingsError(): string | undefined {
    return this.#settingsError;
  }
  /** The run going on now, or the last one. */
  get current(): GenerationRun {
    return this.#phase === 'b' || (this.#phase === 'done' && this.runB.responses.length > 0) ? this.runB : this.runA;
  }
  /** The first generator's error, in words (the run stops there). */
  get error(): string | undefined {
    return this.runA.error ?? this.runB.error;
  }

  readonly total = $derived(this.#prompts.length * 2);

  /** Generates one answer per prompt with A, then with B; resolves when both ended, failed or were cancelled. */
  async generate(prompts: Text[], a: GenerationSettings, b: GenerationSettings): Promise<void> {
    this.#settingsError = undefined;
    let parsed: [GenerationSettings, GenerationSettings];
    try {
      parsed = [parseGenerationSettings({ ...a, responses: 1 }), parseGenerationSettings({ ...b, responses: 1 })];
    } catch (error) {
      this.#settingsError = (error as Error).message;
      return;
    }
    if (prompts.length === 0) {
      this.#settingsError = 'No prompts: paste some (one a line) or pick a dataset.';
      return;
    }
    this.#prompts = prompts;
    this.#versions = distinctVersions(settingsLabel(parsed[0]), settingsLabel(parsed[1]));
    this.#stopped = false;
    this.#phase = 'a';
    this.runB.clear();
    try {
      const first = await this.runA.run(prompts, parsed[0], this.#versions[0]);
      if (!first || this.runA.cancelled || this.#stopped) return;
      this.#phase = 'b';
      await this.runB.run(prompts, parsed[1], this.#versions[1]);
    } finally {
      this.#phase = 'done';
    }
  }

  cancel(): void {
    this.#stopped = true;
    if (this.#phase === 'a') this.runA.cancel();
    if (this.#phase === 'b') this.runB.cancel();
  }

  /** The regression file (answersFile): every finished answer, of either setup. */
  regressionFile(): string {
    return answersFile(this.#prompts.map(textOf), this.responses);
  }

  /** The labelling project's candidates: the prompts both setups answered. */
  abCandidates(): string {
    const both = this.#versions ? answeredByAll(this.responses, this.#versions) : new Set<number>();
    return answersFile(
      this.#prompts.map(textOf),
      this.responses.filter((r) => both.has(r.prompt)),
    );
  }
}
