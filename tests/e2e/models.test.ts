// Take the model away and bring it back: a model trained in the built app is exported as a file,
// imported again as a new model, and both give bit-identical rewards on the same held-out pairs.
// Wrong files are refused in plain words and leave the stored models as they were.
import { readFile } from 'node:fs/promises';
import { strFromU8, unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bertEncoderWeights, readBertConfig } from '../../src/core/model/hf-checkpoint.ts';
import { encodeModelFile } from '../../src/core/model/model-file.ts';
import type { BertModelSpec } from '../../src/core/model/reward-model.ts';
import { readSafetensors, writeSafetensors } from '../../src/core/model/safetensors.ts';
import { tinyBertFolder, TINY_VOCAB } from '../tiny-bert.ts';
import { launchChromium, openPage, SHOTS } from './browser.ts';
import { trainTinyRun } from './tiny-run.ts';
import { openScreen, setTrainField } from './screens.ts';

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  // Dialogs accepted: "Delete the imported model ...?"
  ({ page } = await openPage(browser, { acceptDownloads: true, dialogs: 'accept', errors: pageErrors }));
});

afterAll(async () => {
  await browser?.close();
});

const modelRows = () => page.locator('table.models tbody tr');

/** Clicks a button and returns the file it downloads. */
async function download(click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: d.suggestedFilename(), bytes: await readFile((await d.path())!) };
}

/** Picks a file in the Models panel's "Import a model file…" chooser. */
async function importModelFile(name: string, buffer: Buffer) {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByRole('button', { name: 'Import a model file…' }).click(),
  ]);
  await chooser.setFiles({ name, mimeType: 'application/octet-stream', buffer });
}

/** A tiny BERT reward model as an RM Lab model file, with the HF tensors it was made from. */
function tinyBertModelFile(pooling: 'cls' | 'mean', name: string, lora?: BertModelSpec['lora']) {
  const folder = tinyBertFolder({ hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 });
  const text = (file: string) => JSON.parse(new TextDecoder().decode(folder.get(file)!));
  const bert = readBertConfig(text('config.json'), {
    sepTokenId: TINY_VOCAB.indexOf('[SEP]'),
    padTokenId: TINY_VOCAB.indexOf('[PAD]'),
  });
  const spec: BertModelSpec = {
    encoder: 'bert',
    tokenizer: 'embedded',
    bert,
    pooling,
    source: 'tiny/bert',
    ...(lora ? { lora } : {}),
  };
  const original = readSafetensors(folder.get('model.safetensors')!).tensors;
  const { weights } = bertEncoderWeights(spec, original);
  const head = [
    { name: 'head.weight', shape: [16, 1], data: Float32Array.from({ length: 16 }, (_, i) => i / 16 - 0.5) },
    { name: 'head.bias', shape: [1], data: new Float32Array([0.5]) },
  ];
  // LoRA's A and B on query and value (16 -> 16, rank 2), B nonzero as after training.
  const adapters = lora
    ? ['query', 'value'].flatMap((p) => [
        {
          name: `layers.0.attn.${p}.lora_A`,
          shape: [16, 2],
          data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) / 4),
        },
        {
          name: `layers.0.attn.${p}.lora_B`,
          shape: [2, 16],
          data: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i) / 4),
        },
      ])
    : [];
  const bytes = encodeModelFile({
    spec,
    weights: [...weights, ...adapters, ...head],
    tokenizer: { json: text('tokenizer.json'), config: text('tokenizer_config.json') },
    meta: { name, createdAt: '2026-01-01T00:00:00Z' },
  });
  return { bytes: Buffer.from(bytes), original };
}

