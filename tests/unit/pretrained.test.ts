// Loading a pretrained encoder's folder from a Hub stand-in on 127.0.0.1 (tests/hub-server.ts),
// a URL and a folder on disk: the files read, the tokenizer, the weights in every storage type,
// progress in bytes, cancelling, and a plain error for each way a load goes wrong, with the
// unusable refused before its weights are downloaded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskFolder } from '../../src/cli/folder-node.ts';
import { bertEncoderWeights, readBertConfig } from '../../src/core/model/hf-checkpoint.ts';
import { hubFolder, LoadCancelled, urlFolder, type FolderReader } from '../../src/core/model/hub.ts';
import { loadModelFolder, summarise, type LoadProgress } from '../../src/core/model/pretrained.ts';
import type { BertModelSpec } from '../../src/core/model/reward-model.ts';
import { tokenizerFor } from '../../src/core/model/tokenizer.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { tinyBertFolder, tinyBertWeights, TINY_VOCAB } from '../tiny-bert.ts';

let hub: HubServer;

beforeAll(async () => {
  hub = await startHubServer({
    'tiny/bert': { files: tinyBertFolder() },
    'tiny/bert-f16': { files: tinyBertFolder({ dtype: 'F16' }) },
    'tiny/bert-bf16': { files: tinyBertFolder({ dtype: 'BF16', prefix: 'bert.' }) },
    'tiny/bert-sharded': { files: tinyBertFolder({ shards: 3 }) },
    'tiny/bert-vocab-only': { files: tinyBertFolder({ tokenizer: 'vocab' }) },
    'tiny/bert-no-pooler': { files: tinyBertFolder({ noPooler: true }) },
    'tiny/bert-pytorch': { files: tinyBertFolder({ pytorchOnly: true }) },
    'tiny/gpt2': { files: tinyBertFolder({ modelType: 'gpt2', architectures: ['GPT2LMHeadModel'] }) },
    'tiny/private': { files: tinyBertFolder(), access: 'private' },
    'tiny/gated': { files: tinyBertFolder(), access: 'gated' },
    'folders/my-bert': { files: tinyBertFolder() },
  });
});

afterAll(() => hub.close());

const load = (reader: FolderReader, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal) =>
  loadModelFolder(reader, { readConfig: readBertConfig, onProgress, signal });

const spec = (config: BertModelSpec['bert'], pooling: BertModelSpec['pooling'] = 'cls'): BertModelSpec => ({
  encoder: 'bert',
  tokenizer: 'embedded',
  bert: config,
  pooling,
  source: 'test',
});

/** The seeded weights the folders were written with, by name. */
const written = new Map(
  tinyBertWeights({
    vocabSize: TINY_VOCAB.length,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 2,
    intermediateSize: 32,
    maxPositions: 64,
  }).map((t) => [t.name, t.data]),
);

