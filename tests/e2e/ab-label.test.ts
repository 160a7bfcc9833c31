// A/B labelling from two generation setups, in the built app, in Debian's Chromium, with the tiny Hub
// models of tests/fixtures/hub-models served from 127.0.0.1 as the Hub:
// - the Label screen generates one answer per prompt with setup A and with setup B (the tiny generator,
//   greedy, 6 and then 12 new tokens), downloads them as the regression file the Regression view reads,
//   and creates an A/B project; labels go in by clicking the side a user sees, and the A/B result says
//   how often A won, with its interval, from those clicks;
// - a quick head trained on those labels (the existing Train screen panel, the tiny embedder) ranks the
//   rest of the queue in the labelling worker: progress, then "Ranked by ...", and a second ranking
//   reads every embedding from the cache;
// - "Open in Regression" runs the same file in the Regression view with that model;
// - a setup B that cannot load leaves A's answers (downloadable, no project offered), and Cancel keeps
//   what finished. Screenshots at desktop and at 390 px.
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { wilsonShare } from '../../src/core/data/stats/math.ts';
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
  hub = await startHubServer(hubModelFixtures());
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  // The page's Hub address setting, as a user would set it, pointed at the local Hub.
  await context.addInitScript((url) => localStorage.setItem('rmlab.hubEndpoint', url), hub.url);
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

const PROMPTS = [
  'What is the capital of France?',
  'Name a prime number.',
  'How do I boil an egg?',
  'Write a haiku about rain.',
  'What is two plus two?',
  'Say hello in Spanish.',
  'Why is the sky blue?',
  'Suggest a name for a cat.',
];
const ab = () => page.locator('[data-ab-generation]');

async function setUp(which: 'A' | 'B', model: string, temperature: string, tokens: string) {
  await ab().getByLabel(`Setup ${which}: Generator`).fill(model);
  await ab().getByLabel(`Setup ${which}: Temperature`).fill(temperature);
  await ab().getByLabel(`Setup ${which}: Max new tokens`).fill(tokens);
}

async function openAB() {
  const setup = page.locator('details.setup');
  if (!(await setup.evaluate((d: HTMLDetailsElement) => d.open))) await setup.locator('summary').first().click();
  if (!(await ab().evaluate((d: HTMLDetailsElement) => d.open))) await ab().locator('summary').click();
}

