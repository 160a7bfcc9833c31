// The JavaScript a first visit to the built app downloads, counted in Chromium: every script the
// page and its workers fetch until the network is idle on the Data screen (the library of Hub
// models, Transformers.js, must not be among them: it is imported when a Hub model is first used).
// Compares builds given as folders (e.g. one built from the commit before a change and one after).
//   npx vite build --outDir /tmp/before   (at the earlier commit)
//   npx vite build --outDir /tmp/after
//   npx tsx bench/first-load.ts /tmp/before /tmp/after
// Results: bench/results/first-load-js.json, printed. Asserts nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { launchChromium, serveFolder } from './worker-page.ts';

const folders = process.argv.slice(2).map((d) => resolve(d));
if (folders.length === 0) throw new Error('give one or more built app folders');

const browser = await launchChromium();
const results: Record<string, unknown>[] = [];
try {
  for (const dir of folders) {
    const { server, url } = await serveFolder(dir, true);
    const page = await browser.newPage();
    const scripts = new Map<string, number>();
    page.on('response', async (response) => {
      const type = response.headers()['content-type'] ?? '';
      if (!/javascript/.test(type)) return;
      const body = await response.body().catch(() => Buffer.alloc(0));
      scripts.set(new URL(response.url()).pathname, body.byteLength);
    });
    // Workers' requests are seen by the context, not the page: listen there too.
    page.context().on('response', async (response) => {
      if (!/javascript/.test(response.headers()['content-type'] ?? '')) return;
      const body = await response.body().catch(() => Buffer.alloc(0));
      scripts.set(new URL(response.url()).pathname, body.byteLength);
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    await page.getByRole('button', { name: 'Load demo dataset' }).waitFor();
    await page.waitForTimeout(3000);
    const bytes = [...scripts.values()].reduce((a, b) => a + b, 0);
    const row = { build: dir, scripts: Object.fromEntries(scripts), bytes };
    results.push(row);
    console.log(JSON.stringify({ build: dir, bytes, files: scripts.size }));
    await page.close();
    server.close();
  }
} finally {
  await browser.close();
}
const [first, last] = [results[0]!, results.at(-1)!];
const growth = (last.bytes as number) / (first.bytes as number) - 1;
const out = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, loadAverage: loadavg() },
  note:
    'JavaScript bytes (uncompressed, as served) fetched by a first visit, page and workers, until the network ' +
    'is idle on the first screen. growth = last build / first build - 1.',
  results,
  growth,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/first-load-js.json', `${JSON.stringify(out, null, 2)}\n`);
console.log(`growth: ${(growth * 100).toFixed(2)}%`);
