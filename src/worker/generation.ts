// Generating responses in the worker with a Hub text generator (Transformers.js): N responses per
// prompt, token by token through a TextStreamer, stoppable between any two tokens. The session
// keeps the last generator loaded, so a second request with the same model starts at once; one
// request runs at a time (a new one cancels the last).
import type { TextGenerationPipeline } from '@huggingface/transformers';
import { chatMessages, type GeneratedResponse } from '../core/generate/answers.ts';
import { parseGenerationSettings, settingsLabel, type GenerationSettings } from '../core/generate/settings.ts';
import { LoadCancelled } from '../core/model/hub.ts';
import type { LoadProgress } from '../core/model/pretrained.ts';
import { textOf, type Text } from '../core/data/pair.ts';
import { loadHubPipeline, transformersLibrary, type LoadedHubModel } from './hub-pipelines.ts';

export interface GenerationRequest {
  prompts: Text[];
  /** Validated here (parseGenerationSettings): a bad field fails the request before anything loads. */
  settings: Partial<GenerationSettings>;
  /** The Hub's address (the page's setting). */
  endpoint?: string;
  /** The name the responses carry (default: settingsLabel of the settings). */
  version?: string;
  /** Tests shorten the stall timeout of downloads. */
  stallMs?: number;
  /**
   * Cancel as shared memory (the page sets [0] to 1), read between two tokens. ONNX Runtime's WASM
   * runs resolve without leaving the worker's microtask queue, so a Cancel message would wait for
   * the whole request; a cross-origin isolated page (as RM Lab is served) shares this instead.
   */
  stopFlag?: Int32Array;
}

/** What the page hears while a request runs. */
export type GenerationEvent =
  | { kind: 'loading'; progress: LoadProgress }
  | { kind: 'loaded'; model: string; device: string; dtype: string }
  /** New text of one response (a word or so at a time). */
  | { kind: 'token'; prompt: number; response: number; text: string }
  | { kind: 'response'; response: number; result: GeneratedResponse; seconds: number };

/** A request stopped by cancelGeneration: the responses finished before it, and the one cut short. */
export class GenerationCancelled extends Error {
  constructor(readonly responses: GeneratedResponse[]) {
    super('generating was cancelled');
    this.name = 'GenerationCancelled';
  }
}

type Generator = LoadedHubModel<TextGenerationPipeline>;

export class GenerationSession {
  #loaded: { key: string; generator: Generator } | undefined;
  #controller: AbortController | undefined;
  #interrupt: (() => void) | undefined;

  /** Stops the running request: its download, or its generation after the current token. */
  cancel(): void {
    this.#controller?.abort();
    this.#interrupt?.();
  }

  async generate(request: GenerationRequest, onEvent: (e: GenerationEvent) => void): Promise<GeneratedResponse[]> {
    this.cancel();
    const controller = (this.#controller = new AbortController());
    const settings = parseGenerationSettings(request.settings);
    const version = request.version ?? settingsLabel(settings);
    const done: GeneratedResponse[] = [];
    try {
      const generator = await this.#generator(settings, request, controller.signal, onEvent);
      for (let prompt = 0; prompt < request.prompts.length; prompt++) {
        for (let n = 0; n < settings.responses; n++) {
          const started = performance.now();
          const result = await this.#respond(generator, request, prompt, settings, controller.signal, (text) =>
            onEvent({ kind: 'token', prompt, response: n, text }),
          );
          const response: GeneratedResponse = { prompt, version, ...result };
          done.push(response);
          if (result.finish === 'cancelled') throw new GenerationCancelled(done);
          onEvent({ kind: 'response', response: n, result: response, seconds: (performance.now() - started) / 1000 });
        }
      }
      return done;
    } catch (error) {
      if (error instanceof LoadCancelled) throw new GenerationCancelled(done);
      throw error;
    } finally {
      if (this.#controller === controller) this.#controller = undefined;
    }
  }

  /** The generator the settings name: the one kept loaded when it is the same, else a fresh load. */
  async #generator(
    settings: GenerationSettings,
    request: GenerationRequest,
    signal: AbortSignal,
    onEvent: (e: GenerationEvent) => void,
  ): Promise<Generator> {
    const key = JSON.stringify([request.endpoint ?? '', settings.model, settings.device]);
    if (this.#loaded?.key !== key) {
      const old = this.#loaded;
      this.#loaded = undefined;
      await old?.generator.pipeline.dispose().catch(() => {});
      const generator = await loadHubPipeline('text-generation', {
        model: settings.model,
        device: settings.device,
        signal,
        ...(request.endpoint ? { endpoint: request.endpoint } : {}),
        ...(request.stallMs ? { stallMs: request.stallMs } : {}),
        onProgress: (progress) => onEvent({ kind: 'loading', progress }),
      });
      this.#loaded = { key, generator };
    }
    const { generator } = this.#loaded;
    onEvent({ kind: 'loaded', model: generator.model, device: generator.device, dtype: generator.dtype });
    return generator;
  }

  /** One response, streamed; 'cancelled' when the signal stopped it (the text so far is kept). */
  async #respond(
    generator: Generator,
    request: GenerationRequest,
    prompt: number,
    settings: GenerationSettings,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<Omit<GeneratedResponse, 'prompt' | 'version'>> {
    const lib = await transformersLibrary();
    const pipe = generator.pipeline;
    const flag = request.stopFlag;
    // Stops when Cancel came as a message (this.cancel) or through the shared flag.
    class CancelCriteria extends lib.InterruptableStoppingCriteria {
      override _call(inputIds: number[][], scores: number[][]): boolean[] {
        if (flag && Atomics.load(flag, 0) === 1) this.interrupt();
        return super._call(inputIds, scores);
      }
    }
    const stop = new CancelCriteria();
    this.#interrupt = () => stop.interrupt();
    if (signal.aborted || (flag && Atomics.load(flag, 0) === 1)) stop.interrupt();
    let tokens = 0;
    let streamed = '';
    const streamer = new lib.TextStreamer(pipe.tokenizer, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (text: string) => {
        streamed += text;
        if (text) onText(text);
      },
      token_callback_function: () => void tokens++,
    });
    // A chat model gets its chat template; a base model (no template) the prompt as plain text.
    const chat = Boolean((pipe.tokenizer as { chat_template?: unknown }).chat_template);
    const sampling = settings.temperature > 0;
    const text0 = request.prompts[prompt]!;
    const output = (await pipe(chat ? chatMessages(text0) : textOf(text0), {
      max_new_tokens: settings.maxNewTokens,
      do_sample: sampling,
      ...(sampling ? { temperature: settings.temperature, top_p: settings.topP } : {}),
      return_full_text: false,
      streamer,
      stopping_criteria: [stop],
    })) as { generated_text: string | { role: string; content: string }[] }[];
    this.#interrupt = undefined;
    const generated = output[0]?.generated_text;
    const text = typeof generated === 'string' ? generated : (generated?.at(-1)?.content ?? streamed);
    const finish = stop.interrupted ? 'cancelled' : tokens >= settings.maxNewTokens ? 'length' : 'eos';
    return { text: text.trim(), tokens, finish };
  }
}
