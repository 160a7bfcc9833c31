// The browser's Cache API as the encoder loader uses it, in Chromium: a picked folder is cached
// whole once accepted and loads again with no files given (as after a reload), reporting its
// progress as read from the cache; a folder that fails to load leaves nothing cached; a cached
// folder missing a file (evicted in part) counts as not cached. (The Hub path's second, offline
// load is driven through the built app in tests/e2e/pretrained.test.ts.)
import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../../src/core/model/pretrained.ts';
import { cachedFolder, forgetFolder } from '../../src/worker/encoder-cache.ts';
import { openEncoder } from '../../src/worker/encoder-load.ts';
import { tinyBertFolder } from '../tiny-bert.ts';

const asBlobs = (files: Map<string, Uint8Array>) =>
  new Map([...files].map(([name, bytes]) => [name, new Blob([bytes as Uint8Array<ArrayBuffer>])]));

describe('pretrained encoders in the browser cache', () => {
  it('keeps a picked folder whole and loads it again from the cache alone, with progress', async () => {
    const name = `cache-test-${Date.now()}`;
    const files = tinyBertFolder({ tokenizer: 'vocab', dtype: 'F16' });
    await forgetFolder(`folder:${name}`);
    const first: LoadProgress[] = [];
    const picked = await openEncoder(`folder:${name}`, 'cls', {
      folderFiles: asBlobs(files),
      onProgress: (p) => first.push(p),
    });
    expect(picked.cacheProblem).toBeUndefined();
    expect(first.every((p) => p.cached === false)).toBe(true);

    const cached = await cachedFolder(`folder:${name}`);
    expect([...cached!.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [file, bytes] of cached!) expect(bytes).toEqual(files.get(file));

    // "After a reload": no files given, the cache is all there is.
    const again: LoadProgress[] = [];
    const reloaded = await openEncoder(`folder:${name}`, 'cls', { onProgress: (p) => again.push(p) });
    expect(again.length).toBeGreaterThan(0);
    expect(again.every((p) => p.cached === true)).toBe(true);
    expect(again.at(-1)!.loaded).toBe([...files.values()].reduce((n, b) => n + b.byteLength, 0));
    expect(reloaded.summary).toEqual(picked.summary);
    expect(reloaded.weights.map((w) => [w.name, Array.from(w.data.slice(0, 8))])).toEqual(
      picked.weights.map((w) => [w.name, Array.from(w.data.slice(0, 8))]),
    );
    await forgetFolder(`folder:${name}`);
    await expect(openEncoder(`folder:${name}`, 'cls')).rejects.toThrow(
      `the folder "${name}" is no longer in this browser's cache`,
    );
  });

  it('caches nothing of a folder it refuses', async () => {
    const name = `refused-${Date.now()}`;
    const files = tinyBertFolder({ modelType: 'albert', architectures: ['AlbertModel'] });
    await expect(openEncoder(`folder:${name}`, 'cls', { folderFiles: asBlobs(files) })).rejects.toThrow(
      /model_type "albert" \(AlbertModel\), which RM Lab cannot build/,
    );
    expect(await cachedFolder(`folder:${name}`)).toBeUndefined();
    const cache = await caches.open('rmlab-encoders-v1');
    const keys = (await cache.keys()).map((r) => r.url).filter((u) => u.includes(encodeURIComponent(`folder:${name}`)));
    expect(keys).toEqual([]);
  });

  it('treats a folder with a file evicted from the cache as not cached', async () => {
    const name = `evicted-${Date.now()}`;
    await openEncoder(`folder:${name}`, 'mean', { folderFiles: asBlobs(tinyBertFolder()) });
    expect(await cachedFolder(`folder:${name}`)).toBeDefined();
    const cache = await caches.open('rmlab-encoders-v1');
    const weights = (await cache.keys()).find((r) => r.url.endsWith('/model.safetensors') && r.url.includes(name))!;
    await cache.delete(weights);
    expect(await cachedFolder(`folder:${name}`)).toBeUndefined();
    await forgetFolder(`folder:${name}`);
  });
});
