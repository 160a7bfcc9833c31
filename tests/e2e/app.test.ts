// The whole app, built, in Debian's Chromium: what a first-time user does.
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { openScreen, setTrainField, showAdvanced } from './screens.ts';

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  // One context for the whole file: its IndexedDB survives reloads, as a user's profile does.
  ({ page } = await openPage(browser, { dialogs: 'unexpected', errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
});

const datasetRow = (name: RegExp) =>
  page.getByRole('table', { name: 'Datasets in this browser' }).getByRole('row', { name });
const runRow = (name: RegExp) => page.getByRole('table', { name: 'Runs in this browser' }).getByRole('row', { name });

/** The data browser's "N of M pairs" line (chart tooltips elsewhere may say the same words). */
const pairCount = (text: string | RegExp) => page.locator('.browser .count').getByText(text);

/** Sets a field of the training form by its label. */
const setField = (label: string, value: string) => setTrainField(page, label, value);

/** Whether a chart's canvas has any drawn (non-transparent) pixel. */
async function chartIsDrawn(selector: string): Promise<boolean> {
  return page
    .locator(selector)
    .locator('canvas')
    .first()
    .evaluate((canvas: HTMLCanvasElement) => {
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0) return false;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let drawn = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn++;
      return drawn > 500;
    });
}

