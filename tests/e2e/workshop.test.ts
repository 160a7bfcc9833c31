// What a workshop participant meets: the step navigation kept in the link, every screen at a
// phone's width without sideways scrolling, no serious accessibility violation on any screen
// (axe-core), and the quick path (demo -> train -> see it learn -> score) by keyboard alone.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { openScreen, type ScreenName } from './screens.ts';
import { trainTinyRun } from './tiny-run.ts';

const SCREENS: { name: ScreenName; hash: string; heading: string }[] = [
  { name: 'Data', hash: 'data', heading: 'Preference data' },
  { name: 'Label', hash: 'label', heading: 'Label preferences' },
  { name: 'Train', hash: 'train', heading: 'Train a reward model' },
  { name: 'Results', hash: 'results', heading: 'Held-out results' },
  { name: 'Models', hash: 'models', heading: 'Models' },
  { name: 'Use', hash: 'use', heading: 'Use the reward model' },
];
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  ({ page } = await openPage(browser, { viewport: { width: 1280, height: 800 }, errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
});

/** axe-core's serious and critical violations on the page as it is (every rule axe runs by default). */
async function seriousViolations(p: Page): Promise<string[]> {
  await p.addScriptTag({ content: AXE });
  const violations = await p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (c: Document) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document)).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Presses Tab until the focused element's name matches, as a keyboard user would; fails after `max`. */
async function tabTo(p: Page, name: RegExp, max = 120): Promise<void> {
  for (let i = 0; i < max; i++) {
    await p.keyboard.press('Tab');
    const focused = await p.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      const label =
        el.getAttribute('aria-label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null);
      return (label ?? el.closest('label')?.textContent ?? el.textContent ?? '').trim();
    });
    if (name.test(focused)) return;
  }
  throw new Error(`${max} presses of Tab never reached ${name}`);
}

/** Whether the focused element shows a focus ring. */
const focusVisible = (p: Page) =>
  p.evaluate(() => {
    const style = getComputedStyle(document.activeElement!);
    return style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
  });

describe('the workshop path', () => {
  it('moves between the screens from the navigation, and keeps the screen in the link across a reload', async () => {
    await page.goto(inject('appUrl'));
    await page.getByRole('heading', { name: 'Preference data' }).waitFor();
    for (const s of SCREENS) {
      // Clicked even when on show already: a click on the current step still writes it into the link.
      await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: s.name, exact: true }).click();
      await expect(page.getByRole('heading', { name: s.heading, exact: true }).isVisible()).resolves.toBe(true);
      expect(new URL(page.url()).hash).toMatch(new RegExp(`screen=${s.hash}(&|$)`));
      // One screen at a time: the others' headings are not on show.
      for (const other of SCREENS.filter((o) => o !== s)) {
        await expect(page.getByRole('heading', { name: other.heading, exact: true }).count()).resolves.toBe(0);
      }
    }
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Use the reward model' }).isVisible()).resolves.toBe(true);
    await openScreen(page, 'Data');
  });

  it('goes demo -> train -> see it learn -> score with the keyboard alone, focus always visible', async () => {
    await page.goto(`${inject('appUrl')}#screen=data`);
    await page.getByRole('heading', { name: 'Preference data' }).waitFor();
    await tabTo(page, /^Load demo dataset$/);
    expect(await focusVisible(page)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByText('stored 999 pairs, no line rejected').waitFor({ timeout: 60_000 });
    // The next-step hint takes the keyboard on to training.
    await tabTo(page, /^Train on it/);
    expect(await focusVisible(page)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Train a reward model' }).waitFor();
    await tabTo(page, /^Quick demo$/);
    await page.keyboard.press('Enter');
    await tabTo(page, /^Train on PandaLM/);
    expect(await focusVisible(page)).toBe(true);
    await page.keyboard.press('Enter');
    // It learns where the progress is: the live charts sit under the progress bar.
    await page.locator('.live [data-chart^="Accuracy"]').waitFor({ timeout: 60_000 });
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 300_000 });
    await expect(page.locator('.live [data-metric="accuracy"]').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: `${SHOTS}/workshop-1-trained.png` });

    await tabTo(page, /^Try the model/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Use the reward model' }).waitFor();
    await page.locator('[data-model-status]').getByText('loaded').waitFor({ timeout: 60_000 });
    await tabTo(page, /^Compare$/);
    await page.keyboard.press('Enter');
    await tabTo(page, /^Prompt/);
    await page.keyboard.type('How do I boil an egg?');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Boil it for eight minutes, then cool it in cold water.');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Eggs.');
    await tabTo(page, /^Compare$/);
    await page.keyboard.press('Enter');
    const result = page.locator('[data-result="compare"]');
    await result.waitFor({ timeout: 60_000 });
    // The probability comes with the model's held-out accuracy, and a caveat when that is near chance.
    await expect(result.locator('[data-evidence]').count()).resolves.toBe(1);
    await page.screenshot({ path: `${SHOTS}/workshop-2-compare.png` });
    expect(pageErrors).toEqual([]);
  });

  it('has no serious or critical accessibility violation on any screen (axe-core)', async () => {
    const found: string[] = [];
    for (const s of SCREENS) {
      await openScreen(page, s.name);
      await page.getByRole('heading', { name: s.heading, exact: true }).waitFor();
      found.push(...(await seriousViolations(page)).map((v) => `${s.name}: ${v}`));
    }
    expect(found).toEqual([]);
  });

  it('fits a phone: no screen scrolls sideways at 390 px, and none has serious accessibility violations', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(inject('appUrl'));
    await p.getByRole('button', { name: 'Load demo dataset' }).click();
    await p.getByText('stored 999 pairs, no line rejected').waitFor({ timeout: 60_000 });
    await trainTinyRun(p, { steps: 2, heldOutPairs: 16 });
    const wide: string[] = [];
    const found: string[] = [];
    for (const s of SCREENS) {
      await openScreen(p, s.name);
      await p.getByRole('heading', { name: s.heading, exact: true }).waitFor();
      // With isMobile the layout viewport grows to fit wide content: measure the document itself.
      const width = await p.evaluate(() => document.scrollingElement!.scrollWidth);
      if (width > 390) wide.push(`${s.name}: ${width} px`);
      found.push(...(await seriousViolations(p)).map((v) => `${s.name}: ${v}`));
      await p.screenshot({ path: `${SHOTS}/phone-${s.hash}.png`, fullPage: true });
    }
    expect(wide).toEqual([]);
    expect(found).toEqual([]);
    await phone.close();
  });
});
