// Publishing: `vite build` gives a static site that works from any static host under a sub-path.
// The site is built into its own folder and served by a plain static file server (node:http, no
// Vite) under /some/sub/path/, with the two headers that make the page cross-origin isolated; the
// demo loads and a run trains on WebAssembly, so the worker, the .wasm files (and the threaded
// build's) and the demo data all resolve under the sub-path.
import { createReadStream, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { trainTinyRun } from './tiny-run.ts';

// Under dist-e2e*, which git ignores.
const OUT_DIR = `dist-e2e-subpath-${process.pid}`;
const SUB_PATH = '/some/sub/path/';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
};
let server: Server;
let browser: Browser;
let siteUrl: string;
const requested: string[] = [];
const notFound: string[] = [];

beforeAll(async () => {
  await build({
    logLevel: 'warn',
    build: { outDir: OUT_DIR, emptyOutDir: true, rolldownOptions: { checks: { pluginTimings: false } } },
  });
  // What any static host does: files from the folder, by path, under the site's sub-path.
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requested.push(path);
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (!path.startsWith(SUB_PATH)) {
      notFound.push(path);
      res.writeHead(404, headers).end();
      return;
    }
    let file = normalize(join(OUT_DIR, path.slice(SUB_PATH.length)));
    if (!file.startsWith(OUT_DIR)) {
      res.writeHead(403, headers).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
      });
      createReadStream(file).pipe(res);
    } catch {
      notFound.push(path);
      res.writeHead(404, headers).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SUB_PATH}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(OUT_DIR, { recursive: true, force: true });
});

describe('the built site under a sub-path of a static host', () => {
  it('loads the demo and trains on WebAssembly, every file from under the sub-path', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(siteUrl);
    // The headers took: WebAssembly threads are possible on this host.
    await expect(page.evaluate(() => crossOriginIsolated)).resolves.toBe(true);
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs, no line rejected').waitFor({ timeout: 60_000 });
    await trainTinyRun(page, { steps: 2, heldOutPairs: 16 });
    await expect(page.locator('[data-backend]').getAttribute('data-backend')).resolves.toBe('wasm');
    // RM Lab's matrix-product kernel loaded in the worker (both its builds are fetched; the shared-memory
    // one binds to the threaded build's memory) and ran the products: 'none' would mean tfjs's kernel.
    await expect(page.locator('[data-wasm-matmul]').getAttribute('data-wasm-matmul')).resolves.toMatch(
      /^(all|batched-or-transposed)$/,
    );
    expect(requested.some((p) => /\/kernels-(?!shared-)[\w-]+\.wasm$/.test(p))).toBe(true);
    expect(requested.some((p) => /\/kernels-shared-[\w-]+\.wasm$/.test(p))).toBe(true);
    await page.getByText('Backend details').click();
    await expect(page.locator('.backend-details').innerText()).resolves.toMatch(/RM Lab's WebAssembly SIMD kernel/);
    await page.locator('.backend-details').screenshot({ path: 'test-results/e2e/subpath-backend-details.png' });

    expect(notFound).toEqual([]);
    expect(requested.every((p) => p.startsWith(SUB_PATH))).toBe(true);
    expect(requested.some((p) => p.endsWith('.wasm'))).toBe(true);
    expect(requested).toContain(`${SUB_PATH}demo/pandalm-testset.jsonl`);
    // The default run starts the built-in encoder from the bundled word vectors (embeddingInit 'glove').
    expect(requested).toContain(`${SUB_PATH}builtin/word-vectors.bin`);
    expect(requested.some((p) => /lab\.worker.*\.js$/.test(p))).toBe(true);
    await page.screenshot({ path: 'test-results/e2e/subpath-trained.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
