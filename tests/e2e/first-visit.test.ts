// A first visit on `npm start` with an empty Vite cache: the dev server must not re-optimise its
// dependencies and reload the page after load (it once did, ~6 s in, losing the click on "Load
// demo dataset" made before). vite.config.ts lists what the scanner cannot find for itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';

let server: ViteDevServer;
let browser: Browser;
const cacheDir = mkdtempSync(join(tmpdir(), 'rmlab-first-visit-'));
const serverLog: string[] = [];

beforeAll(async () => {
  server = await createServer({
    cacheDir,
    clearScreen: false,
    server: { port: 0, strictPort: false },
    customLogger: {
      info: (m) => serverLog.push(m),
      warn: (m) => serverLog.push(m),
      warnOnce: (m) => serverLog.push(m),
      error: (m) => serverLog.push(m),
      clearScreen: () => {},
      hasErrorLogged: () => false,
      hasWarned: false,
    },
  });
  await server.listen();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('a first visit to the dev server', () => {
  it('loads once: no reload after load, and the first click counts', async () => {
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('the dev server did not report its address');
    const page = await browser.newPage();
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(url);
    // A mark on this page's window: a reload would wipe it.
    await page.evaluate(() => ((window as unknown as { firstVisitMark: boolean }).firstVisitMark = true));
    await page.getByRole('button', { name: 'Load demo dataset' }).click({ timeout: 120_000 });
    const stored = await page
      .getByText('stored 999 pairs, no line rejected')
      .waitFor({ timeout: 180_000 })
      .then(
        () => true,
        () => false,
      );
    // The late discovery used to land seconds after the page's own work; give it time to show.
    await page.waitForTimeout(8_000);
    // The dev server's own words first: they say which dependencies it found late.
    expect(serverLog.filter((m) => /reloading|dependencies changed/i.test(m))).toEqual([]);
    expect(loads).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { firstVisitMark?: boolean }).firstVisitMark)).toBe(true);
    expect(stored).toBe(true);
  });
});
