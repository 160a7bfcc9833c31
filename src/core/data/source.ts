// The bytes of an imported file before any container reads them: counting them for progress,
// looking at the first ones without losing them, and undoing gzip.

/** Bytes `bytes` starts with, e.g. to tell gzip (1f 8b) from text. */
export function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

export const GZIP_MAGIC = [0x1f, 0x8b] as const;
export const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface Peeked {
  /** The first bytes of the stream, at least as many as asked for unless the stream is shorter. */
  head: Uint8Array;
  /** The whole stream again, the head included. Cancelling it cancels the original. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Reads the start of a stream until `enough(head)` holds (or the stream ends) and gives back the
 * head and a stream that replays it before the rest. Nothing is read twice and nothing is lost.
 */
export async function peek(stream: ReadableStream<Uint8Array>, enough: (head: Uint8Array) => boolean): Promise<Peeked> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let head: Uint8Array = new Uint8Array(0);
  let done = false;
  try {
    while (!enough(head)) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        break;
      }
      chunks.push(next.value);
      head = concatBytes(chunks);
    }
  } catch (error) {
    reader.releaseLock();
    throw error;
  }
  let replay: Uint8Array | undefined = head.length > 0 ? head : undefined;
  const replayed = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (replay !== undefined) {
          controller.enqueue(replay);
          replay = undefined;
          return;
        }
        if (done) {
          controller.close();
          return;
        }
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { head, stream: replayed };
}

export interface OpenedSource {
  /** The file's content: decompressed when it was gzipped. */
  stream: ReadableStream<Uint8Array>;
  gzip: boolean;
  /** Whether reading the file itself failed (as opposed to its gzip data being corrupt). */
  sourceFailed: () => boolean;
}

/**
 * Counts the bytes read from the file (compressed bytes, for a gzipped one: that is what a
 * progress bar against the file's size needs) and undoes gzip when the file starts with its
 * magic bytes, with the platform's DecompressionStream (browsers, Node 18+).
 */
export async function openSource(
  stream: ReadableStream<Uint8Array>,
  onBytes?: (bytesRead: number) => void,
): Promise<OpenedSource> {
  const reader = stream.getReader();
  let bytesRead = 0;
  let failed = false;
  const counted = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          failed = true;
          throw error;
        }
        if (next.done) {
          controller.close();
          return;
        }
        bytesRead += next.value.length;
        onBytes?.(bytesRead);
        controller.enqueue(next.value);
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const { head, stream: whole } = await peek(counted, (h) => h.length >= GZIP_MAGIC.length);
  const gzip = startsWith(head, GZIP_MAGIC);
  const content = gzip
    ? whole.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
    : whole;
  return { stream: content, gzip, sourceFailed: () => failed };
}

/** The bytes of a gzip stream, for tests and for exports a user asks to have compressed. */
export async function gzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
