// Pretrained encoders in the built app, in Debian's Chromium: the user types a Hub id, the app
// downloads it from a Hub stand-in on 127.0.0.1 (tests/hub-server.ts) with a progress bar in MB,
// trains a few steps on WASM and shows the run; the next load comes from the browser's cache with no
// request; a picked folder trains, and trains again after a reload from the cache; a missing
// repository is reported in plain words.
import { encoderFieldset, openScreen, setTrainField, showAdvanced } from './screens.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { tinyBertFolder } from '../tiny-bert.ts';
import { fixtureFolder } from '../fixture-folder.ts';
import type { BertFixture } from '../bert-reference-fixture.ts';
import robertaCls from '../fixtures/reference-roberta-cls-gelu.json';
import debertaV3Cls from '../fixtures/reference-deberta-v3-cls-gelu.json';
import { tinyDebertaFolder } from '../tiny-deberta.ts';

let browser: Browser;
let page: Page;
let hub: HubServer;
let folderRoot: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  // 3 MB of unused pretraining head, served slowly, so the download is long enough to be seen.
  // huge/bert: the tiny BERT's files under a config.json claiming a BERT of billions of weights.
  const huge = tinyBertFolder();
  const config = JSON.parse(new TextDecoder().decode(huge.get('config.json')!)) as Record<string, unknown>;
  const claimed = { hidden_size: 8192, intermediate_size: 32768, num_hidden_layers: 48, num_attention_heads: 64 };
  huge.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, ...claimed })));
  hub = await startHubServer({
    'tiny/bert': { files: tinyBertFolder({ extraBytes: 3_000_000, prefix: 'bert.' }) },
    'huge/bert': { files: huge },
  });
  folderRoot = mkdtempSync(join(tmpdir(), 'rmlab-e2e-'));
  const folder = join(folderRoot, 'my-bert');
  mkdirSync(folder);
  for (const [name, bytes] of tinyBertFolder({ tokenizer: 'vocab', dtype: 'F16', noPooler: true })) {
    writeFileSync(join(folder, name), bytes);
  }
  browser = await launchChromium();
  ({ page } = await openPage(browser, { errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  rmSync(folderRoot, { recursive: true, force: true });
});

const setField = (label: string, value: string) => setTrainField(page, label, value);

/** A short run: WASM (no backend probe), a handful of steps. */
async function smallRun(steps: number) {
  await setField('Max tokens', '32');
  await setField('Max steps', String(steps));
  await setField('Evaluate every', '2');
  await setField('Held-out pairs used', '32');
  await showAdvanced(page);
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
}

const picker = () => page.getByRole('group', { name: 'Pretrained encoder' });
const summary = () => page.getByLabel('Loaded encoder');

describe('pretrained encoders, end to end', () => {
  it('trains on a Hub model id: download with a progress bar in MB, then the run', async () => {
    await page.goto(inject('appUrl'));
    // The Hub address is a setting of the page: point it at the stand-in.
    await openScreen(page, 'Train');
    await picker().getByText('Hub address').click();
    await page.getByLabel('Hub address').fill(hub.url);
    await page.getByLabel('Hub address').press('Enter');
    await openScreen(page, 'Data');
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs, no line rejected').waitFor({ timeout: 60_000 });

    await setField('Encoder', 'tiny/bert');
    await expect(page.getByLabel('Model width', { exact: true }).isDisabled()).resolves.toBe(true);
    await smallRun(4);
    hub.slowdown = 60;
    const before = hub.requests.length;
    // No Load pressed: Train makes the memory plan from config.json first, and a model that fits
    // goes on to download and train with no other click.
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    const bar = picker().getByRole('progressbar');
    await bar.waitFor({ timeout: 60_000 });
    await picker()
      .getByText(/Downloading: model\.safetensors · [\d.]+ of [\d.]+ MB/)
      .waitFor({ timeout: 60_000 });
    await encoderFieldset(page).screenshot({ path: `${SHOTS}/pretrained-1-downloading.png` });
    await summary().waitFor({ timeout: 120_000 });
    hub.slowdown = 0;
    await expect(summary().innerText()).resolves.toMatch(
      /BertModel · 2 layers · hidden size 16 · 2 heads · vocabulary \d+/,
    );
    // The plan came from config.json before the weights, and is shown as Load shows it; the weights
    // downloaded once (the run read them from the browser's cache).
    await expect(picker().getByRole('region', { name: 'Memory plan before download' }).innerText()).resolves.toMatch(
      /Memory plan of tiny\/bert before download/,
    );
    const fetched = hub.requests.slice(before);
    const weights = '/tiny/bert/resolve/main/model.safetensors';
    expect(fetched.indexOf('/tiny/bert/resolve/main/config.json')).toBeLessThan(fetched.indexOf(weights));
    expect(fetched.filter((p) => p === weights)).toHaveLength(1);
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 240_000 });
    await expect(page.locator('.live').innerText()).resolves.toMatch(/Run done after 4 steps/);
    await page.screenshot({ path: `${SHOTS}/pretrained-2-trained.png`, fullPage: true });
  });

  it('on Train, without Load, a model whose plan will not fit downloads nothing and no run starts', async () => {
    await setField('Encoder', 'huge/bert');
    const before = hub.requests.length;
    const runsBefore = await page.locator('.live').innerText();
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    await picker()
      .getByText(/Could not load huge\/bert: This run will not fit/)
      .waitFor({ timeout: 60_000 });
    // The plan, with its suggestions, and the way on anyway.
    const plan = picker().getByRole('region', { name: 'Memory plan before download' });
    await expect(plan.innerText()).resolves.toMatch(/Memory plan of huge\/bert before download/);
    await expect(plan.innerText()).resolves.toMatch(/freeze/i);
    await expect(picker().getByRole('button', { name: 'Download anyway' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('alert').filter({ hasText: 'The run did not start' }).innerText()).resolves.toMatch(
      /huge\/bert will not fit with these settings/,
    );
    const fetched = hub.requests.slice(before).filter((p) => !p.startsWith('HEAD '));
    expect(fetched).toEqual(['/huge/bert/resolve/main/config.json']);
    // The last run is still the one shown: no new run was made.
    await expect(page.locator('.live').innerText()).resolves.toBe(runsBefore);
    // Why the run did not start (by the Train button), and the plan with its suggestions (the picker).
    const shots = async (suffix: string) => {
      const refusal = page.getByRole('alert').filter({ hasText: 'The run did not start' });
      await refusal.screenshot({ path: `${SHOTS}/pretrained-3-train-refused${suffix}.png` });
      await encoderFieldset(page).screenshot({ path: `${SHOTS}/pretrained-4-refused-plan${suffix}.png` });
    };
    await shots('');
    await page.setViewportSize({ width: 390, height: 844 });
    await shots('-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(pageErrors).toEqual([]);
  });

  it('loads it again from the browser cache, with no request to the Hub, after a reload', async () => {
    await page.reload();
    await setField('Encoder', 'tiny/bert');
    const before = hub.requests.length;
    await picker().getByRole('button', { name: 'Load', exact: true }).click();
    await summary().waitFor({ timeout: 60_000 });
    expect(hub.requests.length).toBe(before);
  });

  it('says plainly when a repository does not exist', async () => {
    await setField('Encoder', 'nobody/nothing');
    await picker().getByRole('button', { name: 'Load', exact: true }).click();
    const alert = picker().getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    await expect(alert.innerText()).resolves.toMatch(
      /Could not load nobody\/nothing: the Hub has no public repository nobody\/nothing \(it answered 401\)/,
    );
    await encoderFieldset(page).screenshot({ path: `${SHOTS}/pretrained-3-missing.png` });
  });

  it('trains on a folder the user picks, and again after a reload from the cached copy', async () => {
    // [CLS] pooling goes through the checkpoint's pooler, which this folder lacks: the summary says it starts
    // fresh (mean pooling, the default, needs no pooler).
    await showAdvanced(page);
    await page.getByLabel('Pooling', { exact: true }).selectOption('cls');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      picker().getByRole('button', { name: 'Choose a folder…' }).click(),
    ]);
    await chooser.setFiles(join(folderRoot, 'my-bert'));
    await summary().waitFor({ timeout: 60_000 });
    await expect(page.getByLabel('Encoder', { exact: true }).inputValue()).resolves.toBe('folder:my-bert');
    const text = await summary().innerText();
    expect(text).toMatch(/Tokenizer built from its older tokenizer files \(vocab\.txt/);
    expect(text).toMatch(/initialised fresh: pooler\.dense\.weight, pooler\.dense\.bias/);
    await encoderFieldset(page).screenshot({ path: `${SHOTS}/pretrained-4-folder.png` });
    await page.screenshot({ path: `${SHOTS}/pretrained-4-folder-page.png`, fullPage: true });
    await page.getByText(/only this browser\s+has its files/).waitFor({ timeout: 5_000 });

    await page.reload();
    await setField('Encoder', 'folder:my-bert');
    await smallRun(2);
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    await page.locator('.live [data-status]').waitFor({ timeout: 240_000 });
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 240_000 });
    await expect(summary().innerText()).resolves.toMatch(/BertModel · 2 layers/);
    expect(pageErrors).toEqual([]);
  });

  it('opens a RoBERTa reward model from the Hub with its own head, and says so', async () => {
    hub.repos.set('tiny/roberta-rm', { files: fixtureFolder(robertaCls as BertFixture, { withHead: true }) });
    await showAdvanced(page);
    await page.getByLabel('Pooling', { exact: true }).selectOption('cls');
    await setField('Encoder', 'tiny/roberta-rm');
    await picker().getByRole('button', { name: 'Load', exact: true }).click();
    await summary().waitFor({ timeout: 60_000 });
    const text = await summary().innerText();
    expect(text).toMatch(/RobertaForSequenceClassification · 2 layers · hidden size 8/);
    expect(text).toMatch(/A reward model already: its own reward head/);
    await encoderFieldset(page).screenshot({ path: `${SHOTS}/pretrained-5-reward-model.png` });
    expect(pageErrors).toEqual([]);
  });

  it('opens a DeBERTa-v3 reward model (tokenizer.json, SentencePiece) from the Hub with its own head', async () => {
    hub.repos.set('tiny/deberta-v3-rm', {
      files: tinyDebertaFolder(debertaV3Cls as BertFixture, { withHead: true }),
    });
    await showAdvanced(page);
    await page.getByLabel('Pooling', { exact: true }).selectOption('cls');
    await setField('Encoder', 'tiny/deberta-v3-rm');
    await picker().getByRole('button', { name: 'Load', exact: true }).click();
    await page.getByText('DebertaV2ForSequenceClassification').waitFor({ timeout: 60_000 });
    const text = await summary().innerText();
    expect(text).toMatch(/DebertaV2ForSequenceClassification · 2 layers · hidden size 8/);
    expect(text).toMatch(/A reward model already: its own reward head/);
    await encoderFieldset(page).screenshot({ path: `${SHOTS}/pretrained-6-deberta-reward-model.png` });
    expect(pageErrors).toEqual([]);
  });
});
