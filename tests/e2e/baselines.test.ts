// A demo run says how much it learned: the held-out accuracy chart carries the baselines as labelled
// reference lines, held-out accuracy comes with its 95% interval and n, and the summary lists each
// baseline on the same held-out pairs with one sentence on which the model beat. All of it is stored
// with the run and the model, so it is still there after a reload.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { trainTinyRun } from './tiny-run.ts';
import { openScreen } from './screens.ts';

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

const HELD_OUT = 64;

async function expectBaselinesShown() {
  // The accuracy chart's legend names each reference line with its accuracy.
  const legend = await page.locator('[data-chart^="Accuracy"]').innerText();
  expect(legend).toMatch(/chance 50\.0%/);
  expect(legend.match(/chance/g), 'one chance line, not two').toHaveLength(1);
  expect(legend).toMatch(/longer response wins \d+\.\d%/);
  expect(legend).toMatch(/shorter response wins \d+\.\d%/);
  expect(legend).toMatch(/bag of words \d+\.\d%/);
  // Held-out accuracy never without its interval and n.
  await expect(page.locator('[data-metric="accuracy-interval"]').innerText()).resolves.toMatch(
    new RegExp(`^95% interval \\d+\\.\\d–\\d+\\.\\d%, n = ${HELD_OUT}(: not distinguishable from chance \\(50%\\))?$`),
  );
  const table = page.getByRole('table', { name: /Held-out accuracy against baselines on the same 64 held-out pairs/ });
  for (const id of ['chance', 'longer', 'shorter', 'bagOfWords']) {
    await expect(table.locator(`[data-baseline="${id}"]`).innerText()).resolves.toMatch(
      /\d+\.\d%\s+(exact|\d+\.\d–\d+\.\d%)\s+64\s+(better|worse|not distinguishable)/,
    );
  }
  await expect(page.locator('[data-baseline-sentence]').innerText()).resolves.toMatch(
    /^On 64 held-out pairs the reward model, at \d+\.\d%, .*(beat|did worse than|cannot be told apart from)/,
  );
}

describe('baselines in a demo run', () => {
  it('draws the baselines on the held-out accuracy chart and lists them with intervals', async () => {
    await page.goto(inject('appUrl'));
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs').waitFor({ timeout: 60_000 });
    await trainTinyRun(page, { steps: 10, heldOutPairs: HELD_OUT });
    await expectBaselinesShown();
    await page.screenshot({ path: `${SHOTS}/baselines-run.png`, fullPage: true });
    await page.locator('[data-chart^="Accuracy"]').screenshot({ path: `${SHOTS}/baselines-chart.png` });
    await page
      .getByRole('region', { name: 'What the run learned' })
      .screenshot({ path: `${SHOTS}/baselines-summary.png` });
  });

  it('keeps them across a reload, in the run list and on the model', async () => {
    await page.reload();
    await openScreen(page, 'Results');
    const row = page.getByRole('table', { name: 'Runs in this browser' }).getByRole('row', { name: /PandaLM.*done/ });
    await expect(row.innerText()).resolves.toMatch(
      new RegExp(`\\d+\\.\\d% \\[\\d+\\.\\d%–\\d+\\.\\d%\\] n=${HELD_OUT}`),
    );
    await row.getByRole('button', { name: /Show the run/ }).click();
    await expectBaselinesShown();
    await openScreen(page, 'Models');
    await expect(page.locator('table.models tbody tr').first().innerText()).resolves.toMatch(
      /n=64[\s\S]*baselines: longer response wins \d+\.\d%, shorter response wins \d+\.\d%, bag of words \d+\.\d%/,
    );
    expect(pageErrors).toEqual([]);
  });
});
