// Quick heads and judges with the real Transformers.js in Node (ONNX Runtime's CPU build), on the tiny
// models of tests/fixtures/hub-models served from a Hub on 127.0.0.1, and IndexedDB from fake-indexeddb:
// - the frozen encoder (hub-embedder.ts) gives the PyTorch model's mean-pooled vectors, and unit
//   vectors in the same direction when normalised;
// - a quick head trained on a dataset through QuickHeadSession is stored with its card (encoder named,
//   held-out accuracy on the held-out pairs, the run's baselines), a second fit reads every vector from
//   the cache, and the playground's ScoringSession scores with it exactly as the head on the encoder's
//   vectors does; it exports and imports as a model file;
// - a judge (judge-session.ts) scores prompt + response as a text pair, its one logit; a classifier
//   with two labels is refused, naming them.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { decodeModelFile } from '../../src/core/model/model-file.ts';
import type { EmbeddingSource } from '../../src/core/quick-head/config.ts';
import { embeddingText } from '../../src/core/quick-head/embedding-text.ts';
import { QuickHead } from '../../src/core/quick-head/head.ts';
import { isQuickHeadSpec } from '../../src/core/quick-head/spec.ts';
import { openLabDB } from '../../src/store/db.ts';
import { readEmbeddings } from '../../src/store/embeddings.ts';
import { getModelRecord, listModelCards } from '../../src/store/models.ts';
import { openHubEmbedder } from '../../src/worker/hub-embedder.ts';
import { loadHubPipeline, setHubFileCache } from '../../src/worker/hub-pipelines.ts';
import { setHubEndpoint } from '../../src/worker/train-run.ts';
import { importPairs } from '../../src/worker/import.ts';
import { JudgeSession } from '../../src/worker/judge-session.ts';
import { exportModelFile, importModelFile } from '../../src/worker/model-io.ts';
import { QuickHeadSession, type QuickHeadEvent } from '../../src/worker/quick-head-session.ts';
import { ScoringSession } from '../../src/worker/scoring.ts';
import { HUB_MODEL_FIXTURES, hubModelFixtures, startHubServer, type HubServer } from '../hub-server.ts';

const reference = (name: string) =>
  JSON.parse(readFileSync(new URL(`rmlab-test/${name}/reference.json`, HUB_MODEL_FIXTURES), 'utf8')) as {
    cases: { text: string; mean_pooled?: number[]; logit?: number }[];
  };

let hub: HubServer;
const cacheDir = mkdtempSync(join(tmpdir(), 'rmlab-quick-head-'));
const db = () => openLabDB('quick-head-hub-test');
beforeAll(async () => {
  await tf.setBackend('cpu');
  setHubFileCache(cacheDir);
  const repos = hubModelFixtures();
  const judge = repos['rmlab-test/tiny-judge']!;
  // The judge as a two-label classifier (a sentiment model, say).
  const config = JSON.parse(new TextDecoder().decode(judge.files.get('config.json')));
  const twoLabels = { ...config, num_labels: 2, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' } };
  repos['rmlab-test/two-labels'] = {
    files: new Map([...judge.files, ['config.json', new TextEncoder().encode(JSON.stringify(twoLabels))]]),
  };
  hub = await startHubServer(repos);
  setHubEndpoint(hub.url); // the page's setting, which the playground's loads read
});
afterAll(async () => {
  await hub.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const source = (normalize: boolean): EmbeddingSource => ({
  model: 'rmlab-test/tiny-embedder',
  revision: 'main',
  pooling: 'mean',
  normalize,
});
const load = () => ({ signal: new AbortController().signal, onProgress: () => {}, endpoint: hub.url });

const topics = ['the weather', 'a recipe', 'the capital of france', 'my homework', 'a good book', 'the news'];
async function dataset(n: number): Promise<{ id: string; name: string }> {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      prompt: `question ${i} about ${topics[i % topics.length]}`,
      response_a: i % 3 ? `the capital of ${topics[i % 6]} is paris, thank you` : 'no',
      response_b: i % 3 ? 'no' : `what is the capital of ${topics[i % 6]}?`,
      winner: i % 13 === 4 ? 'tie' : i % 3 ? 'response_a' : 'response_b',
    }),
  );
  const { dataset } = await importPairs(
    await db(),
    streamOfBytes(new TextEncoder().encode(lines.join('\n')), 4096),
    { name: 'tiny', source: { kind: 'file', name: 'tiny.jsonl' } },
    () => {},
  );
  return { id: dataset.id, name: dataset.name };
}

