// Downloads what a link names (a dataset, a model): http(s) only, a size limit checked before and
// while reading, and the ways a download fails said in plain words: an address that is wrong, a
// file that is missing, a server that does not let other sites read it (CORS), a file too large.

/** The most a dataset link loads: a larger file is better downloaded once and imported from disk. */
export const DATASET_URL_MAX_BYTES = 256 * 1024 * 1024;
/** The most a model link loads (a BERT-base reward model is about 440 MB). */
export const MODEL_URL_MAX_BYTES = 1024 * 1024 * 1024;

export interface Download {
  /** The body, which errors with a plain message if it grows past the limit. */
  stream: ReadableStream<Uint8Array>;
  /** From Content-Length, when the server sent it. */
  totalBytes?: number;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/** The URL, if it is an absolute http(s) address; a plain error otherwise. */
export function httpUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`the ${what} address "${value}" is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`the ${what} address must start with https:// or http:// (got "${url.protocol}")`);
  }
  return url;
}

export async function fetchLimited(
  value: string,
  what: string,
  maxBytes: number,
  fetchImpl: typeof fetch = fetch,
): Promise<Download> {
  const url = httpUrl(value, what);
  let response: Response;
  try {
    response = await fetchImpl(url.href);
  } catch {
    // fetch says no more than "Failed to fetch" for both: the browser hides the reason on purpose.
    throw new Error(
      `could not download the ${what} from ${url.href}: the server could not be reached, or it does not ` +
        'let other sites read the file (CORS). Check the address, or download the file and import it from your disk.',
    );
  }
  if (!response.ok || !response.body) {
    const why = response.status === 404 ? 'there is no file at that address' : `the server answered ${response.status}`;
    throw new Error(`could not download the ${what} from ${url.href}: ${why} (HTTP ${response.status})`);
  }
  const tooLarge = (size: string) =>
    new Error(
      `the ${what} at ${url.href} is ${size}, more than the ${mb(maxBytes)} a link loads; ` +
        'download it and import it from your disk instead',
    );
  const declared = Number(response.headers.get('content-length')) || undefined;
  if (declared !== undefined && declared > maxBytes) {
    await response.body.cancel();
    throw tooLarge(mb(declared));
  }
  let read = 0;
  const stream = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > maxBytes) controller.error(tooLarge(`over ${mb(maxBytes)}`));
        else controller.enqueue(chunk);
      },
    }),
  );
  return { stream, ...(declared !== undefined ? { totalBytes: declared } : {}) };
}

/** The whole body, reporting bytes read as they come. */
export async function readAll(download: Download, onProgress?: (bytesRead: number) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = download.stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
    onProgress?.(length);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
