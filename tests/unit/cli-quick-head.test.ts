// `rmlab score` of a quick head (a model file whose spec is 'frozen-hub'): the CLI loads its embedding
// model through the app's Transformers.js loader in Node, from $HF_ENDPOINT (the tiny embedder of
// tests/fixtures/hub-models served from 127.0.0.1), and gives the rewards the head gives the embedder's
// vectors in-process; an unreachable or missing embedding model is refused in words that name the file,
// the model, the address, and what to do.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModelFile } from '../../src/core/model/model-file.ts';
import { embeddingText } from '../../src/core/quick-head/embedding-text.ts';
import { QuickHead, quickHeadParams, type QuickHeadShape } from '../../src/core/quick-head/head.ts';
import type { QuickHeadModelSpec } from '../../src/core/quick-head/spec.ts';
import { loadHubEmbedder } from '../../src/worker/hub-embedding-model.ts';
import { setHubFileCache } from '../../src/worker/hub-pipelines.ts';
import { hubModelFixtures, startHubServer, type HubServer } from '../hub-server.ts';

const BIN = join(import.meta.dirname, '../../bin/rmlab.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rmlab-cli-quick-'));
const shape: QuickHeadShape = { head: 'mlp', inputSize: 32, hiddenUnits: 8, members: 2 };
const spec: QuickHeadModelSpec = {
  encoder: 'frozen-hub',
  tokenizer: 'hub',
  embedding: { model: 'rmlab-test/tiny-embedder', revision: 'main', pooling: 'mean', normalize: true },
  head: shape,
};
// Fixed weights, none zero, so every unit matters.
const weights = quickHeadParams(shape).map((p, k) => {
  const size = p.shape.reduce((a, b) => a * b, 1);
  return {
    name: p.name,
    shape: p.shape,
    data: Float32Array.from({ length: size }, (_, i) => Math.sin(k * 31 + i) / 3),
  };
});
const modelPath = join(dir, 'quick.rmlab.safetensors');
const rowsPath = join(dir, 'rows.jsonl');
const rows = [
  { id: 1, prompt: 'what is the capital of france?', response: 'paris' },
  { id: 2, prompt: 'what is the capital of france?', responses: ['no idea', 'it is paris, of course'] },
];
let hub: HubServer;

beforeAll(async () => {
  hub = await startHubServer(hubModelFixtures());
  writeFileSync(
    modelPath,
    encodeModelFile({ spec, weights, meta: { name: 'quick', createdAt: new Date(0).toISOString() } }),
  );
  writeFileSync(rowsPath, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});
afterAll(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

function rmlab(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RMLAB_HUB_CACHE: join(dir, 'cache'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on: taken, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('rmlab score with a quick head', () => {
  it("gives the rewards the head gives the embedding model's vectors", async () => {
    const run = await rmlab(['score', '--model', modelPath, '--data', rowsPath], { HF_ENDPOINT: hub.url });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('scored 2 rows');
    const out = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out[0]).toMatchObject({ id: 1, reward: expect.any(Number) });
    expect(out[1].rewards).toHaveLength(2);
    expect(hub.requests.some((p) => p.includes('rmlab-test/tiny-embedder'))).toBe(true);

    // In-process, as the app scores: embed prompt + response, the head's mean reward over its members.
    await tf.setBackend('cpu');
    setHubFileCache(join(dir, 'in-process-cache'));
    const embedder = await loadHubEmbedder(spec.embedding, { endpoint: hub.url });
    expect(embedder.maxLength).toBe(64);
    const items = [
      { prompt: rows[0]!.prompt, response: 'paris' },
      { prompt: rows[1]!.prompt, response: 'no idea' },
      { prompt: rows[1]!.prompt, response: 'it is paris, of course' },
    ];
    const vectors = await embedder.embed(items.map((it) => embeddingText(it.prompt, it.response)));
    const head = QuickHead.fromWeights(shape, weights);
    const expected = tf.tidy(() =>
      head.rewards(
        tf.tensor2d(
          vectors.flatMap((v) => [...v]),
          [3, 32],
        ),
      ),
    );
    const want = await expected.data();
    expected.dispose();
    head.dispose();
    expect(out[0].reward).toBeCloseTo(want[0]!, 4);
    expect(out[1].rewards[0]).toBeCloseTo(want[1]!, 4);
    expect(out[1].rewards[1]).toBeCloseTo(want[2]!, 4);
  });

  it('says what is wrong when the embedding model cannot be reached', async () => {
    const port = await closedPort();
    // A fresh cache: nothing to fall back on.
    const run = await rmlab(['score', '--model', modelPath, '--data', rowsPath], {
      HF_ENDPOINT: `http://127.0.0.1:${port}`,
      RMLAB_HUB_CACHE: join(dir, 'empty-cache'),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `${modelPath} is a quick head (Quick MLP head, 8 hidden (2 members) on rmlab-test/tiny-embedder`,
    );
    expect(run.stderr).toContain(
      `it scores only with its embedding model rmlab-test/tiny-embedder, which could not be loaded from http://127.0.0.1:${port}`,
    );
    expect(run.stderr).toContain(`could not reach 127.0.0.1:${port}`);
    expect(run.stderr).toContain('set HF_ENDPOINT to a Hub mirror that has the model');
  });

  it('says so when the Hub has no such embedding model', async () => {
    const empty = await startHubServer({});
    try {
      const run = await rmlab(['score', '--model', modelPath, '--data', rowsPath], {
        HF_ENDPOINT: empty.url,
        RMLAB_HUB_CACHE: join(dir, 'empty-cache-2'),
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('could not be loaded from');
      expect(run.stderr).toContain('the Hub has no public repository rmlab-test/tiny-embedder');
    } finally {
      await empty.close();
    }
  });
});
