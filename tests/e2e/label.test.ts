// The labelling screen in the built app: a project from a candidates file, 20 items labelled by
// keyboard with a reload in the middle (nothing lost, the queue resumes), undo, the labels
// exported as RM Lab records with the side shown and the guideline version, and merged back into
// another browser's project (twice: the second time adds nothing). Screenshots at 1280 and 390 wide.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, type OpenedPage, SHOTS } from './browser.ts';
import { openScreen } from './screens.ts';

let browser: Browser;
let server: Server;
let origin: string;

// 20 pair rows without a winner, with text that must stay text, and one line that cannot be compared.
const rows = Array.from({ length: 20 }, (_, i) => ({
  prompt: `Question ${i}: is <b>this</b> & "that" fine?\n${'Some context. '.repeat(i === 3 ? 200 : 3)}`,
  response_a: `Answer A${i}: <i>yes</i>`,
  response_b: `Answer B${i}: no, because ${'reasons '.repeat(i)}`,
  model_a_version: 'v1',
  model_b_version: 'v2',
  task_type: i % 2 ? 'qa' : 'chat',
}));
const candidates =
  [...rows.map((r) => JSON.stringify(r)), JSON.stringify({ prompt: 'x', responses: { v1: 'only' } })].join('\n') + '\n';
const KEYS = ['1', '2', '3', '4'];
const KEY_CHOICE: Record<string, string> = { '1': 'left', '2': 'right', '3': 'tie', '4': 'both_bad' };