describe('the frozen encoder', () => {
  it("gives the PyTorch model's mean-pooled vectors, and unit vectors when normalised", async () => {
    const cases = reference('tiny-embedder').cases;
    const plain = await (await openHubEmbedder(source(false), load())).embed(cases.map((c) => c.text));
    const unit = await (await openHubEmbedder(source(true), load())).embed(cases.map((c) => c.text));
    cases.forEach((c, i) => {
      const norm = Math.hypot(...c.mean_pooled!);
      c.mean_pooled!.forEach((v, j) => {
        expect(plain[i]![j]).toBeCloseTo(v, 4);
        expect(unit[i]![j]).toBeCloseTo(v / norm, 5);
      });
    });
  });
});

describe('a quick head through the worker session', () => {
  it('trains, caches, stores, scores, exports and imports', async () => {
    const data = await dataset(90);
    const session = new QuickHeadSession(db, openHubEmbedder, () => false);
    const events: QuickHeadEvent[] = [];
    const request = {
      dataset: data,
      source: source(true),
      config: { epochs: 8, members: 3, ensemble: 'bootstrap' as const },
      endpoint: hub.url,
    };
    const card = await session.train(request, (e) => events.push(e));
    expect(events.filter((e) => e.kind === 'epoch')).toHaveLength(8);
    expect(events.some((e) => e.kind === 'embedding' && e.progress.done === 90)).toBe(true);
    expect(card.origin).toBe('quick-head');
    expect(isQuickHeadSpec(card.spec) && card.spec.embedding.model).toBe('rmlab-test/tiny-embedder');
    expect(card.name).toMatch(/Quick linear head \(3 members\) on rmlab-test\/tiny-embedder, mean pooled, normalized/);
    expect(card.heldOutPairs).toBeGreaterThan(0);
    expect(card.baselines?.results.map((b) => b.id)).toEqual(['chance', 'longer', 'shorter', 'bagOfWords']);
    expect(card.baselines!.results[0]!.n).toBe(card.heldOutPairs);
    expect(card.quickHead).toMatchObject({ encoderRuntime: 'cpu, fp32' });
    expect(card.quickHead!.memberAccuracy).toHaveLength(3);
    expect((await listModelCards(await db())).map((c) => c.id)).toContain(card.id);
    const cached = await readEmbeddings(await db(), data.id, 'rmlab-test/tiny-embedder@main:mean:normalized');
    expect(cached.vectors.size).toBe(90);

    // A second fit: nothing embedded again.
    const again = await session.train({ ...request, config: { epochs: 2 } }, () => {});
    expect(again.quickHead!.embedSeconds).toBe(0);

    // Scored in the playground as the head scores the encoder's vectors.
    const scoring = new ScoringSession(db, () => false, openHubEmbedder);
    // It reads what the embedder's tokenizer keeps (model_max_length 64), not a fixed 512.
    await expect(scoring.load(card)).resolves.toMatchObject({ id: card.id, maxLength: 64 });
    const items = [
      { prompt: 'what is the capital of france?', response: 'paris' },
      { prompt: 'what is the capital of france?', response: 'no' },
    ];
    const rewards = await scoring.score(items);
    const record = (await getModelRecord(await db(), card.id))!;
    const head = QuickHead.fromWeights(card.spec.encoder === 'frozen-hub' ? card.spec.head : never(), record.weights);
    const vectors = await (
      await openHubEmbedder(source(true), load())
    ).embed(items.map((it) => embeddingText(it.prompt, it.response)));
    const expected = tf.tidy(() =>
      head.rewards(
        tf.tensor2d(
          vectors.flatMap((v) => [...v]),
          [2, vectors[0]!.length],
        ),
      ),
    );
    const want = await expected.data();
    rewards.forEach((r, i) => expect(r).toBeCloseTo(want[i]!, 5));
    tf.dispose(expected);
    head.dispose();
    scoring.unload();

    // Exported as one file whose metadata names the encoder; imported back as a model that scores the same.
    const { file, fileName } = await exportModelFile(await db(), card.id);
    expect(fileName).toMatch(/\.rmlab\.safetensors$/);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const decoded = decodeModelFile(bytes, fileName);
    expect(decoded.meta.needs).toMatch(/rmlab-test\/tiny-embedder.*Transformers\.js feature-extraction model/);
    const imported = await importModelFile(await db(), bytes, fileName);
    expect(imported.quickHead?.bestEpoch).toBe(card.quickHead!.bestEpoch);
    await scoring.load(imported);
    expect(await scoring.score(items)).toEqual(rewards);
    scoring.unload();
  });

  it('a dataset of ties only: a clear error, nothing stored', async () => {
    const before = (await listModelCards(await db())).length;
    const lines = Array.from({ length: 6 }, (_, i) =>
      JSON.stringify({ prompt: `p${i}`, response_a: 'a', response_b: 'b', winner: 'tie' }),
    );
    const { dataset: ties } = await importPairs(
      await db(),
      streamOfBytes(new TextEncoder().encode(lines.join('\n')), 4096),
      { name: 'ties', source: { kind: 'file', name: 'ties.jsonl' } },
      () => {},
    );
    const session = new QuickHeadSession(db, openHubEmbedder, () => false);
    await expect(
      session.train({ dataset: ties, source: source(true), config: {}, endpoint: hub.url }, () => {}),
    ).rejects.toThrow(/no training pairs with a winner/);
    expect((await listModelCards(await db())).length).toBe(before);
  });
});

