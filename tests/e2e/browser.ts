// The e2e tests' browser: Debian's Chromium launched as ../chromium.ts says, and pages whose uncaught
// errors are collected, so that a test can end by expecting none.
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../chromium.ts';

/** Where the e2e tests write their screenshots and the files they hand to the app. */
export const SHOTS = 'test-results/e2e';

/** Headless Chromium with WebGPU's software adapter; SHOTS exists once it resolves. */
export function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** The page's uncaught errors (and unexpected dialogs), as they happen. */
  errors: string[];
}

export interface PageOptions extends BrowserContextOptions {
  /**
   * A confirm() or alert(): 'accept' it (a test that deletes), or count it as an error and dismiss it
   * ('unexpected'). Left out, Playwright dismisses it.
   */
  dialogs?: 'accept' | 'unexpected';
  /** Collect the errors here instead of a new list (a file's module-level list). */
  errors?: string[];
}

/** A new context (its own IndexedDB: a fresh browser profile), laptop-sized unless told otherwise, and a page in it. */
export async function openPage(browser: Browser, options: PageOptions = {}): Promise<OpenedPage> {
  const { dialogs, errors = [], ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  if (dialogs === 'accept') page.on('dialog', (d) => void d.accept());
  if (dialogs === 'unexpected') {
    page.on('dialog', (d) => {
      errors.push(`unexpected dialog: ${d.message()}`);
      void d.dismiss();
    });
  }
  return { context, page, errors };
}
