// Where a pretrained model's files come from: the Hugging Face Hub, any URL that serves a model
// folder, or files the user picked. Each is a FolderReader: read a file by name, in streamed
// chunks (so a progress bar can count bytes), cancellable, "absent" told apart from every failure.
// Framework-free: the worker and the CLI (Node's fetch) use the same code.

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

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
}

/** A load the user stopped. Kept apart from failures so the page can stay quiet about it. */
export class LoadCancelled extends Error {
  constructor() {
    super('loading the encoder was cancelled');
    this.name = 'LoadCancelled';
  }
}

/** A model repository on the Hub: `${endpoint}/${id}/resolve/${revision}/${file}`. */
export function hubFolder(id: string, revision = 'main', endpoint = DEFAULT_HUB_ENDPOINT): FolderReader {
  const base = `${endpoint.replace(/\/$/, '')}/${id}/resolve/${encodeURIComponent(revision)}`;
  const label = revision === 'main' ? id : `${id}@${revision}`;
  return httpFolder(base, label, (status, code, file) => {
    if (status === 404 && code !== 'RepoNotFound' && code !== 'RevisionNotFound') return 'absent';
    if (code === 'RevisionNotFound') {
      return `the Hub repository ${id} has no revision "${revision}"`;
    }
    if (code === 'GatedRepo' || status === 403) {
      return (
        `the Hub repository ${id} is gated (the Hub answered ${status}): it asks you to accept its terms while ` +
        'signed in, which RM Lab cannot do. Download its files and pick the folder instead'
      );
    }
    if (status === 401 || code === 'RepoNotFound') {
      return (
        `the Hub has no public repository ${id} (it answered ${status}): check the spelling; a private or gated ` +
        'model has to be downloaded and picked as a folder'
      );
    }
    return `the Hub answered ${status} for ${file} of ${label}`;
  });
}

/** A model folder served at a URL: `${url}/${file}`. */
export function urlFolder(url: string): FolderReader {
  const base = url.replace(/\/$/, '');
  return httpFolder(base, base, (status, _code, file) => {
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
  };
}

/** 'absent' (the file is not there), or the message to fail with. */
type StatusVerdict = (status: number, errorCode: string | null, file: string) => 'absent' | string;

function httpFolder(base: string, label: string, verdict: StatusVerdict): FolderReader {
  return {
    label,
    async read(file, options = {}) {
      const url = `${base}/${file.split('/').map(encodeURIComponent).join('/')}`;
      let response: Response;
      try {
        response = await fetch(url, { signal: options.signal, credentials: 'omit' });
      } catch (error) {
        if (options.signal?.aborted) throw new LoadCancelled();
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(
          `could not reach ${new URL(url).host} for ${label} (${why}): the network is down, or the server does not ` +
            'let this page read it (CORS)',
          { cause: error },
        );
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        const v = verdict(response.status, response.headers.get('X-Error-Code'), file);
        if (v === 'absent') return undefined;
        throw new Error(v);
      }
      const length = Number(response.headers.get('Content-Length'));
      const total = Number.isFinite(length) && length > 0 ? length : undefined;
      if (!response.body) return new Uint8Array(await response.arrayBuffer());
      try {
        return await readStream(response.body, total, options);
      } catch (error) {
        if (error instanceof LoadCancelled || options.signal?.aborted) throw new LoadCancelled();
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(`the download of ${file} from ${label} broke off (${why})`, { cause: error });
      }
    },
  };
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
    // One buffer of the announced size when there is one: a large checkpoint is not copied twice.
    let buffer = new Uint8Array(total ?? 1 << 20);
    let loaded = 0;
    onBytes?.(0, total);
    for (;;) {
      if (signal?.aborted) throw new LoadCancelled();
      const { done, value } = await reader.read();
      if (signal?.aborted) throw new LoadCancelled();
      if (done) break;
      if (loaded + value.byteLength > buffer.byteLength) {
        const grown = new Uint8Array(Math.max(buffer.byteLength * 2, loaded + value.byteLength));
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
