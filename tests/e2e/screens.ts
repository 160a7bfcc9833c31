// Moving around the app as a user does: the step navigation at the top, and the training form's
// folded Advanced settings.
import type { Locator, Page } from 'playwright-core';

export type ScreenName = 'Data' | 'Label' | 'Train' | 'Results' | 'Models' | 'Use';

/** Opens a screen from the navigation (nothing happens when it is already on show). */
export async function openScreen(page: Page, name: ScreenName): Promise<void> {
  const button = page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name, exact: true });
  if ((await button.getAttribute('aria-current')) !== 'page') await button.click();
}

/** Unfolds the training form's Advanced settings, on the Train screen. */
export async function showAdvanced(page: Page): Promise<void> {
  await openScreen(page, 'Train');
  const details = page.locator('details.advanced');
  if (!(await details.evaluate((d: HTMLDetailsElement) => d.open))) await details.locator('summary').click();
}

/** Sets a field of the training form by its label, wherever it is folded. */
export async function setTrainField(page: Page, label: string, value: string): Promise<void> {
  await showAdvanced(page);
  await page.getByLabel(label, { exact: true }).fill(value);
}

/**
 * The Train form's fieldset that holds the pretrained-encoder picker. Every screen stays in the page
 * (hidden when not shown), so "the first fieldset" may be another screen's, which never becomes visible.
 */
export function encoderFieldset(page: Page): Locator {
  return page.locator('fieldset').filter({ has: page.getByRole('group', { name: 'Pretrained encoder' }) });
}
