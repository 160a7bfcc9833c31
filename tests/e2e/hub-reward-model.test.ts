// "Add a reward model from the Hub" in the built app, in Debian's Chromium, against a Hub stand-in
// on 127.0.0.1 (tests/hub-server.ts) that counts requests: a classifier with three labels is
// refused after config.json alone, naming its labels; a config claiming an 8 B model shows the
// memory plan, says it will not fit and downloads nothing; a tiny GPT-2 reward model shows its plan
// before the download, downloads with a progress bar and Cancel (cancelled, then again), lands in
// the model list ("from the Hub: <id>", family and size), scores on the Use screen as the same
// checkpoint scores in Node, adds again offline from the browser's cache, and opens Train as the
// start of a run. Screenshots at laptop and phone width.
import type { Browser, Page } from 'playwright-core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { openScreen } from './screens.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { tinyDecoderFolder } from '../tiny-decoder.ts';
import { readSafetensors, writeSafetensors } from '../../src/core/model/safetensors.ts';
import { bytesFolder } from '../../src/core/model/hub.ts';
import { loadModelFolder } from '../../src/core/model/pretrained.ts';
import { readyRewardModel } from '../../src/core/model/ready-reward.ts';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { tokenizerFor } from '../../src/core/model/tokenizer.ts';
import { scoreTexts } from '../../src/core/eval/score.ts';

