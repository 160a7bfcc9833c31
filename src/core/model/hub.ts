// Where a pretrained model's files come from: the Hugging Face Hub, any URL that serves a model
// folder, or files the user picked. Each is a FolderReader: read a file by name, in streamed
// chunks (so a progress bar can count bytes), cancellable, "absent" told apart from every failure.
// Framework-free: the worker and the CLI (Node's fetch) use the same code.

import { DownloadStalled, watchedFetch, type WatchOptions } from '../share/watched-fetch.ts';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/**
 * The largest file a model folder may hold: more than any BERT-family checkpoint RM Lab trains
 * (BERT-large is 1.3 GB in F32), less than a tab can hold twice. A server announcing more is
 * refused before anything is allocated.
 */
export const HUB_FILE_MAX_BYTES = 2 * 1024 * 1024 * 1024;
/** The most allocated up front for a file of announced size; larger files grow to their size as they arrive. */
const FIRST_BUFFER_BYTES = 64 * 1024 * 1024;

/** How a folder on the network waits: the stall timeout (tests shorten it). */
export type FolderOptions = Pick<WatchOptions, 'stallMs'>;

export interface ReadOptions {
  signal?: AbortSignal;
  /** Bytes of this file read so far, and its size when the server said it. */
  onBytes?: (loaded: number, total: number | undefined) => void;
}

export interface FolderReader {
  /** How the user named the folder: 'prajjwal1/bert-tiny', a URL, 'folder:my-model'. */
  readonly label: string;
  /** A file's bytes, or undefined when the folder has no such file. Throws for every other failure. */
  read(file: string, options?: ReadOptions): Promise<Uint8Array | undefined>;
  /**
   * A file's size without reading it (a HEAD request's Content-Length), or undefined when it is
   * absent or the folder cannot say; never throws, except when cancelled.
   */
  size?(file: string, options?: Pick<ReadOptions, 'signal'>): Promise<number | undefined>;
}

/** How long a size question may wait: it is a nicety before the download, never worth a stall's wait. */
const SIZE_WAIT_MS = 10_000;

/** A load the user stopped. Kept apart from failures so the page can stay quiet about it. */
export class LoadCancelled extends Error {
  constructor() {
    super('loading the encoder was cancelled');
    this.name = 'LoadCancelled';
  }
}

/** A model repository on the Hub: `${endpoint}/${id}/resolve/${revision}/${file}`. */
export function hubFolder(
  id: string,
  revision = 'main',
  endpoint = DEFAULT_HUB_ENDPOINT,
  folderOptions: FolderOptions = {},
): FolderReader {
  const base = `${endpoint.replace(/\/$/, '')}/${id}/resolve/${encodeURIComponent(revision)}`;
  const label = revision === 'main' ? id : `${id}@${revision}`;
  return httpFolder(base, label, folderOptions, (status, code, file) => hubVerdict(id, revision, status, code, file));
}

/**
 * What a Hub answer that is not 200 means: 'absent' (the repository is there, the file is not), or
 * the message to fail with. Also used for the files Transformers.js fetches (worker/hub-pipelines.ts).
 */
export function hubVerdict(
  id: string,
  revision: string,
  status: number,
  code: string | null,
  file: string,
  /** Whether the user can pick the model's folder instead (encoders can; Hub-only models cannot). */
  folderAdvice = true,
): 'absent' | string {
  const label = revision === 'main' ? id : `${id}@${revision}`;
  const noLogin = 'RM Lab cannot sign in to the Hub';
  if (status === 404 && code !== 'RepoNotFound' && code !== 'RevisionNotFound') return 'absent';
  if (code === 'RevisionNotFound') {
    return `the Hub repository ${id} has no revision "${revision}"`;
  }
  if (code === 'GatedRepo' || status === 403) {
    return (
      `the Hub repository ${id} is gated (the Hub answered ${status}): it asks you to accept its terms while ` +
      (folderAdvice
        ? 'signed in, which RM Lab cannot do. Download its files and pick the folder instead'
        : `signed in; ${noLogin}`)
    );
  }
  if (status === 401 || code === 'RepoNotFound') {
    return (
      `the Hub has no public repository ${id} (it answered ${status}): check the spelling` +
      (folderAdvice ? '; a private or gated model has to be downloaded and picked as a folder' : `; ${noLogin}`)
    );
  }
  return `the Hub answered ${status} for ${file} of ${label}`;
}

/** A model folder served at a URL: `${url}/${file}`. */
export function urlFolder(url: string, folderOptions: FolderOptions = {}): FolderReader {
  const base = url.replace(/\/$/, '');
  return httpFolder(base, base, folderOptions, (status, _code, file) => {
    if (status === 404) return 'absent';
    if (status === 401 || status === 403) return `${base}/${file} needs a login (the server answered ${status})`;
    return `${base}/${file}: the server answered ${status}`;
  });
}

/**
 * Files the user picked (a folder, or a dropped one): any Blob by its name inside the folder.
 * Files in sub-folders are ignored: a model folder keeps its files at the top.
 */
export function pickedFolder(name: string, files: Map<string, Blob>): FolderReader {
  return {
    label: `folder:${name}`,
    async read(file, options = {}) {
      const blob = files.get(file);
      if (!blob) return undefined;
      return readStream(blob.stream(), blob.size, options);
    },
    size: async (file) => files.get(file)?.size,
  };
}

