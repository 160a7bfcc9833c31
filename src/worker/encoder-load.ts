// Opens the pretrained encoder a run (or the page's encoder picker) names: from the browser's cache
// when it is there, else from the Hub, a URL or the folder the user picked; cached once loaded and
// accepted. Progress in bytes and cancelling go through to the reader.
import {
  bytesFolder,
  DEFAULT_HUB_ENDPOINT,
  hubFolder,
  pickedFolder,
  urlFolder,
  type FolderReader,
} from '../core/model/hub.ts';
import type { Pooling } from '../core/model/encoders/encoder.ts';
import {
  loadModelFolder,
  pretrainedEncoder,
  type ConfigCheck,
  type LoadProgress,
  type PretrainedEncoder,
  type PretrainedFolder,
} from '../core/model/pretrained.ts';
import { parseEncoderSource } from '../core/train/config.ts';
import { cachedFolder, cacheFolder } from './encoder-cache.ts';

export interface OpenEncoderOptions {
  /** The Hub's address (a setting of the page; tests point it at 127.0.0.1). */
  endpoint?: string;
  /** The files of a folder the user just picked or dropped, for a 'folder:<name>' encoder. */
  folderFiles?: Map<string, Blob>;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Checks config.json before anything else is read (a memory plan, a reward model's labels); throws to stop. */
  onConfig?: (check: ConfigCheck) => void | Promise<void>;
}

export interface OpenedEncoder extends PretrainedEncoder {
  /** Why the files could not be kept for next time, when they could not. */
  cacheProblem?: string;
}

/** The cache key of a source: a Hub id is cached per Hub address, so a test server never fills the real Hub's entries. */
function cacheKey(encoder: string, endpoint: string): string {
  const source = parseEncoderSource(encoder);
  if (source.kind === 'hub') return `${endpoint.replace(/\/$/, '')}/${source.id}@${source.revision}`;
  if (source.kind === 'url') return source.url;
  if (source.kind === 'folder') return `folder:${source.name}`;
  throw new Error('the built-in encoder is not loaded from files');
}

export async function openEncoder(
  encoder: string,
  pooling: Pooling,
  options: OpenEncoderOptions = {},
): Promise<OpenedEncoder> {
  const { accepted, cacheProblem } = await openModelFolder(encoder, options, (folder) =>
    pretrainedEncoder(folder, pooling, encoder.trim()),
  );
  const opened: OpenedEncoder = accepted;
  if (cacheProblem) opened.cacheProblem = cacheProblem;
  return opened;
}

/**
 * A model folder by the encoder field's value, read from the browser's cache or its source, made
 * into what the caller wants by `accept`, and cached only once that succeeded (a load that fails
 * keeps nothing).
 */
export async function openModelFolder<T>(
  encoder: string,
  options: OpenEncoderOptions,
  accept: (folder: PretrainedFolder) => T,
): Promise<{ accepted: T; cacheProblem?: string }> {
  const value = encoder.trim();
  const source = parseEncoderSource(value);
  const endpoint = options.endpoint || DEFAULT_HUB_ENDPOINT;
  const key = cacheKey(value, endpoint);
  // A folder picked again replaces what was cached under its name; anything else is read from the cache first.
  const cached = options.folderFiles ? undefined : await cachedFolder(key);
  let reader: FolderReader;
  if (cached) reader = bytesFolder(value, cached);
  else if (source.kind === 'hub') reader = hubFolder(source.id, source.revision, endpoint);
  else if (source.kind === 'url') reader = urlFolder(source.url);
  else if (source.kind === 'folder') {
    if (!options.folderFiles) {
      throw new Error(
        `the folder "${source.name}" is no longer in this browser's cache (it was cleared, or picked in another browser): pick it again`,
      );
    }
    reader = pickedFolder(source.name, options.folderFiles);
  } else throw new Error('the built-in encoder is not loaded from files');
  const folder = await loadModelFolder(reader, {
    signal: options.signal,
    onProgress: options.onProgress && ((p) => options.onProgress!({ ...p, cached: cached !== undefined })),
    ...(options.onConfig ? { onConfig: options.onConfig } : {}),
  });
  const accepted = accept(folder);
  if (cached) return { accepted };
  const problem = await cacheFolder(key, folder.files);
  return problem ? { accepted, cacheProblem: problem } : { accepted };
}
