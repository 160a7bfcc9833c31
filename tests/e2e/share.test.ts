// Links that reproduce a demo, in the built app: a link with a small dataset inside it and a few
// options, opened in a fresh browser, restores the same pairs and the same form; the app's own
// "Link" button makes such a link; a dataset and a model by URL come from a server on 127.0.0.1
// (another origin, as on the web), with plain errors for a server without CORS and a missing file.
import { openScreen } from './screens.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeModelFile } from '../../src/core/model/model-file.ts';
import { RewardModel, type BuiltinModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { compressDataset } from '../../src/core/share/inline-dataset.ts';
import { launchChromium, openPage, type OpenedPage, SHOTS } from './browser.ts';

let browser: Browser;
let server: Server;
let origin: string;
const served = new Map<string, { body: Uint8Array; cors: boolean }>();

/** The user's small dataset, in RM Lab's own record, with text that must stay text. */
const records = Array.from({ length: 12 }, (_, i) => ({
  prompt: `Question ${i}: is <b>this</b> & that "fine"?`,
  response_a: `Answer A${i} ünïcödé`,
  response_b: `Answer B${i}`,
  winner: i % 4 === 3 ? 'tie' : i % 2 ? 'response_a' : 'response_b',
  task_type: i % 3 ? 'qa' : 'chat',
}));
const jsonl = records.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function modelFile(): Promise<Uint8Array> {
  await tf.setBackend('cpu');
  const spec: BuiltinModelSpec = {
    encoder: 'builtin-transformer',
    tokenizer: 'builtin',
    transformer: {
      vocabSize: builtinTokenizer().vocabSize,
      maxLength: 32,
      dModel: 8,
      nLayers: 1,
      nHeads: 2,
      dFF: 32,
      pooling: 'cls',
    },
  };
  const model = RewardModel.create(spec, 3);
  const weights = await model.getWeights();
  model.dispose();
  return encodeModelFile({ spec, weights, meta: { name: 'model from a link', createdAt: '2026-01-01T00:00:00Z' } });
}

beforeAll(async () => {
  served.set('/pairs.jsonl', { body: new TextEncoder().encode(jsonl), cors: true });
  served.set('/no-cors.jsonl', { body: new TextEncoder().encode(jsonl), cors: false });
  served.set('/rm.rmlab.safetensors', { body: await modelFile(), cors: true });
  server = createServer((req, res) => {
    const file = served.get(new URL(req.url ?? '/', 'http://x').pathname);
    const headers: Record<string, string> = file?.cors === false ? {} : { 'Access-Control-Allow-Origin': '*' };
    if (!file) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(file.body.byteLength) }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** A fresh browser profile (its own IndexedDB) on a link. */
async function open(hash: string): Promise<OpenedPage> {
  const opened = await openPage(browser, { acceptDownloads: true });
  await opened.page.goto(`${inject('appUrl')}#${hash}`);
  return opened;
}

const datasetRow = (page: Page, name: RegExp) =>
  page.getByRole('table', { name: 'Datasets in this browser' }).getByRole('row', { name });

/** The dataset's pairs as RM Lab JSONL, through the app's own export. */
async function exportedPairs(page: Page, name: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: `Export ${name} as RM Lab JSONL` }).click(),
  ]);
  return readFile((await download.path())!, 'utf8');
}