beforeAll(async () => {
  browser = await launchChromium();
  await writeFile(`${SHOTS}/candidates.jsonl`, candidates);
  // the candidates file on another origin, as a workshop would host it (CORS allowed)
  server = createServer((req, res) => {
    if (req.url !== '/candidates.jsonl') res.writeHead(404).end('not found');
    else res.writeHead(200, { 'Access-Control-Allow-Origin': '*' }).end(candidates);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function open(width: number): Promise<OpenedPage> {
  const opened = await openPage(browser, {
    viewport: { width, height: 900 },
    acceptDownloads: true,
    ...(width < 500 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  const { page } = opened;
  await page.goto(`${inject('appUrl')}#screen=label`);
  await page.getByRole('heading', { name: 'Label preferences' }).waitFor();
  return opened;
}

async function startProject(page: Page, annotator: string) {
  await page.getByLabel('Name', { exact: true }).fill('Workshop A');
  await page.getByLabel('Candidates file').setInputFiles(`${SHOTS}/candidates.jsonl`);
  await page.getByText('20 items from 21 lines, 1 line rejected').waitFor();
  await page.getByLabel(/Your annotator id/).fill(annotator);
  await page.getByRole('button', { name: 'Start labelling' }).click();
  await page.getByText('0 labelled, 20 to go').waitFor();
}

/** Presses a decision key and waits for it to be stored (the count moves on). */
async function label(page: Page, key: string, done: number, pressed: Map<string, string>) {
  const itemId = await page.getByRole('article', { name: 'Item to label' }).getAttribute('data-item-id');
  pressed.set(itemId!, KEY_CHOICE[key]!);
  await page.keyboard.press(key);
  await page.getByText(`${done} labelled, ${20 - done} to go`).waitFor();
}

describe('labelling', () => {
  let exported: string;

  it('labels 20 items by keyboard across a reload, and exports them as RM Lab records', async () => {
    const { context, page, errors } = await open(1280);
    await startProject(page, 'alice');
    // text is text: the prompt's tags are shown, not made
    await expect(page.getByTestId('prompt').innerText()).resolves.toContain('<b>this</b>');
    await expect(page.locator('main b, main i').count()).resolves.toBe(0);
    await page.getByRole('region', { name: 'Label preferences' }).screenshot({ path: `${SHOTS}/label-1280.png` });

    // a key typed while another panel has the focus labels nothing
    await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: 'Train', exact: true }).focus();
    await page.keyboard.press('1');
    await page.getByLabel('Comment (optional, saved with the label)').fill('typing 1 2 3 here labels nothing');
    await page.getByLabel('Comment (optional, saved with the label)').fill('');
    await expect(page.getByText('0 labelled, 20 to go').count()).resolves.toBe(1);
    await page.getByRole('heading', { name: 'Label preferences' }).click();

    const pressed = new Map<string, string>();
    for (let i = 0; i < 10; i++) await label(page, KEYS[i % 4]!, i + 1, pressed);
    // undo takes the last label back, out of the store too; its item is shown again
    const last = [...pressed.keys()].at(-1)!;
    await page.keyboard.press('u');
    await page.getByText('9 labelled, 11 to go').waitFor();
    await expect(page.getByRole('article', { name: 'Item to label' }).getAttribute('data-item-id')).resolves.toBe(last);
    pressed.delete(last);
    await label(page, '2', 10, pressed);

    await page.reload();
    await page.getByText('10 labelled, 10 to go').waitFor();
    // skip puts the item at the end of the queue
    const skipped = await page.getByRole('article', { name: 'Item to label' }).getAttribute('data-item-id');
    await page.keyboard.press('s');
    await expect
      .poll(() => page.getByRole('article', { name: 'Item to label' }).getAttribute('data-item-id'))
      .not.toBe(skipped);
    for (let i = 10; i < 20; i++) await label(page, KEYS[i % 4]!, i + 1, pressed);
    await page.getByText('Nothing left for you to label in this project').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export my labels' }).click(),
    ]);
    exported = await readFile((await download.path())!, 'utf8');
    const records = exported
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(20);
    const byPrompt = new Map(rows.map((r) => [r.prompt, r]));
    for (const r of records) {
      const row = byPrompt.get(r.prompt)!;
      expect([r.response_a, r.response_b, r.model_a_version, r.task_type]).toEqual([
        row.response_a,
        row.response_b,
        'v1',
        row.task_type,
      ]);
      expect(r.annotator_id).toBe('alice');
      expect(r.guideline_version).toBe(1);
      expect(r.time_taken_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.timestamp)).not.toBeNaN();
      // the winner is the key pressed, turned from the side shown into the canonical order
      const choice = pressed.get(r.item_id);
      const left = r.shown_left;
      const want =
        choice === 'left' ? left : choice === 'right' ? (left === 'response_a' ? 'response_b' : 'response_a') : choice;
      expect(r.winner).toBe(want);
    }
    await writeFile(`${SHOTS}/alice.labels.jsonl`, exported);

    await page.getByText('Queue and annotators').click();
    await expect(page.getByRole('table', { name: 'Annotators' }).innerText()).resolves.toMatch(/alice\s+20\s/);
    await page.getByRole('region', { name: 'Label preferences' }).screenshot({ path: `${SHOTS}/label-1280-done.png` });

    // the labels are an ordinary dataset too
    await page.getByRole('button', { name: 'Add labels to datasets' }).click();
    await openScreen(page, 'Data');
    await page
      .getByRole('table', { name: 'Datasets in this browser' })
      .getByRole('row', { name: /Labels: Workshop A/ })
      .waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('merges an annotator’s labels file into another browser’s project, once', async () => {
    const { context, page, errors } = await open(1280);
    await startProject(page, 'bob');
    await page.getByLabel('Merge label files').setInputFiles(`${SHOTS}/alice.labels.jsonl`);
    await page.getByText('alice.labels.jsonl: 20 labels merged (0 new items), 0 already in the project').waitFor();
    await page.getByText('20 labels so far').waitFor();
    await page.getByLabel('Merge label files').setInputFiles(`${SHOTS}/alice.labels.jsonl`);
    await page.getByText('alice.labels.jsonl: 0 labels merged (0 new items), 20 already in the project').waitFor();
    // bob is offered only the items picked for a second annotator
    await page.getByText(/0 labelled, \d+ to go/).waitFor();
    const remaining = Number((await page.getByText(/0 labelled, \d+ to go/).innerText()).match(/(\d+) to go/)![1]);
    expect(remaining).toBeLessThan(20);
    await page.getByText('Queue and annotators').click();
    await expect(page.getByRole('table', { name: 'Annotators' }).innerText()).resolves.toContain('alice');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('versions the guidelines, refits the uncertainty queue every 10 labels, and carries the task in a workshop link', async () => {
    const { context, page, errors } = await open(1280);
    await startProject(page, 'dana');
    await page.getByRole('button', { name: 'Edit guidelines' }).click();
    await page.getByLabel('What "better" means here').fill('Prefer the answer that says <no> plainly.');
    await page.getByRole('button', { name: 'Add example' }).click();
    await page.getByLabel('Prompt', { exact: true }).fill('Is 2 > 3?');
    await page.getByLabel('Better response').fill('No.');
    await page.getByLabel('Worse response').fill('Yes, <b>clearly</b>.');
    await page.getByLabel('Why').fill('correct and short');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByText('version 2').waitFor();
    await expect(page.getByText('Prefer the answer that says <no> plainly.').count()).resolves.toBe(1);
    const [guidelinesFile] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export guidelines' }).click(),
    ]);
    const history = JSON.parse(await readFile((await guidelinesFile.path())!, 'utf8'));
    expect(history.guidelines.map((g: { version: number }) => g.version)).toEqual([1, 2]);
    expect(history.guidelines[1].examples).toEqual([
      { prompt: 'Is 2 > 3?', better: 'No.', worse: 'Yes, <b>clearly</b>.', why: 'correct and short' },
    ]);

    await page.getByText('Queue and annotators').click();
    await page.getByLabel('Order').selectOption('uncertainty');
    await page.getByText(/fitted after the first 10 labels|Model refitted on 0 labels/).waitFor();
    const pressed = new Map<string, string>();
    for (let i = 0; i < 10; i++) await label(page, i % 2 ? '1' : '2', i + 1, pressed);
    await page.getByText(/Model refitted on 10 labels in \d+ ms/).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export my labels' }).click(),
    ]);
    const records = (await readFile((await download.path())!, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.guideline_version)).toEqual(Array(10).fill(2));

    await page.getByRole('button', { name: 'Workshop link' }).click();
    const link = await page.getByLabel('Workshop link', { exact: true }).inputValue();
    expect(link).toMatch(/#label-task=[\w-]+$/);
    // a link that names the candidates file by its address instead
    await page.getByLabel(/Candidates file address/).fill(`${origin}/candidates.jsonl`);
    await page.getByRole('button', { name: 'Workshop link' }).click();
    await expect.poll(() => page.getByLabel('Workshop link', { exact: true }).inputValue()).not.toBe(link);
    const byUrl = await page.getByLabel('Workshop link', { exact: true }).inputValue();
    expect(byUrl.length).toBeLessThan(link.length);
    expect(errors).toEqual([]);
    await context.close();

    // a participant opens the link in their own browser: the same items, options and guidelines
    const {
      context: other,
      page: participant,
      errors: participantErrors,
    } = await openPage(browser, { acceptDownloads: true });
    await participant.goto(link);
    await participant.getByText('Workshop A: 20 items from 20 lines').waitFor();
    await expect(participant.getByText('Prefer the answer that says <no> plainly.').count()).resolves.toBe(1);
    await participant.getByText('version 2').waitFor();
    await expect(participant.locator('role=alert').count()).resolves.toBe(0);
    await participant.getByLabel(/Your annotator id/).fill('erin');
    await participant.getByRole('button', { name: 'Start labelling' }).click();
    await participant.getByText('0 labelled, 20 to go').waitFor();
    await participant.keyboard.press('3');
    await participant.getByText('1 labelled, 19 to go').waitFor();
    await participant
      .getByRole('region', { name: 'Label preferences' })
      .screenshot({ path: `${SHOTS}/label-workshop.png` });
    expect(participantErrors).toEqual([]);
    await other.close();

    const third = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const byUrlPage = await third.newPage();
    await byUrlPage.goto(byUrl);
    await byUrlPage.getByText('Workshop A: 20 items from 21 lines, 1 line rejected').waitFor();
    await byUrlPage.getByText('version 2').waitFor();
    await third.close();
  });

  it('stacks the responses on a phone, without sideways scrolling', async () => {
    const { context, page, errors } = await open(390);
    await startProject(page, 'carol');
    const left = await page.getByTestId('response-left').boundingBox();
    const right = await page.getByTestId('response-right').boundingBox();
    expect(right!.y).toBeGreaterThan(left!.y + left!.height - 1);
    const overflow = await page.evaluate(() => document.scrollingElement!.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(390);
    await page.getByRole('region', { name: 'Label preferences' }).screenshot({ path: `${SHOTS}/label-390.png` });
    await page.getByRole('button', { name: 'A is better' }).tap();
    await page.getByText('1 labelled, 19 to go').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
