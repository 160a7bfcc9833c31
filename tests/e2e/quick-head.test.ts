// Quick heads and judges in the built app, in Debian's Chromium, with the tiny Hub models of
// tests/fixtures/hub-models served from 127.0.0.1: on the Train screen the user trains a quick head on
// the demo data with the tiny feature extractor (download, embedding and fitting on one progress bar),
// sees its held-out accuracy against the baselines, then scores with it in the playground; a second fit
// reads every embedding from IndexedDB. In Compare, a judge (the tiny one-label classifier) is shown
// beside the model, labelled as a reference; a two-label classifier is refused in words.
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../chromium.ts';
import { hubModelFixtures, startHubServer, type HubServer } from '../hub-server.ts';
import { openScreen } from './screens.ts';

const SHOTS = 'test-results/e2e';
let browser: Browser;
let page: Page;
let hub: HubServer;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const repos = hubModelFixtures();
  const judge = repos['rmlab-test/tiny-judge']!;
  const config = JSON.parse(new TextDecoder().decode(judge.files.get('config.json')));
  const twoLabels = { ...config, num_labels: 2, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' } };
  repos['rmlab-test/sentiment'] = {
    files: new Map([...judge.files, ['config.json', new TextEncoder().encode(JSON.stringify(twoLabels))]]),
  };
  hub = await startHubServer(repos);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

const quick = () => page.locator('[data-quick-head]');
const playground = () => page.locator('section.playground');

async function trainQuickHead(): Promise<string> {
  await openScreen(page, 'Train');
  await quick()
    .getByRole('button', { name: /^Train a quick head on PandaLM/ })
    .click();
  await quick().locator('[data-quick-head-result]').waitFor({ timeout: 240_000 });
  return quick().locator('[data-quick-head-result]').innerText();
}

describe('quick heads on a frozen Hub encoder, end to end', () => {
  it('trains one on the demo data with the tiny feature extractor, with progress and baselines', async () => {
    await page.goto(inject('appUrl'));
    await openScreen(page, 'Train');
    const picker = page.getByRole('group', { name: 'Pretrained encoder' });
    await picker.getByText('Hub address').click();
    await page.getByLabel('Hub address').fill(hub.url);
    await page.getByLabel('Hub address').press('Enter');
    await openScreen(page, 'Data');
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs, no line rejected').waitFor({ timeout: 60_000 });

    await openScreen(page, 'Train');
    await quick().locator('summary').click();
    await quick().getByLabel('Embedding model').fill('rmlab-test/tiny-embedder');
    await quick().getByLabel('Ensemble members').fill('3');
    await quick().getByLabel('Members differ by').selectOption('bootstrap');
    await quick().getByLabel('Head epochs').fill('12');
    hub.slowdown = 20; // the download long enough to see the bar
    await quick()
      .getByRole('button', { name: /^Train a quick head on PandaLM/ })
      .click();
    await quick().getByRole('progressbar').waitFor({ timeout: 60_000 });
    await quick()
      .getByText(/embedding pairs: \d+ of 999/)
      .waitFor({ timeout: 120_000 });
    await quick().screenshot({ path: `${SHOTS}/quick-head-0-embedding.png` });
    hub.slowdown = 0;
    await quick().locator('[data-quick-head-result]').waitFor({ timeout: 240_000 });
    const result = await quick().locator('[data-quick-head-result]').innerText();
    expect(result).toMatch(/Stored as PandaLM.*Quick linear head \(3 members\) on rmlab-test\/tiny-embedder/);
    expect(result).toMatch(/Held-out accuracy [\d.]+% \(95% interval [\d.]+%–[\d.]+%, n = \d+\)/);
    expect(result).toMatch(/Members' held-out accuracy: [\d.]+%, [\d.]+%, [\d.]+%/);
    expect(result).toMatch(/longer response wins: [\d.]+%/);
    expect(result).toMatch(/bag of words: [\d.]+%/);
    expect(result).not.toMatch(/all from the cache/);
    // The tiny encoder reads 64 tokens: most demo prompts fill them, so both responses vanish. Said so.
    expect(result).toMatch(/\d+ of the \d+ held-out pairs have identical embeddings/);
    await quick().screenshot({ path: `${SHOTS}/quick-head-1-result.png` });

    // Again: every embedding from IndexedDB.
    expect(await trainQuickHead()).toMatch(/embedding took 0\.0 s \(all from the cache\)/);
  });

  it('scores with the quick head in the playground, and shows a judge beside it in Compare', async () => {
    await openScreen(page, 'Use');
    await expect(playground().getByLabel('Model').locator('option:checked').innerText()).resolves.toMatch(
      /Quick linear head/,
    );
    await playground().locator('[data-model-status]').getByText('loaded').waitFor({ timeout: 60_000 });
    await playground().getByLabel('Prompt', { exact: true }).fill('What is the capital of France?');
    await playground().getByLabel('Response', { exact: true }).fill('Paris is the capital of France.');
    await playground().getByRole('button', { name: 'Score', exact: true }).click();
    await playground().locator('[data-result="score"]').waitFor();
    const reward = Number(
      await playground().locator('[data-result="score"] [data-reward]').getAttribute('data-reward'),
    );
    expect(Number.isFinite(reward)).toBe(true);

    // A two-label classifier is refused, naming its labels.
    const judge = playground().locator('[data-judge]');
    await judge.locator('summary').click();
    await judge.getByLabel('Hub model').fill('rmlab-test/sentiment');
    await judge.getByRole('button', { name: 'Load judge' }).click();
    await expect(judge.getByRole('alert').innerText()).resolves.toMatch(
      /rmlab-test\/sentiment is a classifier with 2 labels \(NEGATIVE, POSITIVE\), not a reward model/,
    );
    await judge.getByLabel('Hub model').fill('rmlab-test/tiny-judge');
    await judge.getByRole('button', { name: 'Load judge' }).click();
    await judge.locator('[data-judge-loaded]').waitFor({ timeout: 60_000 });

    await playground().getByRole('tab', { name: 'Compare', exact: true }).click();
    await playground().getByLabel('Prompt', { exact: true }).fill('What is the capital of France?');
    await playground().getByLabel('Response A', { exact: true }).fill('Paris is the capital of France.');
    await playground().getByLabel('Response B', { exact: true }).fill('no idea');
    await playground().getByRole('button', { name: 'Compare', exact: true }).click();
    const reference = playground().locator('[data-judge-result]');
    await reference.waitFor({ timeout: 60_000 });
    const text = await reference.innerText();
    expect(text).toMatch(/Reference judge\s+reference\s+rmlab-test\/tiny-judge/i);
    const pA = Number(await reference.locator('[data-judge-p-a]').getAttribute('data-judge-p-a'));
    const a = Number(await reference.locator('[data-judge-reward="a"]').innerText());
    const b = Number(await reference.locator('[data-judge-reward="b"]').innerText());
    expect(pA).toBeCloseTo(1 / (1 + Math.exp(-(a - b))), 2);
    await playground().screenshot({ path: `${SHOTS}/quick-head-2-compare-judge.png` });
    expect(pageErrors).toEqual([]);
  });
});
