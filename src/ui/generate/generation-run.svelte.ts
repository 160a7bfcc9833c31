// One generation request as the page sees it: the model download's progress, the response being
// streamed, the finished responses, Cancel, and the error in words. The worker does the work
// (worker/generation.ts); this class only applies its events, so a view reads plain state.
import type { GeneratedResponse } from '../../core/generate/answers.ts';
import type { GenerationSettings } from '../../core/generate/settings.ts';
import type { Text } from '../../core/data/pair.ts';
import type { LoadProgress } from '../../core/model/pretrained.ts';
import type { GenerationEvent } from '../../worker/generation.ts';
import type { LabClient } from '../lab-client.svelte.ts';

export interface LiveResponse {
  prompt: number;
  response: number;
  text: string;
}

export class GenerationRun {
  #running = $state(false);
  #download = $state.raw<LoadProgress | undefined>();
  #loaded = $state.raw<{ model: string; device: string; dtype: string } | undefined>();
  #live = $state.raw<LiveResponse | undefined>();
  #responses = $state.raw<GeneratedResponse[]>([]);
  #total = $state(0);
  #error = $state<string | undefined>();
  #cancelled = $state(false);
  #tokensPerSecond = $state<number | undefined>();
  /** The shared Cancel flag of the running request (see GenerationRequest.stopFlag), where the page is isolated. */
  #stopFlag: Int32Array | undefined;

  /** `lab` is read when a request starts (a component passes its prop through a closure). */
  constructor(private readonly lab: () => LabClient) {}

  get running(): boolean {
    return this.#running;
  }
  /** The model's files while they download (or are read from the cache); undefined once generating. */
  get download(): LoadProgress | undefined {
    return this.#download;
  }
  get loaded(): { model: string; device: string; dtype: string } | undefined {
    return this.#loaded;
  }
  /** The response being generated now, as far as it has come. */
  get live(): LiveResponse | undefined {
    return this.#live;
  }
  get responses(): GeneratedResponse[] {
    return this.#responses;
  }
  /** Responses asked for (prompts x N). */
  get total(): number {
    return this.#total;
  }
  get error(): string | undefined {
    return this.#error;
  }
  get cancelled(): boolean {
    return this.#cancelled;
  }
  /** Tokens a second of the last finished response. */
  get tokensPerSecond(): number | undefined {
    return this.#tokensPerSecond;
  }

  /** Generates; resolves with the finished responses (none cut short), or undefined when it failed. */
  async run(
    prompts: Text[],
    settings: Partial<GenerationSettings>,
    version?: string,
  ): Promise<GeneratedResponse[] | undefined> {
    this.#running = true;
    this.#error = undefined;
    this.#cancelled = false;
    this.#responses = [];
    this.#live = undefined;
    this.#download = undefined;
    this.#total = prompts.length * (settings.responses ?? 1);
    try {
      this.#stopFlag = globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
      const request = {
        prompts: $state.snapshot(prompts) as Text[],
        settings: { ...settings },
        version,
        ...(this.#stopFlag ? { stopFlag: this.#stopFlag } : {}),
      };
      const { responses, cancelled } = await this.lab().generateResponses(request, (e) => this.#apply(e));
      this.#cancelled = cancelled;
      this.#responses = responses.filter((r) => r.finish !== 'cancelled');
      return this.#responses;
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
      return undefined;
    } finally {
      this.#running = false;
      this.#live = undefined;
      this.#download = undefined;
    }
  }

  /** Forgets the last request's responses and outcome (a view starting over). */
  clear(): void {
    if (this.#running) return;
    this.#responses = [];
    this.#error = undefined;
    this.#cancelled = false;
    this.#total = 0;
  }

  cancel(): void {
    if (this.#stopFlag) Atomics.store(this.#stopFlag, 0, 1);
    this.lab().cancelGeneration();
  }

  #apply(e: GenerationEvent): void {
    // Events come through their own message port: one may land after the request's result, which
    // already holds every response; applying it then would count a response twice.
    if (!this.#running) return;
    switch (e.kind) {
      case 'loading':
        this.#download = e.progress;
        break;
      case 'loaded':
        this.#download = undefined;
        this.#loaded = { model: e.model, device: e.device, dtype: e.dtype };
        break;
      case 'token': {
        const live = this.#live;
        const same = live && live.prompt === e.prompt && live.response === e.response;
        this.#live = { prompt: e.prompt, response: e.response, text: (same ? live.text : '') + e.text };
        break;
      }
      case 'response':
        this.#responses = [...this.#responses, e.result];
        this.#tokensPerSecond = e.seconds > 0 ? e.result.tokens / e.seconds : undefined;
        this.#live = undefined;
        break;
      default: {
        const never: never = e;
        throw new Error(`unknown generation event ${JSON.stringify(never)}`);
      }
    }
  }
}
