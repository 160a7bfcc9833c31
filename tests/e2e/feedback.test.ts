// Implicit feedback in the app, in Chromium: a chat log of thumbs, regenerations, copies, an edit and
// ratings is dropped on the Data panel, recognised as a feedback log in the preview (rules, weights,
// user-id privacy), imported as weighted pairs with the bad line reported, and its analysis view
// shown; a tiny reward model trained on the pairs is then compared with what the users prefer.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { EXPORT } from '../open-webui-export.ts';
import { openScreen, setTrainField, showAdvanced } from './screens.ts';

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

const TOPICS = [
  'sorting a list',
  'a haiku about rain',
  'TCP vs UDP',
  'a SQL join',
  'the French revolution',
  'a cover letter',
];

/**
 * Twelve conversations: v1 answers, the user regenerates and v2's answer is kept (a follow-up); v1's
 * answers get thumbs down (one up) and v2's up in every other conversation; one v2 answer is copied,
 * one edited, one rated. Three more conversations rate one prompt down. The last line has an action
 * the log format does not know.
 */
function chatLog(): string {
  const rows: Record<string, unknown>[] = [];
  let n = 0;
  const event = (c: number, action: string, model: string, response: string, more: Record<string, unknown> = {}) =>
    rows.push({
      event_id: `ev-${++n}`,
      conversation_id: `conv-${c}`,
      user_id: `person-${c % 4}@example.com`,
      timestamp: new Date(Date.UTC(2026, 10, 2 + c, 9, n)).toISOString(),
      prompt: `Help me with ${TOPICS[c % TOPICS.length]} (#${c})`,
      response,
      model_version: model,
      task_type: c % 2 === 0 ? 'code' : 'writing',
      action,
      ...more,
    });
  for (let c = 0; c < 12; c++) {
    const weak = `I am not sure about ${TOPICS[c % TOPICS.length]}.`;
    const strong = `Here is a careful, complete answer about ${TOPICS[c % TOPICS.length]}, step by step.`;
    event(c, 'regenerate', 'v1', weak);
    // One user liked the weak answer: rated up, it beats the kept one in that conversation.
    event(c, c === 5 ? 'thumbs_up' : 'thumbs_down', 'v1', weak);
    event(c, 'follow_up', 'v2', strong);
    if (c % 2 === 0) event(c, 'thumbs_up', 'v2', strong);
    if (c === 1) event(c, 'copy', 'v2', strong);
    if (c === 2) event(c, 'edit', 'v2', strong, { edited_text: `${strong} With an example.` });
    if (c === 3) event(c, 'rating', 'v2', strong, { value: 4 });
  }
  // The same prompt in three conversations, rated down each time: a consistently negative prompt.
  for (let c = 20; c < 23; c++) {
    event(c, 'thumbs_down', 'v1', `Why did the cat sit on the computer? (take ${c})`, {
      prompt: 'Tell me a joke about cats',
    });
  }
  rows.push({ event_id: 'ev-bad', prompt: 'p', response: 'r', action: 'shrug' });
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

describe('implicit feedback, end to end', () => {
  it('recognises a feedback log in the preview and imports it as weighted pairs, the bad line reported', async () => {
    await page.goto(inject('appUrl'));
    await page.getByLabel('Import a file of your own').setInputFiles({
      name: 'chat-feedback.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(chatLog()),
    });
    const preview = page.getByRole('region', { name: 'Import preview' });
    await expect(preview.getByLabel('Format').locator('option:checked').innerText()).resolves.toBe(
      'feedback log: RM Lab event log',
    );
    await expect(preview.getByLabel('Use rule Kept / rated-up > siblings').isChecked()).resolves.toBe(true);
    await expect(preview.getByLabel('Weight of rule Thumbs up > thumbs down').inputValue()).resolves.toBe('0.5');
    await expect(preview.getByLabel('User ids').inputValue()).resolves.toBe('hash');
    await expect(preview.getByRole('table').last().innerText()).resolves.toMatch(/regenerate\s+v1/);
    await preview.getByLabel('Weight of rule Copied > not copied').fill('0.2');
    await page.screenshot({ path: `${SHOTS}/feedback-1-preview.png`, fullPage: true });
    await preview.getByRole('button', { name: 'Import chat-feedback.jsonl' }).click();
    // 12 sibling pairs (v2 kept over v1, but v1 over v2 where v1 alone was rated up; the thumbs and
    // the copy agree and are merged into them), and the edit's pair.
    await page.getByText('stored 13 pairs, 1 lines rejected').waitFor({ timeout: 30_000 });
    const rejects = await page.getByRole('table', { name: 'Rejected lines' }).innerText();
    expect(rejects).toMatch(/unknown action "shrug"/);
    expect(pageErrors).toEqual([]);
  });

  it('shows how the pairs were made, thumbs-down rates, negative prompts and implicit win rates', async () => {
    await page.getByText(/^Feedback of chat-feedback/).click();
    const view = page.getByRole('region', { name: 'Feedback analysis' });
    await expect(view.innerText()).resolves.toMatch(/48 feedback events .* made\s+13 pairs; 44 events .* 4 made none/);
    const rules = await view.locator('table.rules').innerText();
    expect(rules).toMatch(/Kept \/ rated-up > siblings\s+yes\s+1\s+45\s+12\s+0\s+0/);
    expect(rules).toMatch(/Thumbs up > thumbs down\s+yes\s+0.5\s+21\s+6\s+6\s+0/);
    expect(rules).toMatch(/Copied > not copied\s+yes\s+0.2\s+1\s+1\s+1\s+0/);
    const reasons = await view.locator('table.reasons').innerText();
    expect(reasons).toMatch(
      /3\s+siblings: no other answer to this prompt in the conversation; thumbs: no response to this prompt was rated up/,
    );
    expect(reasons).toMatch(/1\s+ratings: no other rated response to this prompt/);
    await expect(view.locator('table.negative').innerText()).resolves.toMatch(/Tell me a joke about cats\s+3\s+0\s+v1/);
    await expect(view.getByRole('img', { name: 'Thumbs-down rate by model version' }).isVisible()).resolves.toBe(true);
    await expect(view.getByRole('img', { name: 'Thumbs-down rate by day' }).isVisible()).resolves.toBe(true);
    const wins = await view.locator('table.wins').innerText();
    expect(wins).toMatch(/v2\s+v1\s+12\s+92% \(65%–99%\)/);
    // No user id reached the page: they were pseudonymised at import.
    await page.getByText(/^Browse the 13 pairs/).click();
    await page.locator('.browser .count').getByText('13 of 13 pairs').waitFor();
    await expect(page.locator('main').innerText()).resolves.not.toMatch(/example\.com/);
    await page.getByText(/^Browse the 13 pairs/).click();
    await page.screenshot({ path: `${SHOTS}/feedback-2-analysis.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("recognises Open WebUI's feedback export and names the records that do not fit", async () => {
    await page.getByLabel('Import a file of your own').setInputFiles({
      name: 'feedback-history-export.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(EXPORT, null, 2)),
    });
    const preview = page.getByRole('region', { name: 'Import preview' });
    await expect(preview.getByLabel('Format').locator('option:checked').innerText()).resolves.toBe(
      'feedback log: Open WebUI feedback export',
    );
    await expect(preview.getByRole('table').last().innerText()).resolves.toMatch(
      /thumbs_up\s+llama3:8b\s+Crimson maples/,
    );
    await preview.getByRole('button', { name: 'Import feedback-history-export.json' }).click();
    // The regeneration (a2 > a1) and the arena battle (gpt-4o > mistral); two records rejected by name.
    await page.getByText('stored 2 pairs, 2 lines rejected').waitFor({ timeout: 30_000 });
    const rejects = await page.getByRole('table', { name: 'Rejected lines' }).innerText();
    expect(rejects).toContain('record [4] (id "f5"): message "zzz" is not in snapshot.chat.chat.history.messages');
    await page.screenshot({ path: `${SHOTS}/feedback-4-open-webui.png`, fullPage: true });
    // Back to the chat log for the next step.
    await page
      .getByRole('table', { name: 'Datasets in this browser' })
      .getByRole('row', { name: /chat-feedback/ })
      .getByRole('radio')
      .check();
    expect(pageErrors).toEqual([]);
  });

  it('trains a tiny reward model on the weighted pairs and lists where it and the users disagree', async () => {
    for (const [label, value] of [
      ['Model width', '16'],
      ['Layers', '1'],
      ['Attention heads', '2'],
      ['Max tokens', '32'],
      ['Max steps', '4'],
      ['Evaluate every', '4'],
    ] as const) {
      await setTrainField(page, label, value);
    }
    await showAdvanced(page);
    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
    await expect(page.getByLabel('Sample weights', { exact: true }).inputValue()).resolves.toBe('pair');
    await page.getByRole('button', { name: /^Train on chat-feedback/ }).click();
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 240_000 });
    await openScreen(page, 'Data');
    const view = page.getByRole('region', { name: 'Feedback analysis' });
    await view.getByRole('button', { name: 'Compare with the reward model' }).click();
    // Either outcome is a real answer from the model's scores; the view must give one.
    await view
      .locator('table.disagreements, [role="status"]')
      .filter({ hasText: /disagree|agrees with the users/ })
      .first()
      .waitFor({ timeout: 120_000 });
    await page.screenshot({ path: `${SHOTS}/feedback-3-compare.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("sends the prompts where a model trained against the users' choices disagrees with them to a labelling project", async () => {
    // The same twelve prompts and answers, with v1's hesitant answer marked the better one: a model
    // trained on these prefers v1 where the users prefer v2.
    const against = Array.from({ length: 12 }, (_, c) =>
      JSON.stringify({
        prompt: `Help me with ${TOPICS[c % TOPICS.length]} (#${c})`,
        response_a: `I am not sure about ${TOPICS[c % TOPICS.length]}.`,
        response_b: `Here is a careful, complete answer about ${TOPICS[c % TOPICS.length]}, step by step.`,
        winner: 'response_a',
        model_a_version: 'v1',
        model_b_version: 'v2',
      }),
    ).join('\n');
    await page
      .locator('input[type="file"]')
      .first()
      .setInputFiles({ name: 'against-users.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(against) });
    await page
      .getByRole('region', { name: 'Import preview' })
      .getByRole('button', { name: /^Import against-users/ })
      .click();
    await page.getByText('stored 12 pairs').first().waitFor({ timeout: 30_000 });
    await page
      .getByRole('table', { name: 'Datasets in this browser' })
      .getByRole('row', { name: /against-users/ })
      .getByRole('radio')
      .check();
    await setTrainField(page, 'Max steps', '60');
    await setTrainField(page, 'Evaluate every', '60');
    await setTrainField(page, 'Learning rate', '0.01');
    await page.getByRole('button', { name: /^Train on against-users/ }).click();
    await page.locator('.live [data-status="done"]').waitFor({ timeout: 240_000 });

    await openScreen(page, 'Data');
    await page
      .getByRole('table', { name: 'Datasets in this browser' })
      .getByRole('row', { name: /chat-feedback/ })
      .getByRole('radio')
      .check();
    const view = page.getByRole('region', { name: 'Feedback analysis' });
    const model = view.getByLabel('Reward model to compare');
    const trained = await model.locator('option', { hasText: 'against-users' }).first().getAttribute('value');
    await model.selectOption(trained!);
    await view.getByRole('button', { name: 'Compare with the reward model' }).click();
    const table = view.locator('table.disagreements');
    await table.waitFor({ timeout: 120_000 });
    await expect(table.innerText()).resolves.toMatch(/v1\s+v2\s+\d+% of 12 prompts\s+92% of 12 pairs/);

    await view.getByRole('button', { name: 'Send these prompts to labelling' }).click();
    await view.getByText('Made the labelling project “Disagreements in chat-feedback”: 12 new items.').waitFor();
    await page.screenshot({ path: `${SHOTS}/feedback-5-sent.png`, fullPage: true });
    // Sent again: the project is added to, and nothing is there twice.
    await view.getByRole('button', { name: 'Send these prompts to labelling' }).click();
    await view
      .getByText('Added to the labelling project “Disagreements in chat-feedback”: 0 new items, 12 already there.')
      .waitFor();

    await openScreen(page, 'Label');
    const label = page.getByRole('region', { name: 'Label preferences' });
    await label.getByText(/Disagreements in chat-feedback: 12 items/).waitFor();
    await label.getByLabel(/Your annotator id/).fill('reviewer');
    await label.getByLabel(/Your annotator id/).press('Enter');
    await expect(label.innerText()).resolves.toMatch(/Help me with .* \(#\d+\)/);
    await expect(label.innerText()).resolves.toContain('I am not sure about');
    await page.screenshot({ path: `${SHOTS}/feedback-6-label.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('reads a CSV log in its own layout through the field mapper, the bad rows rejected with line and reason', async () => {
    // Six conversations: v1's answer disliked and regenerated, v2's answer liked. Then a row whose
    // time does not parse and one with a signal the mapping does not name.
    const rows = ['id,chat,when,question,answer,engine,signal'];
    for (let c = 0; c < 6; c++) {
      const when = new Date(Date.UTC(2026, 10, 2 + c, 10)).toISOString();
      const q = `"How do I do ${TOPICS[c]}, please?"`;
      rows.push(`e${c}a,chat-${c},${when},${q},"Not sure, sorry.",v1,dislike`);
      rows.push(`e${c}b,chat-${c},${when},${q},"Not sure, sorry.",v1,regen`);
      rows.push(`e${c}c,chat-${c},${when},${q},"A full, worked answer about ${TOPICS[c]}.",v2,like`);
    }
    rows.push('e7,chat-7,yesterday-ish,"Q","A",v2,like');
    rows.push('e8,chat-8,2026-11-20T10:00:00Z,"Q","A",v2,shrug');
    await openScreen(page, 'Data');
    await page
      .locator('input[type="file"]')
      .first()
      .setInputFiles({ name: 'support-log.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
    const preview = page.getByRole('region', { name: 'Import preview' });
    await preview.getByLabel('Format').selectOption('feedback-custom');
    // Guessed from the names: question, answer, signal; the rest chosen by hand.
    await expect(preview.getByLabel('Event field Prompt', { exact: true }).inputValue()).resolves.toBe('question');
    await expect(preview.getByLabel('Event field Response', { exact: true }).inputValue()).resolves.toBe('answer');
    await expect(preview.getByLabel('Event field Action', { exact: true }).inputValue()).resolves.toBe('signal');
    await preview.getByLabel('Event field Model version', { exact: true }).selectOption('engine');
    await preview.getByLabel('Event field Conversation id', { exact: true }).selectOption('chat');
    await preview.getByLabel('Event field Timestamp', { exact: true }).selectOption('when');
    await preview.getByText(/in the first rows: dislike, regen, like\./).waitFor();
    await preview.getByLabel('Values meaning thumbs_up', { exact: true }).fill('like');
    await preview.getByLabel('Values meaning thumbs_down', { exact: true }).fill('dislike');
    await preview.getByLabel('Values meaning regenerate', { exact: true }).fill('regen');
    await expect(preview.getByRole('table').last().innerText()).resolves.toMatch(/regenerate\s+v1\s+Not sure, sorry\./);
    await expect(preview.getByRole('table').last().innerText()).resolves.toMatch(
      /thumbs_up\s+v2\s+A full, worked answer/,
    );
    await page.screenshot({ path: `${SHOTS}/feedback-7-mapped-preview.png`, fullPage: true });
    await preview.getByRole('button', { name: 'Import support-log.csv' }).click();
    await page.getByText('stored 6 pairs, 2 lines rejected').waitFor({ timeout: 30_000 });
    const rejects = await page.getByRole('table', { name: 'Rejected lines' }).innerText();
    expect(rejects).toMatch(/20\s+.*timestamp/);
    expect(rejects).toMatch(/21\s+.*unknown action "shrug"/);
    // The imported log is the dataset on show; its Feedback section is still open from the chat log's.
    await page.getByText(/^Feedback of support-log/).waitFor();
    const view = page.getByRole('region', { name: 'Feedback analysis' });
    if (!(await view.isVisible())) await page.getByText(/^Feedback of support-log/).click();
    await expect(view.innerText()).resolves.toMatch(/18 feedback events \(a log read through a field mapping;/);
    await expect(view.locator('table.wins').innerText()).resolves.toMatch(/v2\s+v1\s+6\s+100%/);
    await page.screenshot({ path: `${SHOTS}/feedback-8-mapped-analysis.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
