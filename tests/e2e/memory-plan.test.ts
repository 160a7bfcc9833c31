// The memory plan on the Train screen: it is there before any run, follows the form (batch, length,
// width, frozen layers, LoRA) and says plainly, with suggestions, when a run will not fit the WASM heap.
// Screenshots at laptop and phone width.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { openScreen, setTrainField, showAdvanced } from './screens.ts';

let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function planText(page: Page) {
  return page.getByRole('region', { name: 'Memory plan' }).innerText();
}

describe('the memory plan on the Train screen', () => {
  it('is shown before a run and warns, with suggestions, when the run is over the WASM heap', async () => {
    const { page } = await openPage(browser, { errors: pageErrors });
    await page.goto(inject('appUrl'));
    await openScreen(page, 'Train');
    const plan = page.getByRole('region', { name: 'Memory plan' });
    await plan.waitFor();
    expect(await planText(page)).toMatch(/Total\s+[\d.]+ [KM]B of 4\.00 GB/);
    await plan.screenshot({ path: `${SHOTS}/memory-plan.png` });
    await setTrainField(page, 'Model width', '512');
    await setTrainField(page, 'Layers', '12');
    await setTrainField(page, 'Attention heads', '8');
    await setTrainField(page, 'Max tokens', '512');
    await setTrainField(page, 'Batch size', '64');
    await expect.poll(() => planText(page)).toMatch(/This run will not fit: the run needs about [\d.]+ GB/);
    const text = await planText(page);
    expect(text).toMatch(/halve the batch size to 32 and double accumulation steps to 2/);
    expect(text).toMatch(/freeze lower layers/);
    expect(text).toMatch(/shorten max tokens from 512 to 256/);
    expect(text).toMatch(/train LoRA adapters \(LoRA rank 8\)/);
    await plan.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/memory-plan-over.png` });
    // LoRA rank 8 on the default qkv: gradients and optimizer state for the adapters and the head alone.
    const full = await planText(page);
    await setTrainField(page, 'LoRA rank', '8');
    await expect.poll(() => planText(page)).not.toBe(full);
    expect(await planText(page)).toMatch(/Gradients\s+[\d.]+ KB/);
    expect(await planText(page)).not.toMatch(/train LoRA adapters/);
    await page.getByLabel('LoRA targets', { exact: true }).fill('qkv, in');
    await page.getByLabel('LoRA rank', { exact: true }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/lora-fields.png` });
    await setTrainField(page, 'LoRA rank', '0');
    // Freezing all but the head takes gradients and optimizer state away.
    const before = await planText(page);
    await setTrainField(page, 'Frozen layers', '12');
    await expect.poll(() => planText(page)).not.toBe(before);
    expect(await planText(page)).toMatch(/Gradients\s+[\d.]+ KB/);
    await page.getByLabel('Frozen layers', { exact: true }).screenshot({ path: `${SHOTS}/frozen-layers-field.png` });
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('Frozen weights f16: greyed out with the reason off WebGPU, and halves the frozen matrices in the WebGPU plan', async () => {
    const { page } = await openPage(browser, { errors: pageErrors });
    await page.goto(inject('appUrl'));
    await openScreen(page, 'Train');
    await showAdvanced(page);
    const field = page.getByLabel('Frozen weights', { exact: true });
    expect(await field.inputValue()).toBe('f32');
    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
    await expect.poll(() => field.isDisabled()).toBe(true);
    const help = page.locator('#help-frozenWeights');
    expect(await help.innerText()).toMatch(/^Not used on the wasm backend\. WebGPU only\./);
    await page.locator('.field', { has: field }).screenshot({ path: `${SHOTS}/frozen-weights-wasm.png` });
    await page.getByLabel('Backend', { exact: true }).selectOption('webgpu');
    await expect.poll(() => field.isDisabled()).toBe(false);
    await setTrainField(page, 'Layers', '2');
    await setTrainField(page, 'Frozen layers', '1');
    const parameters = () =>
      page
        .getByRole('region', { name: 'Memory plan' })
        .getByRole('row', { name: /Parameters/ })
        .innerText();
    const before = await parameters();
    await field.selectOption('f16');
    await expect.poll(parameters).not.toBe(before);
    const bytes = (text: string) => {
      const [, n, unit] = /([\d.]+) (KB|MB|GB)/.exec(text)!;
      return Number(n) * 1024 ** (['KB', 'MB', 'GB'].indexOf(unit!) + 1);
    };
    expect(bytes(await parameters())).toBeLessThan(bytes(before));
    await page.locator('.field', { has: field }).screenshot({ path: `${SHOTS}/frozen-weights-webgpu.png` });
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('fits a phone screen', async () => {
    const { page } = await openPage(browser, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      errors: pageErrors,
    });
    await page.goto(inject('appUrl'));
    await openScreen(page, 'Train');
    await setTrainField(page, 'Max tokens', '512');
    await setTrainField(page, 'Batch size', '256');
    await setTrainField(page, 'Model width', '512');
    await setTrainField(page, 'Layers', '12');
    await setTrainField(page, 'Attention heads', '8');
    const plan = page.getByRole('region', { name: 'Memory plan' });
    await expect.poll(() => plan.innerText()).toMatch(/will not fit/);
    await plan.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/memory-plan-phone.png` });
    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
    const frozenWeights = page.locator('.field', { has: page.getByLabel('Frozen weights', { exact: true }) });
    await frozenWeights.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/frozen-weights-phone.png` });
    const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