function maxDifference(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('loading a model folder in the Hub layout', () => {
  it('reads config, tokenizer and weights from /{id}/resolve/{revision}/, reporting bytes as they come', async () => {
    const before = hub.requests.length;
    const progress: LoadProgress[] = [];
    const folder = await load(hubFolder('tiny/bert', 'main', hub.url), (p) => progress.push(p));
    expect(folder.source).toBe('tiny/bert');
    expect(folder.config).toMatchObject({
      modelType: 'bert',
      hiddenSize: 16,
      numLayers: 2,
      numHeads: 2,
      sepTokenId: 3,
      padTokenId: 0,
    });
    expect(folder.tokenizerFromVocab).toBe(false);
    expect(folder.tensors.size).toBe(written.size);
    for (const [name, data] of written) expect(folder.tensors.get(name)!.data).toEqual(data);
    const requested = hub.requests.slice(before);
    expect(requested).toContain('/tiny/bert/resolve/main/config.json');
    expect(requested).toContain('/cdn/tiny/bert/model.safetensors'); // the Hub's redirect, followed
    // Progress: per file up to its Content-Length, and a running total that ends at every byte read.
    const total = [...folder.files.values()].reduce((n, b) => n + b.byteLength, 0);
    expect(progress.at(-1)!.loaded).toBe(total);
    const weights = progress.filter((p) => p.file === 'model.safetensors');
    expect(weights.at(-1)).toMatchObject({
      fileLoaded: folder.files.get('model.safetensors')!.byteLength,
      fileTotal: folder.files.get('model.safetensors')!.byteLength,
    });
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.loaded).toBeGreaterThanOrEqual(progress[i - 1]!.loaded);
    // The tokenizer that travels with the model reads text with the model's special tokens.
    const tok = tokenizerFor(spec(folder.config), folder.tokenizer);
    expect([...tok.encodePair('What is two plus four?', 'Four.', 64).ids]).toEqual(
      tok.encodePairWithPostProcessor('What is two plus four?', 'Four.'),
    );
  });

  it('asks for the revision the id names, and says when there is no such revision', async () => {
    hub.repos.set('tiny/tagged', { files: tinyBertFolder(), revisions: ['main', 'v1.0'] });
    const before = hub.requests.length;
    const folder = await load(hubFolder('tiny/tagged', 'v1.0', hub.url));
    expect(folder.source).toBe('tiny/tagged@v1.0');
    expect(hub.requests[before]).toBe('/tiny/tagged/resolve/v1.0/config.json');
    await expect(load(hubFolder('tiny/tagged', 'v2', hub.url))).rejects.toThrow(
      'the Hub repository tiny/tagged has no revision "v2"',
    );
  });

  it('decodes F16 and BF16 checkpoints and a prefixed (bert.) one to float32 within their precision', async () => {
    const f16 = await load(hubFolder('tiny/bert-f16', 'main', hub.url));
    const bf16 = await load(hubFolder('tiny/bert-bf16', 'main', hub.url));
    for (const [name, data] of written) {
      expect(f16.tensors.get(name)!.dtype).toBe('F16');
      expect(maxDifference(f16.tensors.get(name)!.data, data)).toBeLessThan(1.1 * 2 ** -11 * 1.02);
      expect(maxDifference(bf16.tensors.get(`bert.${name}`)!.data, data)).toBeLessThan(1.02 * 2 ** -7);
    }
    const { weights, initialised } = bertEncoderWeights(spec(bf16.config), bf16.tensors);
    expect(initialised).toEqual([]);
    expect(weights.length).toBeGreaterThan(0);
  });

  it('reads a sharded checkpoint through model.safetensors.index.json', async () => {
    const folder = await load(hubFolder('tiny/bert-sharded', 'main', hub.url));
    expect([...folder.files.keys()].filter((f) => f.endsWith('.safetensors'))).toHaveLength(3);
    for (const [name, data] of written) expect(folder.tensors.get(name)!.data).toEqual(data);
  });

  it('builds the tokenizer from vocab.txt when the repository has no tokenizer.json, tokenizing alike', async () => {
    const fromVocab = await load(hubFolder('tiny/bert-vocab-only', 'main', hub.url));
    const fromJson = await load(hubFolder('tiny/bert', 'main', hub.url));
    expect(fromVocab.tokenizerFromVocab).toBe(true);
    expect(fromVocab.files.has('vocab.txt')).toBe(true);
    const a = tokenizerFor(spec(fromVocab.config), fromVocab.tokenizer);
    const b = tokenizerFor(spec(fromJson.config), fromJson.tokenizer);
    for (const text of ['The capital of France is Paris!', 'Café: naïve cats, 42 dogs...', 'xyzzy plugh']) {
      expect(a.encodeText(text)).toEqual(b.encodeText(text));
    }
  });

  it('takes the model type from the repository name when config.json has none, as AutoConfig does (prajjwal1/bert-tiny)', async () => {
    const noType = () => tinyBertFolder({ modelType: null, architectures: [], tokenizer: 'vocab', prefix: 'bert.' });
    hub.repos.set('someone/bert-tiny-old', { files: noType() });
    hub.repos.set('someone/deberta-tiny-old', { files: noType() });
    hub.repos.set('someone/tiny-old', { files: noType() });
    const folder = await load(hubFolder('someone/bert-tiny-old', 'main', hub.url));
    expect(folder.config.modelType).toBe('bert');
    await expect(load(hubFolder('someone/deberta-tiny-old', 'main', hub.url))).rejects.toThrow(
      /model_type "deberta", which RM Lab cannot build/,
    );
    await expect(load(hubFolder('someone/tiny-old', 'main', hub.url))).rejects.toThrow(
      /config.json has no model_type, which RM Lab cannot build/,
    );
  });

  it('says which tensors start fresh and counts the parameters', async () => {
    const folder = await load(hubFolder('tiny/bert-no-pooler', 'main', hub.url));
    const { weights, initialised } = bertEncoderWeights(spec(folder.config, 'cls'), folder.tensors);
    expect(initialised).toEqual(['pooler.dense.weight', 'pooler.dense.bias']);
    const summary = summarise(folder, weights, initialised);
    const H = 16;
    const I = 32;
    const V = TINY_VOCAB.length;
    const perLayer = 4 * (H * H + H) + 2 * 2 * H + (H * I + I) + (I * H + H);
    expect(summary).toMatchObject({
      architecture: 'BertModel',
      layers: 2,
      hiddenSize: H,
      vocabSize: V,
      initialised,
      parameters: V * H + 64 * H + 2 * H + 2 * H + 2 * perLayer + (H * H + H) + (H + 1),
    });
  });
});

