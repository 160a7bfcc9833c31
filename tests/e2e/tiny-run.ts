// Trains the smallest useful model on the loaded dataset through the form, on WebAssembly, and waits
// for the run to finish: the shared first step of the end-to-end tests that need a trained model.
import type { Page } from 'playwright-core';
import { setTrainField, showAdvanced } from './screens.ts';

export async function trainTinyRun(page: Page, options: { steps: number; heldOutPairs: number }): Promise<void> {
  for (const [label, value] of [
    ['Model width', '16'],
    ['Layers', '1'],
    ['Attention heads', '2'],
    ['Max tokens', '32'],
    ['Max steps', String(options.steps)],
    ['Evaluate every', String(options.steps)],
    ['Held-out pairs used', String(options.heldOutPairs)],
  ] as const) {
    await setTrainField(page, label, value);
  }
  await showAdvanced(page);
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: /^Train on PandaLM/ }).click();
  await page.locator('.live [data-status="done"]').waitFor({ timeout: 240_000 });
}