/** A folder already held as bytes (the browser's cache, a test). */
export function bytesFolder(label: string, files: Map<string, Uint8Array>): FolderReader {
  return {
    label,
    async read(file, options = {}) {
      if (options.signal?.aborted) throw new LoadCancelled();
      const bytes = files.get(file);
      if (bytes) options.onBytes?.(bytes.byteLength, bytes.byteLength);
      return bytes;
    },
    size: async (file) => files.get(file)?.byteLength,
  };
}

/** 'absent' (the file is not there), or the message to fail with. */
type StatusVerdict = (status: number, errorCode: string | null, file: string) => 'absent' | string;

function httpFolder(base: string, label: string, folderOptions: FolderOptions, verdict: StatusVerdict): FolderReader {
  const urlOf = (file: string) => `${base}/${file.split('/').map(encodeURIComponent).join('/')}`;
  return {
    label,
    size: (file, options = {}) =>
      headSize(urlOf(file), Math.min(folderOptions.stallMs ?? SIZE_WAIT_MS, SIZE_WAIT_MS), options.signal),
    async read(file, options = {}) {
      const url = urlOf(file);
      const reasons = {
        cancelled: () => new LoadCancelled(),
        stalled: (seconds: number) =>
          new DownloadStalled(
            `the download of ${file} from ${label} stalled: nothing arrived for ${seconds} s. The server may be ` +
              'overloaded or the connection lost; try again',
          ),
      };
      let response: Response;
      let body: ReadableStream<Uint8Array> | undefined;
      try {
        ({ response, body } = await watchedFetch(
          url,
          { credentials: 'omit' },
          { ...folderOptions, ...(options.signal ? { signal: options.signal } : {}) },
          reasons,
        ));
      } catch (error) {
        if (error instanceof LoadCancelled || error instanceof DownloadStalled) throw error;
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(
          `could not reach ${new URL(url).host} for ${label} (${why}): the network is down, or the server does not ` +
            'let this page read it (CORS)',
          { cause: error },
        );
      }
      if (!response.ok) {
        await body?.cancel().catch(() => {});
        const v = verdict(response.status, response.headers.get('X-Error-Code'), file);
        if (v === 'absent') return undefined;
        throw new Error(v);
      }
      const length = Number(response.headers.get('Content-Length'));
      const total = Number.isFinite(length) && length > 0 ? length : undefined;
      if (total !== undefined && total > HUB_FILE_MAX_BYTES) {
        await body?.cancel().catch(() => {});
        throw new Error(
          `${label}/${file} is ${Math.round(total / 1024 / 1024)} MB, more than the ` +
            `${HUB_FILE_MAX_BYTES / 1024 / 1024} MB a model file may be`,
        );
      }
      if (!body) return new Uint8Array(0);
      try {
        return await readStream(body, total, options);
      } catch (error) {
        if (error instanceof LoadCancelled || options.signal?.aborted) throw new LoadCancelled();
        if (error instanceof DownloadStalled) throw error;
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(`the download of ${file} from ${label} broke off (${why})`, { cause: error });
      }
    },
  };
}

/** A HEAD request's Content-Length (redirects followed, as the Hub sends its LFS files elsewhere), or undefined. */
async function headSize(url: string, stallMs: number, signal: AbortSignal | undefined): Promise<number | undefined> {
  try {
    const { response, body } = await watchedFetch(
      url,
      { method: 'HEAD', credentials: 'omit' },
      { stallMs, ...(signal ? { signal } : {}) },
      { cancelled: () => new LoadCancelled(), stalled: () => new DownloadStalled('no answer') },
    );
    await body?.cancel().catch(() => {});
    const length = Number(response.headers.get('Content-Length'));
    return response.ok && Number.isFinite(length) && length > 0 ? length : undefined;
  } catch (error) {
    if (error instanceof LoadCancelled) throw error;
    return undefined;
  }
}

/** Reads a stream to its end into one buffer, reporting bytes as they come. */
async function readStream(
  stream: ReadableStream<Uint8Array>,
  total: number | undefined,
  { signal, onBytes }: ReadOptions,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort);
  try {
    // One buffer of the announced size when there is one (a large checkpoint is not copied twice),
    // but no more than FIRST_BUFFER_BYTES before the bytes arrive: a Content-Length can lie.
    let buffer = new Uint8Array(Math.min(total ?? 1 << 20, FIRST_BUFFER_BYTES));
    let loaded = 0;
    onBytes?.(0, total);
    for (;;) {
      if (signal?.aborted) throw new LoadCancelled();
      const { done, value } = await reader.read();
      if (signal?.aborted) throw new LoadCancelled();
      if (done) break;
      if (loaded + value.byteLength > HUB_FILE_MAX_BYTES) {
        throw new Error(`more than the ${HUB_FILE_MAX_BYTES / 1024 / 1024} MB a model file may be`);
      }
      if (loaded + value.byteLength > buffer.byteLength) {
        // Doubling, but never past the announced size: the last growth lands on it exactly.
        const doubled = Math.max(buffer.byteLength * 2, loaded + value.byteLength);
        const grown = new Uint8Array(
          total !== undefined && total >= loaded + value.byteLength ? Math.min(doubled, total) : doubled,
        );
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.byteLength;
      onBytes?.(loaded, total);
    }
    // Fewer bytes than announced is a cut download; more is a compressed answer (its length is the compressed one).
    if (total !== undefined && loaded < total) throw new Error(`got ${loaded} of ${total} bytes`);
    return loaded === buffer.byteLength ? buffer : buffer.slice(0, loaded);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock?.();
  }
}
