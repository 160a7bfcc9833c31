// The default path, as a new user takes it: load the demo data and press Train without touching the
// form. The run finishes, the held-out analysis says how strongly the reward tracks length, and the
// playground can score with or without the length term (the default model has one).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_TRAIN_CONFIG } from '../../src/core/train/config.ts';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { openScreen, showAdvanced } from './screens.ts';

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  ({ page } = await openPage(browser, { errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
});

const playground = () => page.locator('section.playground');

describe('the default run on the demo data', () => {
  it('trains with the form as it opens and says how strongly the reward tracks length', async () => {
    await page.goto(inject('appUrl'));
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs').waitFor({ timeout: 60_000 });
    // Nothing set: the form's defaults are the measured ones (README, bench/results/defaults.json).
    await showAdvanced(page);
    expect(await page.getByLabel('Layers', { exact: true }).inputValue()).toBe(String(DEFAULT_TRAIN_CONFIG.nLayers));
    expect(await page.getByLabel('Length term', { exact: true }).inputValue()).toBe(DEFAULT_TRAIN_CONFIG.lengthReward);
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 600_000 });
    // The run's own vocabulary (Vocabulary size) and how much of its text starts from a word vector.
    const coverage = /Bundled GloVe word vectors cover (\d+\.\d)% of the training split's [\d,]+\s+tokens\./;
    const said = (await page.locator('.live').innerText()).match(coverage);
    expect(said, 'the run view states the word-vector coverage').not.toBeNull();
    // bench/results/word-vector-coverage.json: 95.4% of the demo's training split with the bundled table.
    expect(Number(said![1])).toBeGreaterThanOrEqual(95);
    await page.locator('.live').screenshot({ path: `${SHOTS}/default-run-coverage.png` });

    const accuracy = Number.parseFloat(await page.locator('[data-metric="accuracy"]').innerText());
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(100);
    const tracking = page.locator('.length-tracking');
    if ((await tracking.count()) === 0) await openScreen(page, 'Results');
    await expect(tracking.innerText()).resolves.toMatch(
      /correlation -?\d\.\d\d with log response length over \d+ held-out responses; the model prefers the longer response in \d+\.\d% of \d+ pairs/,
    );
    await page.screenshot({ path: `${SHOTS}/default-run.png`, fullPage: true });
  });

  it('scores with the whole reward or its quality part alone', async () => {
    await openScreen(page, 'Use');
    await playground().locator('[data-model-status]').getByText('loaded').waitFor({ timeout: 60_000 });
    const qualityOnly = playground().locator('[data-quality-only]');
    await expect(qualityOnly.isVisible()).resolves.toBe(true);
    await expect(qualityOnly.isChecked()).resolves.toBe(DEFAULT_TRAIN_CONFIG.lengthReward === 'odin');
    const shown = async () =>
      (await playground().locator('[data-result="score"] [data-reward]').count()) > 0
        ? await playground().locator('[data-result="score"] [data-reward]').first().getAttribute('data-reward')
        : null;
    /** Scores and waits for the shown reward to change (the same number twice would be the bug to catch). */
    const score = async () => {
      const before = await shown();
      await playground().getByRole('button', { name: 'Score', exact: true }).click();
      await expect.poll(shown, { timeout: 30_000 }).not.toBe(before);
      return Number(await shown());
    };
    await playground().getByLabel('Prompt', { exact: true }).fill('Name three primary colours.');
    await playground()
      .getByLabel('Response', { exact: true })
      .fill('Red, yellow and blue are the three primary colours of traditional colour theory.');
    await qualityOnly.setChecked(false);
    const whole = await score();
    await qualityOnly.setChecked(true);
    const quality = await score();
    expect(Number.isFinite(whole) && Number.isFinite(quality)).toBe(true);
    await playground().screenshot({ path: `${SHOTS}/default-run-quality-only.png` });
    expect(pageErrors).toEqual([]);
  });
});
