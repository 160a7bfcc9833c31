// Quick heads and judges in the built app, in Debian's Chromium, with the tiny Hub models of
// tests/fixtures/hub-models served from 127.0.0.1: on the Train screen the user trains a quick head on
// the demo data with the tiny feature extractor (download, embedding and fitting on one progress bar),
// sees its held-out accuracy against the baselines, then scores with it in the playground; a second fit
// reads every embedding from IndexedDB. In Compare, a judge (the tiny one-label classifier) is shown
// beside the model, labelled as a reference; a two-label classifier is refused in words. The same judge
// then scores beside the quick head in Best-of-N (a "reference: <judge>" column, whether it serves the
// same candidate), in batch scoring (its column in the preview and in the JSONL and CSV downloads, the
// rank correlation, Cancel) and in the regression report (its verdict per prompt); Best-of-N's
// generation settings survive a switch of tabs; the Models list names the quick heads by the embedding
// model they need, renames and deletes them. Screenshots at 1280 and 390 px.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import Papa from 'papaparse';
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

  it('scores the judge beside the quick head in Best-of-N, batch scoring and the regression report', async () => {
    const tab = (name: string) => playground().getByRole('tab', { name, exact: true });
    await tab('Best-of-N').click();
    // The generation settings survive a switch of tabs (the view is rebuilt; the settings are kept).
    await playground().getByText('Generate the candidates with a Hub model').click();
    await playground().getByLabel('Temperature').fill('1.3');
    await playground().getByLabel('Max new tokens').fill('17');
    await tab('Batch').click();
    await tab('Best-of-N').click();
    await expect(playground().getByLabel('Temperature').inputValue()).resolves.toBe('1.3');
    await expect(playground().getByLabel('Max new tokens').inputValue()).resolves.toBe('17');
    await playground().getByText('Generate the candidates with a Hub model').click(); // closed again

    await playground().getByLabel('Prompt', { exact: true }).fill('What is the capital of France?');
    await playground().getByLabel('Candidate 1', { exact: true }).fill('Paris is the capital of France.');
    await playground().getByLabel('Candidate 2', { exact: true }).fill('no idea');
    await playground().getByLabel('Candidate 3', { exact: true }).fill('I think it is Lyon, or maybe Paris.');
    await playground().getByRole('button', { name: 'Rank 3 candidates' }).click();
    const ranking = playground().getByRole('table', { name: 'Candidates ranked by reward' });
    await ranking.waitFor({ timeout: 60_000 });
    await expect(ranking.locator('thead').innerText()).resolves.toMatch(/reference: rmlab-test\/tiny-judge/);
    const judgeRanks = await ranking
      .locator('[data-judge-rank]')
      .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-judge-rank'))));
    expect([...judgeRanks].sort()).toEqual([1, 2, 3]);
    const agreement = playground().locator('[data-judge-agreement]');
    await expect(agreement.innerText()).resolves.toMatch(
      /reference\s+rmlab-test\/tiny-judge (serves the same candidate, #\d|would serve #\d instead).*Spearman/i,
    );
    // The judge's best is the candidate its rank 1 sits beside; "same" exactly when that is the model's rank 1.
    const judgeBestRow = await ranking.locator('tr:has([data-judge-rank="1"])').getAttribute('data-rank');
    await expect(agreement.getAttribute('data-judge-agreement')).resolves.toBe(
      judgeBestRow === '1' ? 'same' : 'different',
    );
    await playground().screenshot({ path: `${SHOTS}/judge-1-best-of-n.png` });

    await tab('Batch').click();
    const rows = Array.from({ length: 90 }, (_, i) =>
      JSON.stringify(
        i % 3 === 0
          ? { id: i, prompt: `question ${i}`, responses: [`short ${i}`, `a longer answer to question ${i}, with care`] }
          : { id: i, prompt: `question ${i} about the demo`, response: `answer ${'word '.repeat(i % 7)}${i}` },
      ),
    );
    await playground()
      .locator('input[type="file"]')
      .setInputFiles({ name: 'judged.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(rows.join('\n')) });
    hub.slowdown = 0;
    await playground().getByRole('button', { name: 'Score judged.jsonl' }).click();
    await playground().locator('[data-batch-summary]').waitFor({ timeout: 120_000 });
    await expect(playground().locator('[data-batch-summary]').innerText()).resolves.toMatch(
      /Scored 90 rows \(120 responses\)/,
    );
    const preview = playground().getByRole('table', { name: 'Scored rows (first rows)' });
    await expect(preview.locator('thead').innerText()).resolves.toMatch(/reference: rmlab-test\/tiny-judge/);
    expect(await preview.locator('td[data-judge-reward]').count()).toBeGreaterThan(10);
    await expect(playground().locator('[data-batch-agreement]').innerText()).resolves.toMatch(
      /Rank correlation with .* over the 120 responses \(Spearman\): -?\d\.\d\d; of the 30 rows with several responses, both pick the same best in \d+/,
    );
    await playground().screenshot({ path: `${SHOTS}/judge-2-batch.png` });
    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      playground().getByRole('button', { name: 'Download judged.scored.csv' }).click(),
    ]);
    const csv = Papa.parse<string[]>((await readFile((await csvDownload.path())!, 'utf8')).trim()).data;
    expect(csv[0]).toEqual(['line', 'prompt', 'response_index', 'response', 'reward', 'judge_reward']);
    expect(csv).toHaveLength(121);
    expect(csv.slice(1).every((r) => Number.isFinite(Number(r[4])) && Number.isFinite(Number(r[5])))).toBe(true);
    const [jsonlDownload] = await Promise.all([
      page.waitForEvent('download'),
      playground().getByRole('button', { name: 'Download judged.scored.jsonl' }).click(),
    ]);
    const scored = (await readFile((await jsonlDownload.path())!, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(scored[0].judge_rewards).toHaveLength(2);
    expect(typeof scored[1].judge_reward).toBe('number');
    // The CSV's judge column is the JSONL's, response for response.
    expect(Number(csv[3]![5])).toBeCloseTo(scored[1].judge_reward, 6);

    // Cancel while the judge scores a larger file: the bar names the judge, and the run stops.
    const many = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ prompt: `q ${i}`, response: `r ${i}` }));
    await playground()
      .locator('input[type="file"]')
      .setInputFiles({ name: 'many.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(many.join('\n')) });
    await playground().getByRole('button', { name: 'Score many.jsonl' }).click();
    await playground()
      .getByText(/scoring with the reference judge rmlab-test\/tiny-judge/)
      .first()
      .waitFor({ timeout: 60_000 });
    await playground().getByRole('button', { name: 'Cancel', exact: true }).click();
    await playground().getByRole('alert').filter({ hasText: 'scoring was cancelled' }).waitFor({ timeout: 60_000 });

    await tab('Regression').click();
    const versions = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        prompt: `prompt ${i}`,
        responses: { v1: `short ${i}`, v2: `a much longer answer number ${i} ${'more '.repeat(i)}` },
      }),
    );
    await playground()
      .locator('input[type="file"]')
      .setInputFiles({
        name: 'versions.jsonl',
        mimeType: 'application/jsonl',
        buffer: Buffer.from(versions.join('\n')),
      });
    await playground().locator('[data-regression-summary]').waitFor({ timeout: 120_000 });
    const view = playground().locator('[data-judge-view]');
    await expect(view.innerText()).resolves.toMatch(/reference\s+rmlab-test\/tiny-judge on the same responses/i);
    await expect(view.locator('[data-judge-agreement]').innerText()).resolves.toMatch(/\d+% \(\d+%–\d+%, \d+ of 12/);
    const verdicts = playground().locator('[data-judge-verdict]');
    expect(await verdicts.count()).toBe(5);
    await expect(verdicts.first().innerText()).resolves.toMatch(
      /rmlab-test\/tiny-judge\s+prefers v[12]: (agrees|disagrees) with your model/,
    );
    await playground().screenshot({ path: `${SHOTS}/judge-3-regression.png` });

    // A phone's width: the judge's columns scroll inside their box, the page does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await tab('Best-of-N').click();
    await playground().getByRole('button', { name: 'Rank 3 candidates' }).click();
    await ranking.locator('[data-judge-rank]').first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: `${SHOTS}/judge-4-best-of-n-phone.png`, fullPage: true });
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
    await tab('Batch').click();
    await playground()
      .locator('input[type="file"]')
      .setInputFiles({ name: 'judged.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(rows.join('\n')) });
    await playground().getByRole('button', { name: 'Score judged.jsonl' }).click();
    await playground().locator('[data-batch-agreement]').waitFor({ timeout: 120_000 });
    await page.screenshot({ path: `${SHOTS}/judge-4-batch-phone.png`, fullPage: true });
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(pageErrors).toEqual([]);
  });

  it('lists the quick heads by the embedding model they need, and renames and deletes them', async () => {
    await openScreen(page, 'Models');
    const table = page.locator('table.models');
    const origins = await table.locator('[data-model-origin]').allInnerTexts();
    expect(origins.filter((o) => o === 'quick head (needs rmlab-test/tiny-embedder)')).toHaveLength(2);
    expect(origins).not.toContain('imported');
    // The judge is not a model here.
    await expect(table.innerText()).resolves.not.toMatch(/tiny-judge/);
    await page.screenshot({ path: `${SHOTS}/judge-5-models.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/judge-6-models-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    const first = table.locator('tbody tr').first();
    await first.getByRole('button', { name: /^Rename / }).click();
    await first.getByRole('textbox').fill('my quick head');
    await first.getByRole('textbox').press('Enter');
    await table.getByText('my quick head').waitFor();
    page.once('dialog', (dialog) => void dialog.accept()); // "Delete the quick head …?"
    await table
      .locator('tbody tr', { hasText: 'my quick head' })
      .getByRole('button', { name: /^Delete/ })
      .click();
    await table.getByText('my quick head').waitFor({ state: 'detached' });
    expect(await table.locator('[data-model-origin]').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
