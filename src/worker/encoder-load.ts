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
  type LoadProgress,
  type PretrainedEncoder,
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
  });
  const opened: OpenedEncoder = pretrainedEncoder(folder, pooling, value);
  if (!cached) {
    const problem = await cacheFolder(key, folder.files);
    if (problem) opened.cacheProblem = problem;
  }
  return opened;
}