describe('a load that cannot succeed says why, in plain words', () => {
  it('a repository that does not exist (the Hub answers 401 RepoNotFound)', async () => {
    await expect(load(hubFolder('nobody/nothing', 'main', hub.url))).rejects.toThrow(
      'the Hub has no public repository nobody/nothing (it answered 401)',
    );
  });

  it('a private repository', async () => {
    await expect(load(hubFolder('tiny/private', 'main', hub.url))).rejects.toThrow(
      /no public repository tiny\/private.*private or gated/,
    );
  });

  it('a gated repository (403)', async () => {
    await expect(load(hubFolder('tiny/gated', 'main', hub.url))).rejects.toThrow(
      'the Hub repository tiny/gated is gated (the Hub answered 403)',
    );
  });

  it('an architecture RM Lab does not build, refused before any weight is downloaded', async () => {
    const before = hub.requests.length;
    await expect(load(hubFolder('tiny/gpt2', 'main', hub.url))).rejects.toThrow(
      /model_type "gpt2" \(GPT2LMHeadModel\), which RM Lab cannot build; RM Lab supports model_type 'bert'/,
    );
    expect(hub.requests.slice(before).some((p) => p.includes('safetensors'))).toBe(false);
  });

  it('a pytorch_model.bin that is not what torch.save writes (real ones load: pytorch-bin.test.ts)', async () => {
    await expect(load(hubFolder('tiny/bert-pytorch', 'main', hub.url))).rejects.toThrow(
      /pytorch_model\.bin cannot be read as a zip/,
    );
  });

  it('a folder without config.json', async () => {
    hub.repos.set('tiny/empty', { files: new Map([['README.md', new Uint8Array([35])]]) });
    await expect(load(hubFolder('tiny/empty', 'main', hub.url))).rejects.toThrow(
      'tiny/empty has no config.json: it is not a Hugging Face model folder RM Lab can read',
    );
  });

  it('a shard the index lists but the repository lacks', async () => {
    const files = tinyBertFolder({ shards: 2 });
    files.delete('model-00002-of-00002.safetensors');
    hub.repos.set('tiny/half-sharded', { files });
    await expect(load(hubFolder('tiny/half-sharded', 'main', hub.url))).rejects.toThrow(
      'tiny/half-sharded: model.safetensors.index.json lists model-00002-of-00002.safetensors, which is missing',
    );
  });

  it('a server that cannot be reached', async () => {
    const gone = await startHubServer();
    const url = gone.url;
    await gone.close();
    await expect(load(hubFolder('tiny/bert', 'main', url))).rejects.toThrow(
      /could not reach 127\.0\.0\.1:\d+ for tiny\/bert .*the network is down, or the server does not let this page read it \(CORS\)/,
    );
  });

  it('a cancelled download stops with LoadCancelled', async () => {
    const big = tinyBertFolder({ hiddenSize: 256, intermediateSize: 512, numLayers: 2, numHeads: 4 });
    hub.repos.set('tiny/big', { files: big });
    hub.slowdown = 20;
    const controller = new AbortController();
    const seen: LoadProgress[] = [];
    try {
      const loading = load(
        hubFolder('tiny/big', 'main', hub.url),
        (p) => {
          seen.push(p);
          if (p.file === 'model.safetensors' && p.fileLoaded > 100_000) controller.abort();
        },
        controller.signal,
      );
      await expect(loading).rejects.toBeInstanceOf(LoadCancelled);
    } finally {
      hub.slowdown = 0;
    }
    const last = seen.filter((p) => p.file === 'model.safetensors').at(-1)!;
    expect(last.fileLoaded).toBeLessThan(big.get('model.safetensors')!.byteLength);
  });
});

describe('other ways in', () => {
  it('a URL of a model folder', async () => {
    const folder = await load(urlFolder(`${hub.url}/folders/my-bert/`));
    expect(folder.source).toBe(`${hub.url}/folders/my-bert`);
    expect(folder.tensors.size).toBe(written.size);
    await expect(load(urlFolder(`${hub.url}/folders/nothing-here`))).rejects.toThrow(/answered 401/);
  });

  it('a folder on disk (the CLI)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmlab-bert-'));
    try {
      for (const [name, bytes] of tinyBertFolder({ tokenizer: 'vocab', dtype: 'BF16' }))
        writeFileSync(join(dir, name), bytes);
      const folder = await load(await diskFolder(dir));
      expect(folder.source).toMatch(/^folder:rmlab-bert-/);
      expect(folder.tokenizerFromVocab).toBe(true);
      expect(folder.tensors.size).toBe(written.size);
      await expect(diskFolder(join(dir, 'nope'))).rejects.toThrow('is not a folder');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
