// The page the browser benches measure in: an HTML page whose window.measure(request) starts a
// fresh module Web Worker from the bench's own worker source, posts it the request and resolves with
// the worker's one reply. It is built by Vite with the app's own config (the same plugins, wasm set-up
// and modules as the lab worker) and served from 127.0.0.1 with or without the cross-origin isolation
// headers, since which WASM build tfjs picks depends on them. A fresh worker per measurement means every
// figure starts from nothing (no compiled shaders, no pooled buffers, no thread pool).
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/chromium.ts';
import { CROSS_ORIGIN_ISOLATION } from '../vite.config.ts';

const ROOT = resolve('.');

/** A project file as an import specifier the page's worker can use: `import { x } from ${projectImport(...)}`. */
export function projectImport(path: string): string {
  return JSON.stringify(join(ROOT, path));
}

const MAIN_JS = `
window.measure = (request) => new Promise((resolve) => {
  const worker = new Worker(new URL('./bench.worker.js', import.meta.url), { type: 'module' });
  const done = (result) => { worker.terminate(); resolve(result); };
  worker.onmessage = (e) => done(e.data);
  worker.onerror = (e) => done({ error: 'worker error: ' + e.message });
  worker.postMessage(request);
});
`;

/**
 * Writes the page around `workerSource` (a module answering each request with one postMessage) and
 * builds it; returns the folder the built page is in. `name` keeps benches' pages apart.
 */
export async function buildWorkerPage(name: string, workerSource: string): Promise<string> {
  // Under node_modules so the page's bare imports resolve to the project's packages.
  const pageDir = join(ROOT, `node_modules/.cache/rm-lab-${name}-bench`);
  const outDir = join(ROOT, `dist-bench/${name}`);
  const files: Record<string, string> = {
    'index.html': `<!doctype html><meta charset="utf-8"><title>${name} bench</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>`,
    'main.js': MAIN_JS,
    'bench.worker.js': workerSource,
  };
  rmSync(pageDir, { recursive: true, force: true });
  mkdirSync(pageDir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(pageDir, file), text);
  await build({
    configFile: join(ROOT, 'vite.config.ts'),
    root: pageDir,
    publicDir: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
};

/** A static server for a built folder on 127.0.0.1, with or without the cross-origin isolation headers. */
export function serveFolder(dir: string, isolated: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    // normalize() has resolved any '..': a path outside the folder is refused, as a missing file is.
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      ...(isolated ? CROSS_ORIGIN_ISOLATION : {}),
    });
    res.end(readFileSync(file));
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      ok({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` });
    }),
  );
}

/** Debian's Chromium, headless, with WebGPU's software adapter on and background networking off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens the built page at `url` in a new tab and waits for window.measure; the page's uncaught errors
 * and console errors are pushed onto `errors` for the bench's results.
 */
export async function openWorkerPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => 'measure' in window);
  return page;
}

/** One measurement: a fresh worker in the page answers `request`. */
export function measure(page: Page, request: object): Promise<Record<string, unknown>> {
  return page.evaluate(
    (r) => (window as unknown as { measure: (r: unknown) => Promise<Record<string, unknown>> }).measure(r),
    request,
  );
}
