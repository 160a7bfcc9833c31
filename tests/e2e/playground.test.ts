// The reward model put to work in the built app: a tiny model trained on the demo data scores a
// response, compares two, ranks N candidates, batch-scores an uploaded JSONL file (the download
// holds the same rows with the same rewards the playground gives), and reports the demo data's
// model versions against each other. Each view is screenshotted.
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { trainTinyRun } from './tiny-run.ts';
import { openScreen } from './screens.ts';

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  ({ page } = await openPage(browser, { acceptDownloads: true, errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
});

const panel = () => page.locator('section.playground');
const tab = (name: string) => panel().getByRole('tab', { name, exact: true });
const field = (label: string) => panel().getByLabel(label, { exact: true });
/** The full-precision reward a view shows (the text is rounded to 4 places). */
const rewardIn = async (selector: string, nth = 0) =>
  Number(await panel().locator(selector).locator('[data-reward]').nth(nth).getAttribute('data-reward'));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const PROMPT = 'Rewrite the sentence to be more concise: I am writing to let you know that the meeting is moved.';
const GOOD = 'The meeting has moved.';
const BAD = 'no';

describe('playground and regression of model versions', () => {
  let scoreOfGood: number;

  it('says how to get a model before there is one', async () => {
    await page.goto(inject('appUrl'));
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs').waitFor({ timeout: 60_000 });
    await openScreen(page, 'Use');
    const empty = await panel().innerText();
    expect(empty).toMatch(/No reward model yet/);
    expect(empty).toMatch(/Train a run/);
    expect(empty).toMatch(/import a model file/);
    await panel().screenshot({ path: `${SHOTS}/playground-0-empty.png` });
  });

  it('loads the newest model once a tiny run has trained', async () => {
    await trainTinyRun(page, { steps: 10, heldOutPairs: 32 });
    await openScreen(page, 'Use');
    await panel().locator('[data-model-status]').getByText('loaded').waitFor({ timeout: 30_000 });
    await expect(panel().locator('[data-model-status]').innerText()).resolves.toMatch(/reads up to 32 tokens · wasm/);
    await expect(panel().getByLabel('Model').locator('option:checked').innerText()).resolves.toMatch(/PandaLM/);
  });

  it('scores one prompt and response', async () => {
    await field('Prompt').fill(PROMPT);
    await field('Response').fill(GOOD);
    await panel().getByRole('button', { name: 'Score', exact: true }).click();
    await panel().locator('[data-result="score"]').waitFor();
    scoreOfGood = await rewardIn('[data-result="score"]');
    expect(Number.isFinite(scoreOfGood)).toBe(true);
    await expect(panel().locator('[data-result="score"]').innerText()).resolves.toContain(scoreOfGood.toFixed(4));
    await panel().screenshot({ path: `${SHOTS}/playground-1-score.png` });
  });

  it('compares two responses: both rewards and P(A better) = sigmoid(r_A - r_B)', async () => {
    await tab('Compare').click();
    await field('Prompt').fill(PROMPT);
    await field('Response A').fill(GOOD);
    await field('Response B').fill(BAD);
    await panel().getByRole('button', { name: 'Compare', exact: true }).click();
    await panel().locator('[data-result="compare"]').waitFor();
    const a = await rewardIn('[data-result="compare"]', 0);
    const b = await rewardIn('[data-result="compare"]', 1);
    expect(a).toBeCloseTo(scoreOfGood, 5); // the same text scores the same in every view
    expect(a).not.toBe(b);
    const pA = Number(await panel().locator('[data-p-a]').getAttribute('data-p-a'));
    expect(pA).toBeCloseTo(sigmoid(a - b), 12);
    await expect(panel().locator('[data-p-a]').innerText()).resolves.toBe(`${(pA * 100).toFixed(1)}%`);
    await panel().screenshot({ path: `${SHOTS}/playground-2-compare.png` });
  });

  it('ranks N candidates best first, with a candidate added and one removed', async () => {
    await tab('Best-of-N').click();
    await field('Prompt').fill(PROMPT);
    const texts = [GOOD, BAD, 'The meeting is moved, I am writing to let you know.', 'Meeting moved.'];
    await panel().getByRole('button', { name: 'Add a candidate' }).click();
    await panel().getByRole('button', { name: 'Add a candidate' }).click();
    await panel().getByRole('button', { name: 'Remove candidate 5' }).click();
    for (const [i, t] of texts.entries()) await field(`Candidate ${i + 1}`).fill(t);
    await expect(panel().locator('.candidates textarea').count()).resolves.toBe(4);
    await panel().getByRole('button', { name: 'Rank 4 candidates' }).click();
    const table = panel().getByRole('table', { name: 'Candidates ranked by reward' });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(4);
    const rewards = await rows.evaluateAll((trs) =>
      trs.map((tr) => Number(tr.querySelector('[data-reward]')!.getAttribute('data-reward'))),
    );
    expect(rewards).toEqual([...rewards].sort((x, y) => y - x));
    // The good answer's reward is the one Score gave it.
    const goodRow = rows.filter({ hasText: `#1 ${GOOD}` });
    expect(Number(await goodRow.locator('[data-reward]').getAttribute('data-reward'))).toBeCloseTo(scoreOfGood, 5);
    // P(best) is the softmax of the rewards.
    const pBest = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[3]!.textContent!.trim()));
    const z = rewards.map((r) => Math.exp(r - rewards[0]!));
    const total = z.reduce((s, v) => s + v, 0);
    expect(pBest).toEqual(z.map((v) => `${((v / total) * 100).toFixed(1)}%`));
    await panel().screenshot({ path: `${SHOTS}/playground-3-best-of-n.png` });
  });

  it('batch-scores an uploaded JSONL: same rows back with rewards, the playground value for a row, bad lines named', async () => {
    await tab('Batch').click();
    const html = '<img src=x onerror="window.__pwned=1">';
    const rows: string[] = [];
    for (let i = 0; i < 400; i++) {
      if (i === 7) rows.push(JSON.stringify({ id: i, prompt: PROMPT, response: GOOD }));
      else if (i % 4 === 0)
        rows.push(
          JSON.stringify({
            id: i,
            prompt: `question ${i}`,
            responses: [`short ${i}`, `${html} a longer answer number ${i}`],
          }),
        );
      else
        rows.push(
          JSON.stringify({
            id: i,
            prompt: `question ${i} about the demo`,
            response: `answer ${i}`,
            extra: { keep: i },
          }),
        );
    }
    rows.splice(100, 0, '{"prompt": "cut off'); // line 101
    rows.splice(200, 0, JSON.stringify({ prompt: 'p' })); // line 201
    await panel()
      .locator('input[type="file"]')
      .setInputFiles({
        name: 'to-score.jsonl',
        mimeType: 'application/jsonl',
        buffer: Buffer.from(rows.join('\n') + '\n'),
      });
    await panel().getByRole('button', { name: 'Score to-score.jsonl' }).click();
    await panel().locator('[data-batch-summary]').waitFor({ timeout: 120_000 });
    await expect(panel().locator('[data-batch-summary]').innerText()).resolves.toMatch(
      /Scored 400 rows \(500 responses\).*2 lines rejected/,
    );
    const rejects = await panel().getByRole('table', { name: 'Rejected lines' }).innerText();
    expect(rejects).toMatch(/101\s+not valid JSON/);
    expect(rejects).toMatch(/201\s+"response" \(or "responses"\) is missing/);
    // Text from the file is shown as text.
    await expect(panel().getByRole('table', { name: 'Scored rows (first rows)' }).innerText()).resolves.toContain(html);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await panel().locator('[data-chart="histogram"] canvas').count()).toBeGreaterThan(0);
    await panel().screenshot({ path: `${SHOTS}/playground-4-batch.png` });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel().getByRole('button', { name: 'Download to-score.scored.jsonl' }).click(),
    ]);
    const out = (await readFile((await download.path())!, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(400);
    expect(out.map((r) => r.id)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    for (const [i, r] of out.entries()) {
      if (i % 4 === 0) {
        expect(r.rewards, `row ${i}`).toHaveLength(2);
        expect((r.rewards as number[]).every(Number.isFinite)).toBe(true);
      } else {
        expect(Number.isFinite(r.reward), `row ${i}`).toBe(true);
      }
    }
    expect(out[1]!.extra).toEqual({ keep: 1 });
    expect(out[7]).toMatchObject({ prompt: PROMPT, response: GOOD });
    expect(out[7]!.reward as number).toBeCloseTo(scoreOfGood, 5);
  });

  it("reports the demo data's model versions: mean rewards, win rates with intervals, per task type, most different prompts", async () => {
    await tab('Regression').click();
    await panel()
      .getByRole('button', { name: /^Compare the model versions of PandaLM/ })
      .click();
    await panel().locator('[data-regression-summary]').waitFor({ timeout: 120_000 });
    // PandaLM's 999 pairs: 170 prompts, each answered by some of 5 model versions.
    await expect(panel().locator('[data-regression-summary]').innerText()).resolves.toMatch(
      /170 prompts from the dataset "PandaLM[^"]*", \d+ responses scored, 5 versions/,
    );
    const means = panel().getByRole('img', { name: 'Mean reward per version (95% interval)' }).first();
    for (const v of ['llama-7b', 'bloom-7b', 'opt-7b', 'pythia-6.9b', 'cerebras-gpt-6.7B']) {
      await expect(means.innerHTML()).resolves.toContain(v);
    }
    const matrix = panel().getByRole('table', { name: /^All prompts: win rate/ });
    const cells = matrix.locator('[data-win-rate]');
    await expect(cells.count()).resolves.toBe(20);
    // x over y and y over x are two views of the same prompts: they add up to one.
    const rate = async (key: string) =>
      Number(await matrix.locator(`[data-win-rate="${key}"]`).getAttribute('data-rate'));
    const ab = await rate('llama-7b>bloom-7b');
    expect(ab).toBeGreaterThan(0);
    expect(ab).toBeLessThan(1);
    expect(ab + (await rate('bloom-7b>llama-7b'))).toBeCloseTo(1, 12);
    await expect(matrix.locator('[data-win-rate="llama-7b>bloom-7b"]').innerText()).resolves.toMatch(
      /\d+%\s+\d+%–\d+% · \d+/,
    );

    await panel().getByLabel('Per task type').selectOption({ label: 'Grammarly (8 prompts)' });
    await panel()
      .getByRole('table', { name: /^Task type “Grammarly” \(8 prompts\): win rate/ })
      .waitFor();

    const different = panel().locator('article.prompt');
    await expect(different.count()).resolves.toBe(5);
    const gaps = await different.evaluateAll((els) =>
      els.map((e) => Math.abs(Number(e.getAttribute('data-difference')))),
    );
    expect(gaps).toEqual([...gaps].sort((x, y) => y - x));
    await expect(different.first().locator('.side').count()).resolves.toBe(2);
    await panel().screenshot({ path: `${SHOTS}/regression-report.png` });
  });

  it('reads a regression file, shows its texts as text, and names its bad lines', async () => {
    const html = '<b>bold</b><img src=x onerror="window.__pwned=2">';
    const lines = [
      JSON.stringify({
        prompt: `Say hi ${html}`,
        task_type: 'greeting',
        responses: { v1: 'Hello there, friend!', v2: `hi ${html}` },
      }),
      JSON.stringify({ prompt: 'Name a colour.', model: 'v1', response: 'Blue.' }),
      JSON.stringify({ prompt: 'Name a colour.', model: 'v2', response: 'no' }),
      JSON.stringify({ prompt: 'Name a colour.', responses: ['a', 'b'] }),
    ];
    await panel()
      .getByLabel('or a file')
      .setInputFiles({
        name: 'versions.jsonl',
        mimeType: 'application/jsonl',
        buffer: Buffer.from(lines.join('\n')),
      });
    await expect
      .poll(() => panel().locator('[data-regression-summary]').innerText(), { timeout: 60_000 })
      .toMatch(/2 prompts from the file versions.jsonl, 4 responses scored, 2 versions \(1 line rejected\)/);
    await expect(panel().getByRole('table', { name: 'Rejected lines' }).innerText()).resolves.toMatch(
      /4\s+"responses" must be an object of responses by model version/,
    );
    await expect(panel().locator('article.prompt', { hasText: 'Say hi' }).innerText()).resolves.toContain(html);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });
});