describe('models: export, import, identical scores', () => {
  let exported: { name: string; bytes: Buffer };

  it('trains a tiny model, which appears in the model list', async () => {
    await page.goto(inject('appUrl'));
    await page.getByRole('button', { name: 'Load demo dataset' }).click();
    await page.getByText('stored 999 pairs').waitFor({ timeout: 60_000 });
    await trainTinyRun(page, { steps: 10, heldOutPairs: 32 });
    await openScreen(page, 'Models');
    await expect.poll(() => modelRows().count()).toBe(1);
    const row = await modelRows().first().innerText();
    expect(row).toMatch(/trained here/);
    expect(row).toMatch(/built-in transformer, 1 × 16/);
    expect(row).toMatch(/PandaLM/);
  });

  it('exports the model as one .rmlab.safetensors file', async () => {
    exported = await download(() =>
      modelRows()
        .first()
        .getByRole('button', { name: /^Export / })
        .click(),
    );
    expect(exported.name).toMatch(/\.rmlab\.safetensors$/);
    // A safetensors file: 8 bytes of header length, then a JSON header naming RM Lab's format.
    const headerLength = Number(exported.bytes.readBigUInt64LE(0));
    const header = JSON.parse(exported.bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(header.__metadata__.format).toBe('rm-lab/reward-model');
    expect(header['head.weight'].shape).toEqual([16, 1]);
  });

  it('imports the file as a second model, and both give bit-identical held-out rewards', async () => {
    await importModelFile(exported.name, exported.bytes);
    await page.getByText(/^Imported ".*" as a new model\.$/).waitFor({ timeout: 30_000 });
    await expect.poll(() => modelRows().count()).toBe(2);
    // Newest first: the imported one on top.
    await expect(modelRows().nth(0).innerText()).resolves.toMatch(/imported/);
    await expect(modelRows().nth(1).innerText()).resolves.toMatch(/trained here/);

    const scores = async (row: number) => {
      const file = await download(() =>
        modelRows()
          .nth(row)
          .getByRole('button', { name: /^Score held-out pairs with / })
          .click(),
      );
      return file.bytes.toString('utf8');
    };
    const imported = await scores(0);
    const trained = await scores(1);
    const rows = trained
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(20);
    expect(Number.isFinite(rows[0].reward_chosen)).toBe(true);
    // Not all equal: the rewards are a trained model's, so the comparison below means something.
    expect(new Set(rows.flatMap((r) => [r.reward_chosen, r.reward_rejected])).size).toBeGreaterThan(10);
    // JSON keeps every digit of a float: equal text is equal bits.
    expect(imported).toBe(trained);
    await page.screenshot({ path: `${SHOTS}/models-1-imported.png`, fullPage: true });
  });

  it('refuses a plain safetensors checkpoint, a newer format and a non-model file, storing nothing', async () => {
    const plain = writeSafetensors([
      { name: 'bert.embeddings.word_embeddings.weight', shape: [2, 2], data: new Float32Array(4) },
    ]);
    await importModelFile('model.safetensors', Buffer.from(plain));
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(
      /model\.safetensors is a safetensors file but not an RM Lab model.*as the encoder instead/,
    );
    const newer = Buffer.from(exported.bytes);
    const at = newer.indexOf('"version":"1"');
    expect(at).toBeGreaterThan(0);
    newer.write('"version":"9"', at);
    await importModelFile('newer.rmlab.safetensors', newer);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/format version 9; this app reads version 1/);
    await importModelFile('notes.txt', Buffer.from('not a model'));
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/notes\.txt/);
    await expect(modelRows().count()).resolves.toBe(2);
  });

  it('continues the run on TRL: a zip with the script, its config and the run’s split', async () => {
    const zip = await download(() =>
      modelRows()
        .nth(1)
        .getByRole('button', { name: /^Train bigger \(TRL\): / })
        .click(),
    );
    expect(zip.name).toMatch(/\.trl-reward\.zip$/);
    const files = unzipSync(new Uint8Array(zip.bytes));
    expect(Object.keys(files).sort()).toEqual(
      ['README.txt', 'data/test.jsonl', 'data/train.jsonl', 'reward_config.json', 'train_reward_model.py'].sort(),
    );
    const settings = JSON.parse(strFromU8(files['reward_config.json']!));
    expect(settings.reward_config).toMatchObject({ max_steps: 10, max_length: 32, per_device_train_batch_size: 16 });
    const train = strFromU8(files['data/train.jsonl']!).trim().split('\n');
    const test = strFromU8(files['data/test.jsonl']!).trim().split('\n');
    expect(train.length + test.length).toBe(422 + 472); // every decisive demo pair, on its side of the split
    await page.getByText(/saved a TRL folder \(zip\)/).waitFor();
    expect(settings.rm_lab.run_id).toMatch(/./);

    // From the data panel: the dataset with the training form's settings as they stand.
    await setTrainField(page, 'Learning rate', '0.0003');
    await openScreen(page, 'Data');
    const fromForm = await download(() =>
      page.getByRole('button', { name: 'Train bigger on TRL with PandaLM human-labelled test set (demo)' }).click(),
    );
    const formSettings = JSON.parse(strFromU8(unzipSync(new Uint8Array(fromForm.bytes))['reward_config.json']!));
    expect(formSettings.reward_config).toMatchObject({ learning_rate: 0.0003, max_steps: 10, max_length: 32 });
    expect(formSettings.rm_lab.run_id).toBeNull();
    await openScreen(page, 'Models');
  });

  it('exports an imported BERT model for Hugging Face; a mean-pooled one is not offered', async () => {
    const bert = tinyBertModelFile('cls', 'tiny bert rm');
    await importModelFile('tiny.rmlab.safetensors', bert.bytes);
    await page.getByText('Imported "tiny bert rm" as a new model.').waitFor({ timeout: 30_000 });
    const row = modelRows().filter({ hasText: 'tiny bert rm' });
    await expect(row.innerText()).resolves.toMatch(/tiny\/bert \(bert, 1 × 16\), cls pooling/);
    const zip = await download(() => row.getByRole('button', { name: 'Export tiny bert rm for Hugging Face' }).click());
    expect(zip.name).toBe('tiny-bert-rm.hf.zip');
    const files = unzipSync(new Uint8Array(zip.bytes));
    expect(Object.keys(files).sort()).toEqual(
      ['README.md', 'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].sort(),
    );
    const tensors = readSafetensors(files['model.safetensors']!).tensors;
    // Through the store, the worker and the zip: every encoder tensor is the checkpoint's own.
    for (const [name, t] of bert.original) expect([...tensors.get(`bert.${name}`)!.data], name).toEqual([...t.data]);
    expect(tensors.get('classifier.weight')!.shape).toEqual([1, 16]);
    expect(JSON.parse(strFromU8(files['config.json']!)).architectures).toEqual(['BertForSequenceClassification']);

    const mean = tinyBertModelFile('mean', 'mean bert rm');
    await importModelFile('mean.rmlab.safetensors', mean.bytes);
    await page.getByText('Imported "mean bert rm" as a new model.').waitFor({ timeout: 30_000 });
    const meanButton = modelRows()
      .filter({ hasText: 'mean bert rm' })
      .getByRole('button', { name: 'Export mean bert rm for Hugging Face' });
    await expect(meanButton.isDisabled()).resolves.toBe(true);
    await expect(meanButton.getAttribute('title')).resolves.toMatch(/pools through \[CLS\] only/);
    // The built-in encoder has no Hugging Face class: no button at all.
    await expect(
      modelRows()
        .filter({ hasText: 'trained here' })
        .getByRole('button', { name: /for Hugging Face$/ })
        .count(),
    ).resolves.toBe(0);
    for (const name of ['tiny bert rm', 'mean bert rm']) {
      await page.getByRole('button', { name: `Delete ${name}` }).click();
    }
    await expect.poll(() => modelRows().count()).toBe(2);
  });

  it('exports a model trained with LoRA merged for Hugging Face, or as a PEFT adapter', async () => {
    const lora = tinyBertModelFile('cls', 'lora bert rm', { rank: 2, alpha: 4, targets: ['query', 'value'] });
    await importModelFile('lora.rmlab.safetensors', lora.bytes);
    await page.getByText('Imported "lora bert rm" as a new model.').waitFor({ timeout: 30_000 });
    const row = modelRows().filter({ hasText: 'lora bert rm' });
    await expect(row.innerText()).resolves.toMatch(/LoRA r 2 on query, value/);
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/models-lora.png` });
    const merged = await download(() =>
      row.getByRole('button', { name: 'Export lora bert rm for Hugging Face' }).click(),
    );
    const mergedTensors = readSafetensors(unzipSync(new Uint8Array(merged.bytes))['model.safetensors']!).tensors;
    expect([...mergedTensors.keys()].some((n) => n.includes('lora'))).toBe(false);
    // The adapter moved the query weight: merged, it is not the checkpoint's any more.
    const query = 'encoder.layer.0.attention.self.query.weight';
    expect([...mergedTensors.get(`bert.${query}`)!.data]).not.toEqual([...lora.original.get(query)!.data]);
    const adapter = await download(() =>
      row.getByRole('button', { name: 'Export lora bert rm as a PEFT adapter' }).click(),
    );
    expect(adapter.name).toBe('lora-bert-rm.peft-adapter.zip');
    const files = unzipSync(new Uint8Array(adapter.bytes));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    expect(JSON.parse(strFromU8(files['adapter_config.json']!))).toMatchObject({
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 4,
      target_modules: ['query', 'value'],
      modules_to_save: ['classifier'],
      base_model_name_or_path: 'tiny/bert',
    });
    expect([...readSafetensors(files['adapter_model.safetensors']!).tensors.keys()].sort()).toEqual([
      'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight',
      'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight',
      'base_model.model.bert.encoder.layer.0.attention.self.value.lora_A.weight',
      'base_model.model.bert.encoder.layer.0.attention.self.value.lora_B.weight',
      'base_model.model.classifier.bias',
      'base_model.model.classifier.weight',
    ]);
    await page.getByText(/saved as a PEFT LoRA adapter/).waitFor();
    await page.getByRole('button', { name: 'Delete lora bert rm' }).click();
    await expect.poll(() => modelRows().filter({ hasText: 'lora bert rm' }).count()).toBe(0);
  });

  it('renames the imported model and deletes it; the trained one stays', async () => {
    await modelRows()
      .nth(0)
      .getByRole('button', { name: /^Rename / })
      .click();
    await page.getByLabel(/^New name for /).fill('my reward model');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => modelRows().nth(0).innerText()).toMatch(/my reward model/);
    await page.reload();
    await expect.poll(() => modelRows().count()).toBe(2);
    await expect(modelRows().nth(0).innerText()).resolves.toMatch(/my reward model/);
    await expect(
      modelRows()
        .nth(1)
        .getByRole('button', { name: /^Delete / })
        .count(),
    ).resolves.toBe(0);
    await page.getByRole('button', { name: 'Delete my reward model' }).click();
    await expect.poll(() => modelRows().count()).toBe(1);
    await expect(modelRows().first().innerText()).resolves.toMatch(/trained here/);
    expect(pageErrors).toEqual([]);
  });
});
