// A model folder on the local disk, for Node (the CLI): `rmlab train --model ./my-bert`.
// Kept apart from hub.ts so the browser bundle never imports node:fs.
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { LoadCancelled, type FolderReader } from '../core/model/hub.ts';

export async function diskFolder(path: string): Promise<FolderReader> {
  const root = resolve(path);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`${path} is not a folder`);
  return {
    label: `folder:${basename(root)}`,
    async read(file, options = {}) {
      if (options.signal?.aborted) throw new LoadCancelled();
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(join(root, file)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new Error(`could not read ${join(root, file)} (${(error as Error).message})`, { cause: error });
      }
      options.onBytes?.(bytes.byteLength, bytes.byteLength);
      return bytes;
    },
    size: async (file) => (await stat(join(root, file)).catch(() => undefined))?.size,
  };
}
