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

import { collectBytes, DownloadStalled, watchedFetch, type WatchOptions } from './watched-fetch.ts';

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

/** The file name a link ends with, for a dataset's name: decoded where it can be, as written where not. */
export function linkFileName(url: string): string {
  const last = new URL(url).pathname.split('/').pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // A malformed %-escape ("URI malformed"): the name as the link writes it says enough.
  }
  return name || url;
}

/** A download the user stopped: the page stays quiet about it, and offers to start it again. */
export class DownloadCancelled extends Error {
  constructor(what: string) {
    super(`the download of the ${what} was cancelled`);
    this.name = 'DownloadCancelled';
  }
}

export type FetchLimitedOptions = WatchOptions;

/**
 * Starts a download: the answer's headers checked (status, declared size), the body capped at
 * `maxBytes` and watched (stopped at once by `signal`, failed after `stallMs` with nothing received).
 */
export async function fetchLimited(
  value: string,
  what: string,
  maxBytes: number,
  options: FetchLimitedOptions = {},
): Promise<Download> {
  const url = httpUrl(value, what);
  const reasons = {
    cancelled: () => new DownloadCancelled(what),
    stalled: (seconds: number) =>
      new DownloadStalled(
        `the download of the ${what} from ${url.href} stalled: nothing arrived for ${seconds} s. ` +
          'The server may be overloaded or the connection lost; try again, or download the file and import it from your disk',
      ),
  };
  let response: Response;
  let body: ReadableStream<Uint8Array> | undefined;
  try {
    // no-store: a retry after a stall must reach the server, not wait on the browser's cache entry
    // for the stalled request (Chromium holds a second request to the same URL behind the first).
    ({ response, body } = await watchedFetch(url.href, { cache: 'no-store' }, options, reasons));
  } catch (error) {
    if (error instanceof DownloadCancelled || error instanceof DownloadStalled) throw error;
    // fetch says no more than "Failed to fetch" for both: the browser hides the reason on purpose.
    throw new Error(
      `could not download the ${what} from ${url.href}: the server could not be reached, or it does not ` +
        'let other sites read the file (CORS). Check the address, or download the file and import it from your disk.',
      { cause: error },
    );
  }
  if (!response.ok || !body) {
    await body?.cancel();
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
    await body.cancel();
    throw tooLarge(mb(declared));
  }
  let read = 0;
  const stream = body.pipeThrough(
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
export function readAll(download: Download, onProgress?: (bytesRead: number) => void): Promise<Uint8Array> {
  return collectBytes(download.stream, onProgress ? { onBytes: onProgress } : {});
}