describe('links that reproduce a demo', () => {
  let sharedLink: string;

  it('a link with an inline dataset and options restores the same pairs and form in a fresh browser', async () => {
    const payload = await compressDataset(jsonl);
    const { context, page, errors } = await open(
      `screen=train&dModel=32&nHeads=2&learningRate=0.002&splitSeed=9&dataset-inline=${payload}`,
    );
    // It opens on the screen it names, with the form it names.
    await expect(page.getByRole('heading', { name: 'Train a reward model' }).isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Model width', { exact: true }).inputValue()).resolves.toBe('32');
    await expect(page.getByLabel('Learning rate', { exact: true }).inputValue()).resolves.toBe('0.002');
    await expect(page.getByLabel('Split seed', { exact: true }).inputValue()).resolves.toBe('9');
    // The page's own link still carries the data and the screen, once the data is in.
    await expect
      .poll(() => page.getByLabel('Link to this setup').inputValue(), { timeout: 60_000 })
      .toContain('dataset-inline=');
    const own = new URL(await page.getByLabel('Link to this setup').inputValue());
    expect(own.hash).toBe(`#screen=train&dModel=32&nHeads=2&splitSeed=9&learningRate=0.002&dataset-inline=${payload}`);
    await openScreen(page, 'Data');
    await page.getByText('stored 12 pairs, no line rejected').waitFor({ timeout: 60_000 });
    await expect(datasetRow(page, /Dataset from a link/).innerText()).resolves.toMatch(/12\s+3 \/ 6 \/ 3 \/ 0/);
    // Every field of every record came through, as text.
    const back = (await exportedPairs(page, 'Dataset from a link'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(back.map((r) => [r.prompt, r.response_a, r.response_b, r.winner, r.task_type])).toEqual(
      records.map((r) => [r.prompt, r.response_a, r.response_b, r.winner, r.task_type]),
    );
    await expect(page.locator('main b').count()).resolves.toBe(0);
    // Reloading does not import it twice.
    await page.reload();
    await datasetRow(page, /Dataset from a link/).waitFor();
    await expect(page.getByRole('table', { name: 'Datasets in this browser' }).getByRole('row').count()).resolves.toBe(
      2,
    );

    // The dataset table's "Link" makes such a link from the data in this browser.
    await page.getByRole('button', { name: 'Copy link with Dataset from a link' }).click();
    sharedLink = await page.getByRole('textbox', { name: 'Shareable link with Dataset from a link' }).inputValue();
    expect(sharedLink).toMatch(/#screen=data&dModel=32&.*&dataset-inline=[\w-]+$/);
    await page.screenshot({ path: `${SHOTS}/share-1-inline.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the link the app made opens the same dataset and setup elsewhere', async () => {
    const { context, page, errors } = await open(new URL(sharedLink).hash.slice(1));
    await page.getByText('stored 12 pairs, no line rejected').waitFor({ timeout: 60_000 });
    await openScreen(page, 'Train');
    await expect(page.getByLabel('Attention heads', { exact: true }).inputValue()).resolves.toBe('2');
    await openScreen(page, 'Data');
    const pairs = await exportedPairs(page, 'Dataset from a link');
    expect(pairs.trim().split('\n')).toHaveLength(12);
    expect(JSON.parse(pairs.split('\n')[0]!)).toMatchObject({ prompt: records[0]!.prompt, winner: 'response_b' });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a dataset by URL loads from another origin that allows it', async () => {
    const url = `${origin}/pairs.jsonl`;
    const { context, page, errors } = await open(`dataset-url=${encodeURIComponent(url)}&epochs=2`);
    await page.getByText('stored 12 pairs, no line rejected').waitFor({ timeout: 60_000 });
    await expect(datasetRow(page, /pairs\.jsonl/).innerText()).resolves.toMatch(/12\s+3 \/ 6 \/ 3 \/ 0/);
    expect(new URL(page.url()).hash).toBe(`#dataset-url=${encodeURIComponent(url)}&epochs=2`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says plainly when the server does not allow it (CORS) or has no such file', async () => {
    const blocked = await open(`dataset-url=${encodeURIComponent(`${origin}/no-cors.jsonl`)}`);
    await blocked.page.getByText(/does not let other sites read the file \(CORS\)/).waitFor({ timeout: 30_000 });
    await blocked.context.close();
    const missing = await open(`dataset-url=${encodeURIComponent(`${origin}/gone.jsonl`)}`);
    await missing.page.getByText(/there is no file at that address \(HTTP 404\)/).waitFor({ timeout: 30_000 });
    await missing.context.close();
    const wrong = await open('dataset-url=file%3A%2F%2F%2Fetc%2Fpasswd');
    await expect(wrong.page.getByRole('alert').first().innerText()).resolves.toMatch(
      /the dataset address must start with https:\/\/ or http:\/\//,
    );
    await wrong.context.close();
  });

  it('a model by URL is downloaded and stored as a model card, once', async () => {
    const url = `${origin}/rm.rmlab.safetensors`;
    const { context, page, errors } = await open(`model-url=${encodeURIComponent(url)}&screen=models`);
    const rows = page.locator('table.models tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(1);
    // The link's screen is the one on show, and the navigation says so.
    await expect(page.locator('#models-heading').isVisible()).resolves.toBe(true);
    await expect(
      page
        .getByRole('navigation', { name: 'Steps' })
        .getByRole('button', { name: 'Models' })
        .getAttribute('aria-current'),
    ).resolves.toBe('page');
    await expect(rows.first().innerText()).resolves.toMatch(
      /model from a link\s+rename\s+imported\s+built-in transformer, 1 × 8/,
    );
    await page.reload();
    await page.locator('table.models').waitFor();
    await page.waitForTimeout(500); // a second import would have started by now; none must
    await expect(rows.count()).resolves.toBe(1);
    await page.screenshot({ path: `${SHOTS}/share-2-model-url.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });
});