/** The regression file downloaded from the A/B panel, as parsed lines. */
async function downloadAnswers(): Promise<{ prompt: string; responses: Record<string, string> }[]> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    ab().getByRole('button', { name: 'Download the regression file' }).click(),
  ]);
  const text = readFileSync((await download.path())!, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('an A/B labelling project from two generation setups', () => {
  let versions: [string, string];
  let answers: { prompt: string; responses: Record<string, string> }[];
  let distinct: number;

  it('generates both setups’ answers, downloads them as a regression file and makes the A/B project', async () => {
    await page.goto(inject('appUrl'));
    await openScreen(page, 'Label');
    await openAB();
    await page.getByLabel('Name', { exact: true }).fill('Tiny A/B');
    await ab().getByLabel('Prompts, one a line').fill(PROMPTS.join('\n'));
    await setUp('A', 'rmlab-test/tiny-generator', '0', '6');
    await setUp('B', 'rmlab-test/tiny-generator', '0', '12');
    await ab().getByRole('button', { name: 'Generate A and B answers' }).click();
    await ab().getByRole('progressbar').first().waitFor({ timeout: 60_000 });
    const outcome = ab().locator('[data-ab-outcome]');
    await outcome.waitFor({ timeout: 180_000 });
    await expect(outcome.innerText()).resolves.toBe('A answered 8 and B 8 of 8 prompts; 8 prompts have both answers.');
    await ab().screenshot({ path: `${SHOTS}/ab-1-generated.png` });

    answers = await downloadAnswers();
    expect(answers.map((a) => a.prompt)).toEqual(PROMPTS);
    versions = Object.keys(answers[0]!.responses) as [string, string];
    expect(versions).toEqual([
      'rmlab-test/tiny-generator (greedy, 6 tokens)',
      'rmlab-test/tiny-generator (greedy, 12 tokens)',
    ]);
    for (const a of answers) {
      expect(Object.keys(a.responses)).toEqual(versions);
      // greedy: B's 12 tokens start with A's 6
      expect(a.responses[versions[1]]!.startsWith(a.responses[versions[0]]!)).toBe(true);
    }
    // a prompt both setups answered alike has nothing to compare: the project lists it as rejected
    distinct = answers.filter((a) => a.responses[versions[0]] !== a.responses[versions[1]]).length;
    expect(distinct).toBeGreaterThanOrEqual(7);

    await ab().getByRole('button', { name: 'Create the A/B project' }).click();
    await page.getByText(new RegExp(`^Tiny A/B: ${distinct} items from 8 lines`)).waitFor();
    await expect(page.locator('[data-ab-result]').innerText()).resolves.toMatch(/No A\/B label yet/);
  });

  it('labels by the side shown and reports how often A won, with its interval', async () => {
    await page.getByLabel(/Your annotator id/).fill('ana');
    await page.getByRole('button', { name: 'Start labelling' }).click();
    const answerA = new Map(answers.map((a) => [a.prompt, a.responses[versions[0]]!]));
    // A's answer (the shorter) wins four times, B's once, one tie: 4.5 of 6
    const plan = ['A', 'A', 'B', 'A', 'tie', 'A'] as const;
    const sides: string[] = [];
    for (const want of plan) {
      const prompt = await page.getByTestId('prompt').innerText();
      const left = await page.getByTestId('response-left').innerText();
      const leftIsA = left === answerA.get(prompt);
      sides.push(leftIsA ? 'A left' : 'B left');
      const button = want === 'tie' ? 'Tie' : (want === 'A') === leftIsA ? 'A is better' : 'B is better';
      await page.getByRole('button', { name: new RegExp(`^${button}`) }).click();
      await page.getByText(/^Saved: /).waitFor();
    }
    // the sides were drawn, not fixed
    expect(new Set(sides).size).toBe(2);
    const result = page.locator('[data-ab-result]');
    const interval = wilsonShare(4.5, 6);
    const pct = (x: number) => `${Math.round(100 * x)}%`;
    await expect(result.innerText()).resolves.toContain(
      `Setup A won 75% of 6 comparisons (95% interval ${pct(interval.lower)} to ${pct(interval.upper)}; ties count half).`,
    );
    await expect(result.innerText()).resolves.toContain('A better 4 · B better 1 · ties 1');
    await expect(result.innerText()).resolves.toContain(versions[0]);
    await page
      .locator('section.panel[aria-labelledby="label-heading"]')
      .screenshot({ path: `${SHOTS}/ab-2-result.png` });
  });

  it('ranks the rest of the queue by a quick head trained on the labels, in the labelling worker', async () => {
    await page.getByRole('button', { name: 'Add labels to datasets' }).click();
    await openScreen(page, 'Data');
    await page
      .getByRole('table', { name: 'Datasets in this browser' })
      .getByRole('row', { name: /Labels: Tiny A\/B/ })
      .waitFor({ timeout: 60_000 });
    await openScreen(page, 'Train');
    const quick = page.locator('[data-quick-head]');
    await quick.locator('summary').click();
    await quick.getByLabel('Embedding model').fill('rmlab-test/tiny-embedder');
    await quick.getByLabel('Ensemble members').fill('3');
    await quick.getByLabel('Members differ by').selectOption('bootstrap');
    await quick.getByRole('button', { name: 'Train a quick head on Labels: Tiny A/B' }).click();
    await quick
      .locator('[data-quick-head-result], [role="alert"]')
      .first()
      .waitFor({ timeout: 400_000 })
      .catch(async (e) => {
        await page.screenshot({ path: `${SHOTS}/ab-quick-head-stuck.png`, fullPage: true });
        throw new Error(`the quick head did not finish: ${await quick.innerText()} / ${pageErrors.join('; ')}`, {
          cause: e,
        });
      });
    expect(await quick.locator('[role="alert"]').allInnerTexts()).toEqual([]);

    await openScreen(page, 'Label');
    const options = page.locator('details.options');
    if (!(await options.evaluate((d: HTMLDetailsElement) => d.open))) await options.locator('summary').click();
    await page.getByLabel(/^Order/).selectOption('uncertainty');
    const headChoice = page.getByLabel("Queue's model");
    const option = headChoice.locator('option', { hasText: /^Quick head: Labels: Tiny A\/B/ });
    await headChoice.selectOption(await option.getAttribute('value'));
    const status = page.locator('[data-queue-head-status]');
    await status.getByText(/^Ranked by Quick linear head \(3 members\)/).waitFor({ timeout: 120_000 });
    await expect(status.innerText()).resolves.toMatch(
      new RegExp(
        `${distinct} items embedded, 0 from the cache, in \\d+ ms; the items its members disagree on most come first\\.`,
      ),
    );
    await page.locator('details.options').screenshot({ path: `${SHOTS}/ab-3-queue-head.png` });
    // two items left, in the order the head's disagreement gives; ranking again reads the cache
    await page.getByText(`6 labelled, ${distinct - 6} to go`).waitFor();
    await status.getByRole('button', { name: 'Rank again' }).click();
    await status.getByText(`0 items embedded, ${distinct} from the cache`).waitFor({ timeout: 60_000 });

    // "Retrain": the existing quick-head trainer on the labels so far; the new head ranks the queue
    await status.getByRole('button', { name: 'Retrain the head on the 6 labels' }).click();
    await expect(headChoice.locator('option:checked').innerText({ timeout: 400_000 })).resolves.toMatch(
      /^Quick head: Labels: Tiny A\/B \(6\)/,
    );
    await status.getByText(`0 items embedded, ${distinct} from the cache`).waitFor({ timeout: 120_000 });
  }, 900_000);

  it('opens the same answers in the Regression view with that model', async () => {
    await openAB();
    await ab().getByRole('button', { name: 'Open in Regression' }).click();
    const playground = page.locator('section.playground');
    await playground.locator('[data-model-status]').getByText('loaded').waitFor({ timeout: 60_000 });
    await expect(playground.getByRole('tab', { name: 'Regression' }).getAttribute('aria-selected')).resolves.toBe(
      'true',
    );
    await playground.getByText(versions[1]).first().waitFor({ timeout: 120_000 });
    await expect(playground.innerText()).resolves.toContain(versions[0]);
    await playground.screenshot({ path: `${SHOTS}/ab-4-regression.png` });
  });

  it('keeps setup A’s answers when setup B cannot load, and what finished on Cancel', async () => {
    await openScreen(page, 'Label');
    await openAB();
    await ab().getByLabel('Prompts, one a line').fill(PROMPTS.slice(0, 3).join('\n'));
    await setUp('A', 'rmlab-test/tiny-generator', '0', '4');
    await setUp('B', 'rmlab-test/no-such-model', '0', '4');
    await ab().getByRole('button', { name: 'Generate A and B answers' }).click();
    await ab().getByRole('alert').waitFor({ timeout: 120_000 });
    await expect(ab().getByRole('alert').innerText()).resolves.toMatch(
      /^Setup B failed: the Hub has no public repository rmlab-test\/no-such-model/,
    );
    await expect(ab().locator('[data-ab-outcome]').innerText()).resolves.toBe(
      'Stopped: the finished answers are kept. A answered 3 and B 0 of 3 prompts; 0 prompts have both answers.',
    );
    await expect(
      ab()
        .getByRole('button', { name: /^Create the A\/B project/ })
        .isDisabled(),
    ).resolves.toBe(true);
    const partial = await downloadAnswers();
    expect(partial.map((a) => Object.keys(a.responses))).toEqual([
      [expect.stringContaining('4 tokens')],
      [expect.anything()],
      [expect.anything()],
    ]);

    // Cancel while A writes a long answer: the finished ones stay, the one cut short is not kept
    await setUp('A', 'rmlab-test/tiny-generator', '0.8', '2000');
    await setUp('B', 'rmlab-test/tiny-generator', '0', '4');
    await ab().getByRole('button', { name: 'Generate A and B answers' }).click();
    await ab().getByLabel('The answer being generated').waitFor({ timeout: 60_000 });
    await ab().screenshot({ path: `${SHOTS}/ab-5-generating.png` });
    await ab().getByRole('button', { name: 'Cancel generating' }).click();
    await expect(ab().locator('[data-ab-outcome]').innerText({ timeout: 60_000 })).resolves.toMatch(
      /^Stopped: the finished answers are kept\. A answered [0-2] and B 0 of 3 prompts; 0 prompts have both answers\.$/,
    );
    // the project made before is untouched
    await openScreen(page, 'Label');
    await expect(page.locator('[data-ab-result]').innerText()).resolves.toContain('Setup A won 75% of 6 comparisons');
    expect(pageErrors).toEqual([]);
  });

  it('fits a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('[data-ab-result]').scrollIntoViewIfNeeded();
    const overflow = await page.evaluate(() => document.scrollingElement!.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SHOTS}/ab-6-phone.png`, fullPage: true });
  });
});