describe('RM Lab, end to end', () => {
  it('offers the bundled demo dataset on first start, with its attribution', async () => {
    await page.goto(inject('appUrl'));
    await expect(page.getByRole('button', { name: 'Load demo dataset' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('Apache License 2.0').first().isVisible()).resolves.toBe(true);
  });

  it('loads the demo with one click and says how many pairs were stored', async () => {
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs, no line rejected').waitFor({ timeout: 60_000 });
    await expect(datasetRow(/PandaLM human-labelled test set/).innerText()).resolves.toMatch(
      /999\s+422 \/ 472 \/ 105 \/ 0/,
    );
    await page.screenshot({ path: `${SHOTS}/1-demo-loaded.png`, fullPage: true });
  });

  it('trains a tiny model in a worker and draws loss, held-out accuracy and the reward histogram', async () => {
    await setField('Model width', '16');
    await setField('Layers', '1');
    await setField('Attention heads', '2');
    await setField('Max tokens', '32');
    await setField('Max steps', '30');
    await setField('Evaluate every', '10');
    await setField('Held-out pairs used', '64');
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 240_000 });

    // Headless Chromium's only WebGPU adapter is SwiftShader: auto must pick WASM and say why,
    // in one sentence, the adapter in the folded details.
    await expect(page.locator('[data-backend]').getAttribute('data-backend')).resolves.toBe('wasm');
    await expect(page.locator('[data-backend]').innerText()).resolves.toMatch(
      /^Training on WebAssembly \(the CPU\).*: (the fastest of \d backends timed on this model|the only backend worth timing here)\.$/,
    );
    await expect(page.locator('.backend-details').textContent()).resolves.toMatch(/swiftshader/i);
    await expect(page.locator('.live').innerText()).resolves.toMatch(/not trained on: 105 ties/);

    const accuracy = await page.locator('[data-metric="accuracy"]').innerText();
    const loss = await page.locator('[data-metric="loss"]').innerText();
    expect(Number.parseFloat(accuracy)).toBeGreaterThanOrEqual(0);
    expect(Number.parseFloat(accuracy)).toBeLessThanOrEqual(100);
    expect(Number.isFinite(Number.parseFloat(loss))).toBe(true);
    await expect(page.getByText('Held-out rewards at step 30').isVisible()).resolves.toBe(true);
    for (const chart of [
      '[data-chart="Loss (Bradley-Terry)"]',
      '[data-chart^="Accuracy"]',
      '[data-chart="histogram"]',
    ]) {
      expect(await chartIsDrawn(chart), chart).toBe(true);
    }
    await page.screenshot({ path: `${SHOTS}/2-trained.png`, fullPage: true });
  });

  it('keeps the dataset and the run across a reload', async () => {
    await page.reload();
    await openScreen(page, 'Data');
    await datasetRow(/PandaLM human-labelled test set/).waitFor();
    await expect(page.getByRole('button', { name: 'Load demo dataset' }).count()).resolves.toBe(0);
    await openScreen(page, 'Results');
    await expect(runRow(/PandaLM.*done/).innerText()).resolves.toMatch(/30 \/ 30/);
    await expect(page.getByText('Held-out rewards at step 30').isVisible()).resolves.toBe(true);
    expect(await chartIsDrawn('[data-chart="Loss (Bradley-Terry)"]')).toBe(true);
    await page.screenshot({ path: `${SHOTS}/3-after-reload.png`, fullPage: true });
  });

  it('imports a user file, lists each rejected line with its number and reason, and shows HTML in it as text', async () => {
    await openScreen(page, 'Data');
    const payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const lines = [
      JSON.stringify({ prompt: payload, chosen: 'good answer', rejected: 'bad answer' }),
      '{"prompt": "cut off',
      JSON.stringify({ prompt: 'p', chosen: 'c' }),
      JSON.stringify({ prompt: 'q', chosen: 'yes', rejected: 'no' }),
    ];
    await page.getByLabel('Import a file of your own').setInputFiles({
      name: 'my-pairs.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(lines.join('\n')),
    });
    // A preview first: nothing is stored until the user says so.
    const preview = page.getByRole('region', { name: 'Import preview' });
    await expect(preview.getByLabel('Format').inputValue()).resolves.toBe('');
    await expect(preview.getByLabel('Format').locator('option:checked').innerText()).resolves.toBe('detected: TRL');
    await expect(preview.getByRole('table').innerText()).resolves.toMatch(/2\s+rejected: not valid JSON/);
    await preview.getByRole('button', { name: 'Import my-pairs.jsonl' }).click();
    await page.getByText('stored 2 pairs, 2 lines rejected').waitFor({ timeout: 30_000 });
    const rejects = await page.getByRole('table', { name: 'Rejected lines' }).innerText();
    expect(rejects).toMatch(/2\s+not valid JSON/);
    expect(rejects).toMatch(/3\s+"rejected" is missing/);
    await expect(datasetRow(/my-pairs/).innerText()).resolves.toMatch(/2\s+2 \/ 0 \/ 0 \/ 0\s+2/);
    // Nothing from the file became an element; the payload is only ever text.
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await page.screenshot({ path: `${SHOTS}/4-user-file.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('browses, searches and filters pairs, and shows one side by side with its HTML as text', async () => {
    await page.getByText(/^Browse the 2 pairs of my-pairs/).click();
    await pairCount('2 of 2 pairs').waitFor();
    await page.getByLabel('Search pairs').fill('ONERROR');
    await pairCount('1 of 2 pairs').waitFor();
    await page.getByRole('button', { name: 'Show pair 1' }).click();
    const view = page.getByRole('article', { name: 'Pair details' });
    await expect(view.innerText()).resolves.toContain('<img src=x onerror="alert(1)"><script>alert(2)</script>');
    await expect(view.innerText()).resolves.toMatch(/Response A · preferred\s+good answer/);
    await expect(page.locator('main img, main script').count()).resolves.toBe(0);

    await page.getByLabel('Search pairs').fill('');
    await page.getByLabel('Filter by split').selectOption('heldout');
    await pairCount(/^\d of 2 pairs$/).waitFor();
    await page.screenshot({ path: `${SHOTS}/5-browse.png`, fullPage: true });
    await page.getByText(/^Browse the 2 pairs/).click(); // close it again
    expect(pageErrors).toEqual([]);
  });

  it('downloads the rejected lines of an import', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /Download the 2 rejected lines/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('my-pairs-rejected-lines.jsonl');
    const text = await readFile((await download.path())!, 'utf8');
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).line),
    ).toEqual([2, 3]);
  });

  it('charts the statistics of the demo data: winners, biases, agreement, model versions', async () => {
    await page.getByRole('radio', { name: /Train on PandaLM/ }).check();
    await page.getByText(/^Statistics of PandaLM/).click();
    const stats = page.locator('.stats');
    await stats.getByText(/Fleiss' κ = 0\.864/).waitFor({ timeout: 60_000 });
    const text = await stats.innerText();
    expect(text).toMatch(/A wins 422 of 894 decisive pairs, 47\.2%/);
    expect(text).toMatch(/88\.0% of them unanimous/);
    // The leaderboard fitted from the labels puts llama-7b first (Davidson fit, checked against scipy in unit tests).
    await expect(
      stats.getByRole('table', { name: 'Model versions by rating' }).getByRole('row').nth(1).innerText(),
    ).resolves.toMatch(/1\s+llama-7b\s+1142/);
    for (const chart of ['Winners', 'Biases in the labels', 'Model versions ranked']) {
      await expect(stats.getByText(new RegExp(`^${chart}`)).isVisible()).resolves.toBe(true);
    }
    await page.screenshot({ path: `${SHOTS}/6-statistics.png`, fullPage: true });
    await page.getByText(/^Statistics of PandaLM/).click();
  });

  it('exports a dataset as RM Lab records and as TRL preference data', async () => {
    const exported = async (format: 'RM Lab' | 'TRL') => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: `Export PandaLM human-labelled test set (demo) as ${format} JSONL` }).click(),
      ]);
      const lines = (await readFile((await download.path())!, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      return { name: download.suggestedFilename(), lines };
    };
    const rmlab = await exported('RM Lab');
    expect(rmlab.name).toBe('PandaLM-human-labelled-test-set-demo.rmlab.jsonl');
    expect(rmlab.lines).toHaveLength(999);
    expect(rmlab.lines[0]).toMatchObject({ winner: expect.stringMatching(/^(response_a|response_b|tie|both_bad)$/) });
    const trl = await exported('TRL');
    expect(trl.lines).toHaveLength(422 + 472);
    expect(Object.keys(trl.lines[0]).sort()).toEqual(expect.arrayContaining(['chosen', 'prompt', 'rejected']));
    await page.getByText(/105 ties and both-bad pairs have no chosen response/).waitFor();
  });

  it('renames and merges datasets, keeping the sources', async () => {
    await page.getByRole('button', { name: 'Rename my-pairs' }).click();
    await page.getByLabel('New name for my-pairs').fill('hand-made pairs');
    await page.getByRole('button', { name: 'Save' }).click();
    await datasetRow(/hand-made pairs/).waitFor();
    await page.getByLabel('Merge hand-made pairs').check();
    await page.getByLabel('Merge PandaLM human-labelled test set (demo)').check();
    await page.getByRole('button', { name: 'Merge the 2 checked datasets into a new one' }).click();
    await expect(datasetRow(/merged: hand-made pairs/).innerText()).resolves.toMatch(/1001\s+424 \/ 472 \/ 105 \/ 0/);
    await expect(page.getByRole('table', { name: 'Datasets in this browser' }).getByRole('row').count()).resolves.toBe(
      4,
    );
  });

  it('imports a CSV of its own layout through a field mapping', async () => {
    const csv = [
      'question,first answer,second answer,pref,topic',
      '"What is 2+2?",4,5,first,math',
      '"Name a colour","blue, like the sky",sky,second,art',
      'Say hi,hi,hello,same,chat',
      'Broken row,x,y,maybe,chat',
    ].join('\r\n');
    await page
      .getByLabel('Import a file of your own')
      .setInputFiles({ name: 'survey.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const preview = page.getByRole('region', { name: 'Import preview' });
    // No known format: the field mapper opens by itself.
    await expect(preview.getByLabel('Format').inputValue()).resolves.toBe('custom');
    await preview.getByLabel('Prompt', { exact: true }).selectOption('question');
    await preview.getByLabel('Response A', { exact: true }).selectOption('first answer');
    await preview.getByLabel('Response B', { exact: true }).selectOption('second answer');
    await preview.getByLabel('Label', { exact: true }).selectOption('pref');
    await preview.getByLabel('Values meaning A', { exact: true }).fill('first');
    await preview.getByLabel('Values meaning B', { exact: true }).fill('second');
    await preview.getByLabel('Values meaning tie', { exact: true }).fill('same');
    await preview.getByLabel('Task type', { exact: true }).selectOption('topic');
    await expect(preview.getByRole('table').innerText()).resolves.toMatch(
      /3\s+Name a colour\s+blue, like the sky\s+sky\s+b/,
    );
    await preview.getByRole('button', { name: 'Import survey.csv' }).click();
    await page.getByText('stored 3 pairs, 1 lines rejected').waitFor({ timeout: 30_000 });
    await expect(page.getByRole('table', { name: 'Rejected lines' }).innerText()).resolves.toMatch(/5\s+.*"maybe"/);
    await expect(datasetRow(/survey/).innerText()).resolves.toMatch(/3\s+1 \/ 1 \/ 1 \/ 0\s+1/);
  });

  it('pauses and resumes a run, and after a reload resumes it from its checkpoint', async () => {
    await openScreen(page, 'Data');
    await page.getByRole('radio', { name: /Train on PandaLM/ }).check();
    await openScreen(page, 'Train');
    await page.getByRole('button', { name: 'Quick demo' }).click();
    await setField('Max tokens', '32');
    await setField('Epochs', '8'); // 52 steps an epoch
    await setField('Max steps', '400');
    await setField('Evaluate every', '100');
    await setField('Checkpoint every', '5');
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    await page.getByRole('button', { name: 'Pause' }).click();
    const progress = page.locator('.live .progress-label');
    await expect.poll(() => progress.innerText(), { timeout: 60_000 }).toMatch(/^paused · step \d+ of 400 · epoch/);
    const stepShown = async () => Number(/step (\d+)/.exec(await progress.innerText())?.[1] ?? -1);
    // Paused means the step count stops moving (it moves every few ms while training); the last
    // steps' report may land just after the pause itself, so wait for it to hold still for a second.
    let last = -1;
    await expect
      .poll(
        async () => {
          const now = await stepShown();
          const still = now === last;
          last = now;
          return still;
        },
        { interval: 1000, timeout: 30_000 },
      )
      .toBe(true);
    const pausedAt = last;
    await page.waitForTimeout(1000);
    expect(await stepShown()).toBe(pausedAt);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(stepShown, { timeout: 60_000 }).toBeGreaterThan(pausedAt + 5);

    // Reload mid-run: the run is interrupted, offered for resuming, and finishes.
    await page.reload();
    await openScreen(page, 'Results');
    const interrupted = runRow(/interrupted/);
    await interrupted.waitFor();
    await interrupted.getByRole('button', { name: /^Resume from step \d+$/ }).click();
    await expect.poll(() => runRow(/done/).count(), { timeout: 240_000 }).toBeGreaterThan(1);
    await expect(runRow(/done/).first().innerText()).resolves.toMatch(/400 \/ 400/);
    expect(pageErrors).toEqual([]);
  });

  it('trains in the worker on WebGPU when asked to, on the software adapter', async () => {
    await openScreen(page, 'Data');
    await page.getByRole('radio', { name: /Train on PandaLM/ }).check();
    await setField('Model width', '16');
    await setField('Layers', '1');
    await setField('Attention heads', '2');
    await setField('Max tokens', '16');
    await setField('Batch size', '2');
    await setField('Max steps', '3');
    await setField('Evaluate every', '3');
    await setField('Held-out pairs used', '4');
    await showAdvanced(page);
    await page.getByLabel('Backend', { exact: true }).selectOption('webgpu');
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    // The previous test's run stays on show until this one has started: wait for this run's own
    // backend line, then for it to finish.
    await expect
      .poll(() => page.locator('[data-backend]').innerText(), { timeout: 240_000 })
      .toBe('Training on WebGPU (the graphics card), a software adapter: chosen in the settings.');
    await expect
      .poll(() => page.locator('.live [data-status]').getAttribute('data-status'), { timeout: 240_000 })
      .toBe('done');
    await expect(page.locator('.backend-details').textContent()).resolves.toMatch(/swiftshader/i);
    expect(Number.isFinite(Number.parseFloat(await page.locator('[data-metric="loss"]').innerText()))).toBe(true);
    await expect(page.getByText('Held-out rewards at step 3').isVisible()).resolves.toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

describe('a link that reproduces a setup', () => {
  it('opens with the linked form and the demo data, and its own link says the same', async () => {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const other = await fresh.newPage();
    await other.goto(
      `${inject('appUrl')}#dataset=demo&dModel=32&nHeads=2&epochs=4&learningRate=0.001&stratify=task_type`,
    );
    await other.getByText('stored 999 pairs').waitFor({ timeout: 60_000 });
    await expect(other.getByRole('radio', { name: /Train on PandaLM/ }).isChecked()).resolves.toBe(true);
    await openScreen(other, 'Train');
    await expect(other.getByLabel('Model width', { exact: true }).inputValue()).resolves.toBe('32');
    await expect(other.getByLabel('Attention heads', { exact: true }).inputValue()).resolves.toBe('2');
    await expect(other.getByLabel('Learning rate', { exact: true }).inputValue()).resolves.toBe('0.001');
    await expect(other.getByLabel('Stratify by', { exact: true }).inputValue()).resolves.toBe('task_type');
    const link = await other.getByLabel('Link to this setup').inputValue();
    expect(new URL(link).hash).toBe(
      '#dataset=demo&screen=train&dModel=32&nHeads=2&stratify=task_type&learningRate=0.001&epochs=4',
    );
    // Changing the form changes the link.
    await other.getByLabel('Epochs', { exact: true }).fill('2');
    await expect.poll(() => other.getByLabel('Link to this setup').inputValue()).toMatch(/&epochs=2$/);

    await other.goto(`${inject('appUrl')}#epochs=lots`);
    await other.reload();
    await expect(other.getByRole('alert').innerText()).resolves.toMatch(
      /This link's setup could not be read \(Epochs \(epochs\) must be a number/,
    );
    await fresh.close();
  });
});
