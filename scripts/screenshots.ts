// Makes the README's screenshots from the app as a user gets it: builds it (`vite build`), serves
// it on 127.0.0.1, and in Chromium loads the demo, trains the Quick demo preset briefly on
// WebAssembly, and photographs each screen at a laptop's and a phone's width.
//   npm run screenshots                 -> docs/screenshots/*.png (committed; the README shows them)
//   npm run screenshots -- --out DIR    -> somewhere else (to look before committing)
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/chromium.ts';

const outArg = process.argv.indexOf('--out');
const OUT = outArg > 0 ? process.argv[outArg + 1]! : 'docs/screenshots';
const BUILD = `dist-screenshots-${process.pid}`;
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function go(page: Page, screen: string) {
  await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: screen }).click();
}

async function shoot(page: Page, name: string) {
  // The caret and hover states are not part of the picture.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(OUT, `${name}.png`), animations: 'disabled', caret: 'hide' });
  console.log(`${OUT}/${name}.png`);
}

mkdirSync(OUT, { recursive: true });
await build({ logLevel: 'warn', build: { outDir: BUILD, emptyOutDir: true } });
const server = await preview({ logLevel: 'warn', build: { outDir: BUILD }, preview: { port: 0, strictPort: false } });
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
try {
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report its address');
  const context = await browser.newContext({ viewport: LAPTOP });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Load demo dataset' }).click();
  await page.getByText(/stored 999 pairs/).waitFor({ timeout: 120_000 });
  await shoot(page, 'data');

  await go(page, 'Train');
  await page.getByRole('button', { name: 'Quick demo' }).click();
  await page.getByText(/^Advanced:/).click();
  await page.getByLabel('Max steps', { exact: true }).fill('60');
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByText(/^Advanced:/).click();
  await page.getByRole('button', { name: /^Train on / }).click();
  await page.locator('.live [data-status="done"]').waitFor({ timeout: 600_000 });
  await page.locator('.live').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector('.live')?.scrollIntoView({ block: 'start' }));
  await shoot(page, 'train');

  await go(page, 'Results');
  await page.locator('[data-metric="accuracy"]').scrollIntoViewIfNeeded();
  await page.evaluate(() => scrollTo({ top: 0 }));
  await shoot(page, 'results');

  await go(page, 'Use');
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Prompt').last().fill('How do I boil an egg?');
  await page
    .getByLabel('Response A')
    .fill('Put it in boiling water for about eight minutes, then cool it in cold water.');
  await page.getByLabel('Response B').fill('Eggs.');
  await page.getByRole('button', { name: 'Compare' }).last().click();
  await page
    .locator('[data-model-status]')
    .getByText(/loaded/)
    .waitFor({ timeout: 60_000 });
  // The probability and, beside it, how far to trust it.
  await page.locator('[data-evidence]').scrollIntoViewIfNeeded();
  await shoot(page, 'use');

  // The same app on a phone: the flow's steps wrap, nothing scrolls sideways.
  const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const phonePage = await phone.newPage();
  await phonePage.goto(`${url}#screen=train`);
  await phonePage.getByRole('heading', { name: 'Train a reward model' }).waitFor();
  await shoot(phonePage, 'phone-train');
} finally {
  await browser.close();
  await server.close();
  rmSync(BUILD, { recursive: true, force: true });
}
