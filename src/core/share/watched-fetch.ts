// A fetch that can always be stopped: the caller's AbortSignal stops it at once, whether it waits
// for the answer's headers or for the next chunk of its body, and a stall timeout stops it when
// nothing has arrived for that long (a server that answers and then sends nothing, or never
// answers). Used by every download RM Lab starts: dataset and model links (fetch-url.ts) and
// pretrained model files (model/hub.ts).

/** How long a download may receive nothing before it is given up as stalled. */
export const STALL_TIMEOUT_MS = 30_000;

/** A download that received nothing for the stall timeout. */
export class DownloadStalled extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadStalled';
  }
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Give up after this long with nothing received (STALL_TIMEOUT_MS by default). */
  stallMs?: number;
  fetchImpl?: typeof fetch;
}

export interface WatchReasons {
  /** The error a cancelled download fails with. */
  cancelled: () => Error;
  /** The error a stalled download fails with (`seconds`: the stall timeout). */
  stalled: (seconds: number) => DownloadStalled;
}

/** The time a download may wait for its next bytes, and the signal that stops it. */
class Watch {
  readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly aborted: Promise<never>;
  private readonly onCallerAbort = () => this.controller.abort(this.reasons.cancelled());

  constructor(
    private readonly caller: AbortSignal | undefined,
    private readonly stallMs: number,
    private readonly reasons: WatchReasons,
  ) {
    this.aborted = new Promise<never>((_, reject) => {
      this.controller.signal.addEventListener('abort', () => reject(this.controller.signal.reason as Error), {
        once: true,
      });
    });
    this.aborted.catch(() => undefined); // observed through race(); never an unhandled rejection
    if (caller?.aborted) this.onCallerAbort();
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /** `work`, or the cancel/stall error as soon as either happens, whichever comes first. */
  async race<T>(work: Promise<T>): Promise<T> {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(this.reasons.stalled(this.stallMs / 1000)), this.stallMs);
    try {
      return await Promise.race([work, this.aborted]);
    } finally {
      clearTimeout(this.timer);
    }
  }

  /** The error to fail with: the cancel/stall reason when that is why, else `error`. */
  reason(error: unknown): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : error;
  }

  done(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}

export interface WatchedResponse {
  response: Response;
  /** The body, under the same watch: it errors with the cancel or stall reason. Undefined without a body. */
  body?: ReadableStream<Uint8Array>;
}

/**
 * fetch(url) under a watch. Failures of the request itself are thrown as fetch throws them
 * (the caller words them); cancelling and stalling throw the `reasons` errors.
 */
export async function watchedFetch(
  url: string,
  init: RequestInit,
  options: WatchOptions,
  reasons: WatchReasons,
): Promise<WatchedResponse> {
  const watch = new Watch(options.signal, options.stallMs ?? STALL_TIMEOUT_MS, reasons);
  const fetchImpl = options.fetchImpl ?? fetch;
  let response: Response;
  try {
    response = await watch.race(fetchImpl(url, { ...init, signal: watch.controller.signal }));
  } catch (error) {
    watch.done();
    throw watch.reason(error);
  }
  if (!response.body) {
    watch.done();
    return { response };
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await watch.race(reader.read());
        } catch (error) {
          watch.done();
          void reader.cancel().catch(() => undefined);
          throw watch.reason(error);
        }
        if (next.done) {
          watch.done();
          controller.close();
        } else controller.enqueue(next.value);
      },
      async cancel(reason) {
        watch.done();
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return { response, body };
}

/**
 * A stream's bytes joined into one array, reporting the running count; `maxBytes` stops it with
 * `tooLarge()` as soon as more than that arrived (the stream is cancelled).
 */
export async function collectBytes(
  stream: ReadableStream<Uint8Array>,
  options: { maxBytes?: number; tooLarge?: () => Error; onBytes?: (bytesRead: number) => void } = {},
): Promise<Uint8Array> {
  const { maxBytes = Number.POSITIVE_INFINITY, onBytes } = options;
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw options.tooLarge?.() ?? new Error(`more than ${maxBytes} bytes`);
      }
      chunks.push(value);
      onBytes?.(length);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