describe('a judge', () => {
  it("scores prompt and response as a text pair, its one logit; the text alone gives the PyTorch model's", async () => {
    const judge = new JudgeSession();
    await expect(judge.load('rmlab-test/tiny-judge', hub.url)).resolves.toEqual({
      model: 'rmlab-test/tiny-judge',
      runtime: 'cpu, fp32',
    });
    const cases = reference('tiny-judge').cases;
    // The loaded judge computes the PyTorch model's logit (the reference is of one text, not a pair);
    // the session then scores (prompt, response) as a text pair, a reward per response.
    const { logits } = await judgeAlone(judge, cases[0]!.text);
    expect(logits).toBeCloseTo(cases[0]!.logit!, 4);
    const rewards = await judge.score([
      { prompt: 'what is the capital of france?', response: 'paris' },
      { prompt: 'what is the capital of france?', response: 'no idea' },
    ]);
    expect(rewards).toHaveLength(2);
    expect(rewards[0]).not.toBeCloseTo(rewards[1]!, 6);
    await judge.unload();
  });

  it('refuses a classifier of two labels, naming them', async () => {
    const judge = new JudgeSession();
    await expect(judge.load('rmlab-test/two-labels', hub.url)).rejects.toThrow(
      'rmlab-test/two-labels is a classifier with 2 labels (NEGATIVE, POSITIVE), not a reward model',
    );
    expect(judge.judge).toBeUndefined();
  });
});

function never(): never {
  throw new Error('not a quick head');
}

/** The tiny judge's logit for one text with no pair (the reference's input), loaded as the session loads it. */
async function judgeAlone(judge: JudgeSession, text: string): Promise<{ logits: number }> {
  expect(judge.judge?.model).toBe('rmlab-test/tiny-judge');
  const { pipeline } = await loadHubPipeline('text-classification', {
    model: 'rmlab-test/tiny-judge',
    endpoint: hub.url,
  });
  const { logits } = (await pipeline.model(pipeline.tokenizer([text], { padding: true }))) as {
    logits: { data: Float32Array };
  };
  return { logits: logits.data[0]! };
}
