// Pretrained encoders' files kept in the browser's Cache API, so a model loads a second time with
// no network, and a picked folder ('folder:<name>') can still be trained from after a reload.
// A folder is cached whole or not at all: its files first, then a manifest naming them, written
// only once every file was read and the model accepted; a folder without its manifest is not
// there. Where there is no Cache API (Node, an insecure page) nothing is cached.

const CACHE_NAME = 'rmlab-encoders-v1';
/** Keys only, never fetched: the Cache API wants an http(s) URL for each entry. */
const KEY_ROOT = 'https://rmlab.invalid/encoders/';

function keyOf(source: string, file: string): string {
  return `${KEY_ROOT}${encodeURIComponent(source)}/${encodeURIComponent(file)}`;
}

async function openCache(): Promise<Cache | undefined> {
  if (typeof caches === 'undefined') return undefined;
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return undefined; // e.g. a private window that refuses storage
  }
}

/** The cached files of a source (an encoder field value), or undefined when it is not cached whole. */
export async function cachedFolder(source: string): Promise<Map<string, Uint8Array> | undefined> {
  const cache = await openCache();
  const manifest = await cache?.match(keyOf(source, '.manifest.json'));
  if (!cache || !manifest) return undefined;
  const names = (await manifest.json()) as string[];
  const files = new Map<string, Uint8Array>();
  for (const name of names) {
    const response = await cache.match(keyOf(source, name));
    if (!response) return undefined; // evicted in part: load it again
    files.set(name, new Uint8Array(await response.arrayBuffer()));
  }
  return files;
}

/**
 * Keeps a source's files. Returns why it could not (the storage is full, or there is no cache),
 * so the page can say the next load will download again; loading itself does not fail for it.
 */
export async function cacheFolder(source: string, files: Map<string, Uint8Array>): Promise<string | undefined> {
  const cache = await openCache();
  if (!cache) return 'this browser offers no cache to this page';
  try {
    await cache.delete(keyOf(source, '.manifest.json'));
    for (const [name, bytes] of files) {
      await cache.put(
        keyOf(source, name),
        new Response(bytes as Uint8Array<ArrayBuffer>, {
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.byteLength) },
        }),
      );
    }
    await cache.put(keyOf(source, '.manifest.json'), Response.json([...files.keys()]));
    return undefined;
  } catch (error) {
    await forgetFolder(source, [...files.keys()]).catch(() => {});
    return error instanceof Error ? error.message : String(error);
  }
}

/** Drops a source's files (all of them: the manifest first, so a half-removed folder is not seen). */
export async function forgetFolder(source: string, names?: string[]): Promise<void> {
  const cache = await openCache();
  if (!cache) return;
  const manifest = await cache.match(keyOf(source, '.manifest.json'));
  const listed = names ?? (manifest ? ((await manifest.json()) as string[]) : []);
  await cache.delete(keyOf(source, '.manifest.json'));
  for (const name of listed) await cache.delete(keyOf(source, name));
}