let browser: Browser;
let page: Page;
let hub: HubServer;
const pageErrors: string[] = [];
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** The tiny GPT-2 reward model with 3 MB of unused tensor: a download long enough to watch and cancel. */
function rewardFolder(): Map<string, Uint8Array> {
  const files = tinyDecoderFolder({ modelType: 'gpt2', kind: 'reward' });
  const { tensors } = readSafetensors(files.get('model.safetensors')!);
  const written = [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  written.push({ name: 'unused.padding', shape: [750_000], data: new Float32Array(750_000) });
  return new Map([...files, ['model.safetensors', writeSafetensors(written)]]);
}

const REWARD = rewardFolder();

beforeAll(async () => {
  const config = JSON.parse(new TextDecoder().decode(REWARD.get('config.json')!)) as Record<string, unknown>;
  hub = await startHubServer({
    'rm/tiny-reward': { files: REWARD },
    'rm/sentiment': {
      files: new Map([
        ...REWARD,
        ['config.json', json({ ...config, id2label: { '0': 'negative', '1': 'neutral', '2': 'positive' } })],
      ]),
    },
    'rm/huge': {
      files: new Map([
        [
          'config.json',
          json({
            architectures: ['LlamaForSequenceClassification'],
            model_type: 'llama',
            vocab_size: 128256,
            hidden_size: 4096,
            intermediate_size: 14336,
            num_hidden_layers: 32,
            num_attention_heads: 32,
            num_key_value_heads: 8,
            max_position_embeddings: 8192,
            pad_token_id: 0,
            id2label: { '0': 'LABEL_0' },
          }),
        ],
        ['model.safetensors', new Uint8Array(64)],
      ]),
    },
  });
  browser = await launchChromium();
  ({ page } = await openPage(browser, { errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

const addField = () => page.getByLabel('Reward model Hub id or URL');
const planRegion = () => page.getByRole('region', { name: 'Memory plan before download' });
const rows = () => page.locator('table.models tbody tr');

async function add(id: string) {
  await addField().fill(id);
  await page.getByRole('button', { name: 'Add reward model' }).click();
}

/** The Hub address is a setting of the page (on Train): point it at the stand-in. */
async function pointAtHub(p: Page) {
  await openScreen(p, 'Train');
  await p.getByRole('group', { name: 'Pretrained encoder' }).getByText('Hub address').click();
  await p.getByLabel('Hub address').fill(hub.url);
  await p.getByLabel('Hub address').press('Enter');
}

/** What the stand-in Hub was asked since `before`, less the HEAD requests (they download nothing). */
const downloads = (before: number) => hub.requests.slice(before).filter((p) => !p.startsWith('HEAD '));

describe('adding a reward model from the Hub', () => {
  it('refuses a three-label classifier after config.json alone, naming its labels', async () => {
    await page.goto(inject('appUrl'));
    await pointAtHub(page);
    await openScreen(page, 'Models');
    const before = hub.requests.length;
    await add('rm/sentiment');
    await page
      .getByText(
        'Could not add rm/sentiment: rm/sentiment is a classifier with 3 labels (negative, neutral, positive), not a reward model with one score',
      )
      .waitFor({ timeout: 30_000 });
    expect(hub.requests.slice(before)).toEqual(['/rm/sentiment/resolve/main/config.json']);
    expect(await rows().count()).toBe(0);
  }, 120_000);

  it('shows the plan of a config claiming an 8 B model, says it will not fit, and downloads nothing', async () => {
    const before = hub.requests.length;
    await add('rm/huge');
    await page.getByText(/Could not add rm\/huge: This run will not fit/).waitFor({ timeout: 30_000 });
    const plan = await planRegion().innerText();
    expect(plan).toMatch(/Weights \(how many\)\s+7\.\d\d billion/);
    expect(plan).toMatch(/the run needs about [\d.]+ GB, more than WebAssembly's 4 GB heap/);
    expect(await page.getByText(/Nothing was downloaded but config\.json/).count()).toBe(1);
    await expect(page.getByRole('button', { name: 'Download anyway' }).isVisible()).resolves.toBe(true);
    expect(downloads(before)).toEqual(['/rm/huge/resolve/main/config.json']);
    await planRegion().scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/hub-rm-1-huge-plan.png`, fullPage: true });
  }, 120_000);

  it('shows the plan before the download, downloads with a progress bar, and Cancel stores nothing', async () => {
    hub.slowdown = 150;
    const before = hub.requests.length;
    await add('rm/tiny-reward');
    await page.getByRole('progressbar').waitFor({ timeout: 30_000 });
    await page.getByText(/Downloading: model\.safetensors · [\d.]+ of [\d.]+ MB/).waitFor({ timeout: 30_000 });
    // The plan was there before the weights arrived, and it fits.
    const plan = await planRegion().innerText();
    expect(plan).toMatch(/Memory plan of rm\/tiny-reward before download \(wasm\)/);
    expect(plan).toMatch(/Download\s+3\.\d\d MB/);
    expect(plan).not.toMatch(/will not fit/);
    const asked = hub.requests.slice(before);
    expect(asked[0]).toBe('/rm/tiny-reward/resolve/main/config.json');
    expect(asked[1]).toBe('HEAD /rm/tiny-reward/resolve/main/model.safetensors');
    await page.screenshot({ path: `${SHOTS}/hub-rm-2-downloading.png`, fullPage: true });
    await page.getByRole('button', { name: 'Cancel adding the reward model' }).click();
    await expect.poll(() => page.getByRole('progressbar').count()).toBe(0);
    expect(await rows().count()).toBe(0);
  }, 120_000);

  it('adds it: a model in the list, from the Hub, with its family and size', async () => {
    hub.slowdown = 0;
    await add('rm/tiny-reward');
    await page
      .getByText(/Added rm\/tiny-reward as a model: rm\/tiny-reward \(gpt2, 2 × 16\)/)
      .waitFor({ timeout: 60_000 });
    await expect.poll(() => rows().count()).toBe(1);
    const row = await rows().first().innerText();
    expect(row).toMatch(/from the Hub: rm\/tiny-reward/);
    expect(row).toMatch(/gpt2, 2 × 16\), last pooling, \d\d,\d\d\d parameters/);
    await page.screenshot({ path: `${SHOTS}/hub-rm-3-added.png`, fullPage: true });
  }, 120_000);

  it('scores on the Use screen as the same checkpoint scores in Node', async () => {
    await openScreen(page, 'Use');
    const panel = page.locator('section.playground');
    await panel.locator('[data-model-status]').getByText('loaded').waitFor({ timeout: 60_000 });
    await expect(panel.locator('select').first().locator('option:checked').innerText()).resolves.toMatch(
      /rm\/tiny-reward \(from the Hub\)/,
    );
    await panel.getByLabel('Prompt', { exact: true }).fill('What is two plus four?');
    await panel.getByLabel('Response', { exact: true }).fill('Six.');
    await panel.getByRole('button', { name: 'Score', exact: true }).click();
    await panel.locator('[data-result="score"]').waitFor({ timeout: 60_000 });
    const shown = Number(
      await panel.locator('[data-result="score"]').locator('[data-reward]').first().getAttribute('data-reward'),
    );
    await tf.setBackend('cpu');
    const folder = await loadModelFolder(bytesFolder('rm/tiny-reward', REWARD), {});
    const ready = readyRewardModel(folder, 'rm/tiny-reward');
    const model = RewardModel.fromPretrained(ready.spec, ready.weights, 0, ready.head);
    const [expected] = await scoreTexts(
      model,
      tokenizerFor(ready.spec, ready.tokenizer),
      [{ prompt: 'What is two plus four?', response: 'Six.' }],
      { maxLength: 64 },
    );
    model.dispose();
    expect(shown).toBeCloseTo(expected!, 4);
  }, 120_000);

  it('adds again offline, from the browser cache, and opens Train as the start of a run', async () => {
    await openScreen(page, 'Models');
    await page.evaluate((url) => fetch(`${url}/_control/offline/on`), hub.url);
    try {
      await add('rm/tiny-reward');
      await page.getByText(/Added rm\/tiny-reward as a model/).waitFor({ timeout: 60_000 });
      await expect.poll(() => rows().count()).toBe(2);
    } finally {
      await page.evaluate((url) => fetch(`${url}/_control/offline/off`), hub.url);
    }
    await page.getByRole('button', { name: 'Train rm/tiny-reward further' }).first().click();
    await expect(page.getByLabel('Encoder', { exact: true }).inputValue()).resolves.toBe('rm/tiny-reward');
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('on Train, a Hub encoder shows its plan before download; one that will not fit downloads nothing', async () => {
    await openScreen(page, 'Train');
    const picker = page.getByRole('group', { name: 'Pretrained encoder' });
    await page.getByLabel('Encoder', { exact: true }).fill('rm/huge');
    const before = hub.requests.length;
    await picker.getByRole('button', { name: 'Load', exact: true }).click();
    await picker.getByText(/Could not load rm\/huge: This run will not fit/).waitFor({ timeout: 30_000 });
    expect(await picker.getByRole('region', { name: 'Memory plan before download' }).innerText()).toMatch(
      /Weights \(how many\)\s+7\.\d\d billion/,
    );
    expect(downloads(before)).toEqual(['/rm/huge/resolve/main/config.json']);
    await expect(picker.getByRole('button', { name: 'Download anyway' }).isVisible()).resolves.toBe(true);
    await picker.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/hub-rm-5-train-encoder-plan.png`, fullPage: true });
    // A model that fits: the plan, then what was loaded.
    await page.getByLabel('Encoder', { exact: true }).fill('rm/tiny-reward');
    await picker.getByRole('button', { name: 'Load', exact: true }).click();
    await page.getByLabel('Loaded encoder').waitFor({ timeout: 60_000 });
    expect(await picker.getByRole('region', { name: 'Memory plan before download' }).innerText()).toMatch(
      /Memory plan of rm\/tiny-reward before download/,
    );
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('fits a phone screen, plan and all', async () => {
    const phone = await openPage(browser, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      errors: pageErrors,
    });
    await phone.page.goto(inject('appUrl'));
    await pointAtHub(phone.page);
    await openScreen(phone.page, 'Models');
    await phone.page.getByLabel('Reward model Hub id or URL').fill('rm/huge');
    await phone.page.getByRole('button', { name: 'Add reward model' }).click();
    await phone.page.getByText(/Could not add rm\/huge: This run will not fit/).waitFor({ timeout: 30_000 });
    await phone.page.getByRole('region', { name: 'Memory plan before download' }).scrollIntoViewIfNeeded();
    await phone.page.screenshot({ path: `${SHOTS}/hub-rm-4-phone-plan.png` });
    const width = await phone.page.evaluate(() => document.scrollingElement!.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
