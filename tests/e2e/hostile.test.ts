// Hostile files and stalled links in the built app (issue 13): a dataset link to a server that
// stalls can be cancelled, and "Try again" then imports it; a model link that stalls can be
// cancelled from the Models screen and tried again from the link's message; a crafted model file
// is refused with a message naming the file and the tensor; a hostile JSONL file imports its good
// lines and lists the deep records as rejected. Screenshots of each message: test-results/e2e/hostile-*.png.
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeModelFile } from '../../src/core/model/model-file.ts';
import { RewardModel, modelSpecFor } from '../../src/core/model/reward-model.ts';
import { readSafetensors, writeSafetensors } from '../../src/core/model/safetensors.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { launchChromium, openPage, type OpenedPage, SHOTS } from './browser.ts';
import { startStallServer, type StallServer } from '../stall-server.ts';

let browser: Browser;
let server: StallServer;
let dir: string;

const jsonl = Array.from({ length: 6 }, (_, i) =>
  JSON.stringify({ prompt: `q${i}`, response_a: `a${i}`, response_b: `b${i}`, winner: 'response_a' }),
).join('\n');

async function modelFile(vocabSize = builtinTokenizer().vocabSize): Promise<Uint8Array> {
  await tf.setBackend('cpu');
  const spec = modelSpecFor({ maxLength: 16, dModel: 8, nLayers: 1, nHeads: 2, pooling: 'cls' }, vocabSize);
  const model = RewardModel.create(spec, 3);
  const weights = await model.getWeights();
  model.dispose();
  return encodeModelFile({ spec, weights, meta: { name: 'stalled model', createdAt: '2026-12-06T00:00:00Z' } });
}

beforeAll(async () => {
  const model = await modelFile();
  server = await startStallServer(100, {
    'pairs.jsonl': new TextEncoder().encode(jsonl),
    'rm.rmlab.safetensors': model,
  });
  dir = await mkdtemp(join(tmpdir(), 'rmlab-hostile-'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(hash = ''): Promise<OpenedPage> {
  const opened = await openPage(browser);
  await opened.page.goto(`${inject('appUrl')}${hash ? `#${hash}` : ''}`);
  return opened;
}

describe('stalled links can be cancelled and tried again', () => {
  it('a dataset link that stalls: Cancel import, then Try again imports it', async () => {
    const url = `${server.url}/flaky/pairs.jsonl`;
    const { context, page, errors } = await open(`dataset-url=${encodeURIComponent(url)}`);
    // Cancelled once the server has the request and sent its first byte (then it sends nothing).
    await expect.poll(() => server.requests.includes('/flaky/pairs.jsonl'), { timeout: 60_000 }).toBe(true);
    await page.getByRole('button', { name: 'Cancel import' }).click();
    await page.getByText('import cancelled: nothing was stored').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${SHOTS}/hostile-1-dataset-cancelled.png`, fullPage: true });
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByText('stored 6 pairs, no line rejected').waitFor({ timeout: 30_000 });
    // The retry reached the server again (not held behind the stalled request in the browser's cache).
    expect(server.requests.filter((p) => p === '/flaky/pairs.jsonl')).toHaveLength(2);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a model link that stalls: Cancel download, then Try again from the link message stores it', async () => {
    const url = `${server.url}/flaky/rm.rmlab.safetensors`;
    const { context, page, errors } = await open(`model-url=${encodeURIComponent(url)}&screen=models`);
    await expect.poll(() => server.requests.includes('/flaky/rm.rmlab.safetensors'), { timeout: 60_000 }).toBe(true);
    await page.getByRole('button', { name: 'Cancel download' }).click();
    await page.getByText("This link's data could not be loaded: the download of the model was cancelled").waitFor();
    await page.screenshot({ path: `${SHOTS}/hostile-2-model-cancelled.png`, fullPage: true });
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => page.locator('table.models tbody tr').count(), { timeout: 30_000 }).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('hostile files', () => {
  it('a crafted model file is refused with the file, the tensor and what was expected', async () => {
    const path = join(dir, 'crafted.rmlab.safetensors');
    await writeFile(path, craftedFile(await modelFile()));
    const { context, page, errors } = await open('screen=models');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import a model file…' }).click();
    await (await chooser).setFiles(path);
    await page
      .getByText(
        /The model was not imported: crafted\.rmlab\.safetensors: tensor embeddings\.word has shape \[\d+,8\], the spec needs \[1000000,8\]/,
      )
      .waitFor({ timeout: 30_000 });
    await page.getByText(/The model was not imported/).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/hostile-3-crafted-model.png` });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a hostile JSONL file stores its good lines and lists the deep and invisible ones by line', async () => {
    const deep = `${'['.repeat(3000)}0${']'.repeat(3000)}`;
    const lines = [
      JSON.stringify({ prompt: 'p', response_a: 'a', response_b: 'b', winner: 'response_a' }),
      `{"prompt": "p2", "response_a": "a", "response_b": "b", "winner": "response_b", "extra": ${deep}}`,
      '\u00a0',
      `\ufeff${JSON.stringify({ prompt: 'p3', response_a: 'a', response_b: 'b', winner: 'tie' })}`,
      JSON.stringify({ prompt: 'p4 \u001b[2J', response_a: 'a', response_b: 'b', winner: 'tie' }),
    ];
    const path = join(dir, 'hostile.jsonl');
    await writeFile(path, lines.join('\n'));
    const { context, page, errors } = await open();
    await page.getByLabel('Import a file of your own').setInputFiles(path);
    await page.getByRole('button', { name: 'Import hostile.jsonl' }).click();
    await page.getByText(/stored 2 pairs, 3 lines rejected/).waitFor({ timeout: 30_000 });
    await page
      .getByText(/nested more than 100 levels deep/)
      .first()
      .waitFor();
    await page
      .getByText(/U\+00A0, whitespace JSON does not allow/)
      .first()
      .waitFor();
    await page
      .getByText(/U\+FEFF/)
      .first()
      .waitFor();
    await page.screenshot({ path: `${SHOTS}/hostile-4-import.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });
});

/** The model file with its spec claiming a million-word vocabulary its tensors do not hold. */
function craftedFile(bytes: Uint8Array): Uint8Array {
  const file = readSafetensors(bytes);
  const spec = JSON.parse(file.metadata.spec!);
  spec.transformer.vocabSize = 1_000_000;
  return writeSafetensors(
    [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })),
    { ...file.metadata, spec: JSON.stringify(spec) },
  );
}
