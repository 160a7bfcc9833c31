// The Hub model loader (src/worker/hub-pipelines.ts) in Node: the real Transformers.js (ONNX
// Runtime's CPU build) loading the tiny models of tests/fixtures/hub-models from a Hub on
// 127.0.0.1, and computing what the PyTorch models that wrote them compute (reference.json, from
// scripts/onnx/make_tiny_hub_models.py): the generator's greedy continuation (which runs its
// key/value cache), the embedder's mean-pooled vectors, the judge's logit. Then the ways a load
// fails: a bad id, a missing repository, a model of the wrong kind, a repository without ONNX
// weights, a stalled download, a cancelled one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadCancelled } from '../../src/core/model/hub.ts';
import type { LoadProgress } from '../../src/core/model/pretrained.ts';
import { DownloadStalled } from '../../src/core/share/watched-fetch.ts';
import { loadHubPipeline, setHubFileCache } from '../../src/worker/hub-pipelines.ts';
import { HUB_MODEL_FIXTURES, hubModelFixtures, startHubServer, type HubServer } from '../hub-server.ts';
import { startStallServer, type StallServer } from '../stall-server.ts';

const reference = (name: string) =>
  JSON.parse(readFileSync(new URL(`rmlab-test/${name}/reference.json`, HUB_MODEL_FIXTURES), 'utf8')) as {
    cases: {
      prompt?: string;
      text?: string;
      input_ids: number[];
      greedy_new_ids?: number[];
      mean_pooled?: number[];
      logit?: number;
    }[];
  };

let hub: HubServer;
const cacheDir = mkdtempSync(join(tmpdir(), 'rmlab-hub-'));
beforeAll(async () => {
  setHubFileCache(cacheDir);
  const repos = hubModelFixtures();
  const generator = repos['rmlab-test/tiny-generator']!;
  // Copies that are downloaded once each, by the tests of failed downloads (a loaded model is cached).
  repos['rmlab-test/slow-generator'] = { files: new Map(generator.files) };
  repos['rmlab-test/stalling-generator'] = { files: new Map(generator.files) };
  // The same model without its ONNX graph (as a PyTorch-only repository is).
  repos['rmlab-test/no-onnx'] = {
    files: new Map([...generator.files].filter(([name]) => !name.startsWith('onnx/'))),
  };
  hub = await startHubServer(repos);
});
afterAll(async () => {
  await hub.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('Hub models through Transformers.js', () => {
  it('generates what the PyTorch model generates, greedily, with its key/value cache', async () => {
    const progress: LoadProgress[] = [];
    const loaded = await loadHubPipeline('text-generation', {
      model: 'rmlab-test/tiny-generator',
      endpoint: hub.url,
      onProgress: (p) => progress.push(p),
    });
    expect(loaded.device).toBe('cpu');
    expect(loaded.dtype).toBe('fp32'); // the only weights the repository has
    expect(progress.some((p) => p.file === 'onnx/model.onnx' && p.fileLoaded === p.fileTotal)).toBe(true);
    const { tokenizer, model } = loaded.pipeline;
    for (const c of reference('tiny-generator').cases) {
      const inputs = tokenizer(c.prompt!);
      expect(Array.from(inputs.input_ids.data as BigInt64Array, Number)).toEqual(c.input_ids);
      const out = (await model.generate({ ...inputs, max_new_tokens: 12, do_sample: false })) as {
        data: BigInt64Array;
      };
      expect(Array.from(out.data, Number).slice(c.input_ids.length)).toEqual(c.greedy_new_ids);
    }
  });

  it('embeds as the PyTorch BERT does (mean over tokens)', async () => {
    const { pipeline } = await loadHubPipeline('feature-extraction', {
      model: 'rmlab-test/tiny-embedder',
      endpoint: hub.url,
    });
    for (const c of reference('tiny-embedder').cases) {
      const out = await pipeline(c.text!, { pooling: 'mean' });
      const got = Array.from(out.data as Float32Array);
      expect(got).toHaveLength(c.mean_pooled!.length);
      got.forEach((v, i) => expect(v).toBeCloseTo(c.mean_pooled![i]!, 4));
    }
  });

  it("scores with the judge's one logit as the PyTorch model does", async () => {
    const { pipeline } = await loadHubPipeline('text-classification', {
      model: 'rmlab-test/tiny-judge',
      endpoint: hub.url,
    });
    const cases = reference('tiny-judge').cases;
    const inputs = pipeline.tokenizer(
      cases.map((c) => c.text!),
      { padding: true },
    );
    const { logits } = (await pipeline.model(inputs)) as { logits: { dims: number[]; data: Float32Array } };
    expect(logits.dims).toEqual([cases.length, 1]);
    cases.forEach((c, i) => expect(logits.data[i]).toBeCloseTo(c.logit!, 4));
  });

  it('says what is wrong with a model it cannot load', async () => {
    const load = (task: 'text-generation' | 'text-classification', model: string) =>
      loadHubPipeline(task, { model, endpoint: hub.url });
    await expect(load('text-generation', 'not a model id')).rejects.toThrow(/not a Hugging Face model id/);
    await expect(load('text-generation', 'rmlab-test/nothing-here')).rejects.toThrow(
      /the Hub has no public repository rmlab-test\/nothing-here/,
    );
    await expect(load('text-generation', 'rmlab-test/tiny-judge')).rejects.toThrow(
      /rmlab-test\/tiny-judge is a BertForSequenceClassification, not a text generator/,
    );
    await expect(load('text-classification', 'rmlab-test/tiny-embedder')).rejects.toThrow(
      /is a BertModel, not a sequence-classification \(reward\) model/,
    );
    await expect(load('text-generation', 'rmlab-test/no-onnx')).rejects.toThrow(
      /rmlab-test\/no-onnx has no ONNX weights/,
    );
  });

  describe('downloads that go wrong', () => {
    let stall: StallServer;
    beforeAll(async () => {
      stall = await startStallServer();
    });
    afterAll(() => stall.close());

    it('gives up on a Hub that stops sending, and stops when cancelled', async () => {
      // A Hub that answers nothing at all: the stall timeout, not a hang.
      await expect(
        loadHubPipeline('text-generation', {
          model: 'rmlab-test/tiny-generator',
          endpoint: `${stall.url}/silent`,
          stallMs: 300,
        }),
      ).rejects.toThrow(/stalled: nothing arrived for 0.3 s/);

      // The graph downloads slowly; cancelling stops it where it is.
      hub.slowdown = 200;
      const controller = new AbortController();
      const progress: LoadProgress[] = [];
      const loading = loadHubPipeline('text-generation', {
        model: 'rmlab-test/slow-generator',
        endpoint: hub.url,
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.file === 'onnx/model.onnx' && p.fileLoaded > 0) controller.abort();
        },
      });
      try {
        await expect(loading).rejects.toBeInstanceOf(LoadCancelled);
      } finally {
        hub.slowdown = 0;
      }
      expect(progress.at(-1)!.fileLoaded).toBeLessThan(progress.at(-1)!.fileTotal!);

      // A download that starts and then stalls names the file.
      hub.slowdown = 5_000;
      try {
        const stalled = loadHubPipeline('text-generation', {
          model: 'rmlab-test/stalling-generator',
          endpoint: hub.url,
          stallMs: 500,
        });
        await expect(stalled).rejects.toBeInstanceOf(DownloadStalled);
        await expect(stalled).rejects.toThrow(/the download of .+ stalled/);
      } finally {
        hub.slowdown = 0;
      }
    });
  });
});
