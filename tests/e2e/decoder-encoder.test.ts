// A decoder reward model from the Hub in the built app, in Debian's Chromium: the user types the id
// of a SmolLM2-shaped LlamaForSequenceClassification (a tiny one the test writes, served by the Hub
// stand-in on 127.0.0.1), the summary says what it is (a decoder read at its last token, with its own
// reward head), and a short run trains it on WASM.
import { encoderFieldset, openScreen, setTrainField, showAdvanced } from './screens.ts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { tinyDecoderFolder } from '../tiny-decoder.ts';

let browser: Browser;
let page: Page;
let hub: HubServer;
const pageErrors: string[] = [];

beforeAll(async () => {
  hub = await startHubServer({
    'tiny/smollm2-rm': { files: tinyDecoderFolder({ modelType: 'llama', kind: 'reward' }) },
  });
  browser = await launchChromium();
  ({ page } = await openPage(browser, { errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

describe('a decoder reward model from the Hub, end to end', () => {
  it('loads with its own head, says it reads the last token, and trains', async () => {
    await page.goto(inject('appUrl'));
    await openScreen(page, 'Train');
    const picker = page.getByRole('group', { name: 'Pretrained encoder' });
    await picker.getByText('Hub address').click();
    await page.getByLabel('Hub address').fill(hub.url);
    await page.getByLabel('Hub address').press('Enter');
    await openScreen(page, 'Data');
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs, no line rejected').waitFor({ timeout: 60_000 });

    await setTrainField(page, 'Encoder', 'tiny/smollm2-rm');
    await picker.getByRole('button', { name: 'Load', exact: true }).click();
    const summary = page.getByLabel('Loaded encoder');
    await summary.waitFor({ timeout: 60_000 });
    const text = await summary.innerText();
    expect(text).toMatch(/LlamaForSequenceClassification · 2 layers · hidden size 16 · 4 heads/);
    expect(text).toMatch(/reads each pair at its last token/);
    expect(text).toMatch(/A reward model already: its own reward head/);
    await encoderFieldset(page).screenshot({ path: `${SHOTS}/decoder-1-loaded.png` });

    await setTrainField(page, 'Max tokens', '32');
    await setTrainField(page, 'Max steps', '2');
    await setTrainField(page, 'Evaluate every', '2');
    await setTrainField(page, 'Held-out pairs used', '32');
    await showAdvanced(page);
    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
    await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 240_000 });
    await expect(page.locator('.live').innerText()).resolves.toMatch(/Run done after 2 steps/);
    await page.screenshot({ path: `${SHOTS}/decoder-2-trained.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
