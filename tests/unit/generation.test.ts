// Generating responses in the worker (src/worker/generation.ts) with the real Transformers.js in
// Node, on the tiny generator served from 127.0.0.1: N responses a prompt, streamed text that adds
// up to each response, the stop reasons, Cancel in the middle of a response (what was finished is
// kept), bad settings and a bad model named plainly; and the file two setups' answers make
// (src/core/generate/answers.ts), read back by the regression and labelling readers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersFile, chatMessages, promptList, type GeneratedResponse } from '../../src/core/generate/answers.ts';
import { parseGenerationSettings, settingsLabel } from '../../src/core/generate/settings.ts';
import { readCandidates } from '../../src/core/collect/candidates.ts';
import { parseRegressionRow } from '../../src/core/eval/score-rows.ts';
import { GenerationCancelled, GenerationSession, type GenerationEvent } from '../../src/worker/generation.ts';
import { setHubFileCache } from '../../src/worker/hub-pipelines.ts';
import { hubModelFixtures, startHubServer, type HubServer } from '../hub-server.ts';

let hub: HubServer;
const cacheDir = mkdtempSync(join(tmpdir(), 'rmlab-gen-'));
beforeAll(async () => {
  setHubFileCache(cacheDir);
  hub = await startHubServer(hubModelFixtures());
});
afterAll(async () => {
  await hub.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const MODEL = 'rmlab-test/tiny-generator';

describe('generating responses in the worker', () => {
  it('streams N responses a prompt, each the sum of its streamed text, with its stop reason', async () => {
    const session = new GenerationSession();
    const events: GenerationEvent[] = [];
    const settings = { model: MODEL, temperature: 0.9, topP: 0.95, maxNewTokens: 8, responses: 3 };
    const responses = await session.generate(
      {
        prompts: ['what is the capital of france?', [{ role: 'user', content: 'write a poem' }]],
        settings,
        endpoint: hub.url,
      },
      (e) => events.push(e),
    );
    expect(responses.map((r) => r.prompt)).toEqual([0, 0, 0, 1, 1, 1]);
    const version = settingsLabel(parseGenerationSettings(settings));
    for (const [i, r] of responses.entries()) {
      expect(r.version).toBe(version);
      const streamed = events
        .filter((e) => e.kind === 'token' && e.prompt === r.prompt && e.response === i % 3)
        .map((e) => (e as { text: string }).text)
        .join('');
      expect(streamed.trim()).toBe(r.text);
      expect(r.tokens).toBeGreaterThan(0);
      expect(r.tokens).toBeLessThanOrEqual(8);
      expect(r.finish).toBe(r.tokens === 8 ? 'length' : 'eos');
    }
    expect(events[0]!.kind).toBe('loading');
    expect(events.find((e) => e.kind === 'loaded')).toMatchObject({ model: MODEL, device: 'cpu', dtype: 'fp32' });
    expect(events.filter((e) => e.kind === 'response')).toHaveLength(6);

    // Greedy: every response the same; the model stays loaded (no second download).
    const before = hub.requests.length;
    const greedy = await session.generate(
      { prompts: ['write a poem about the sea'], settings: { ...settings, temperature: 0 }, endpoint: hub.url },
      () => {},
    );
    expect(new Set(greedy.map((r) => r.text)).size).toBe(1);
    expect(hub.requests.length).toBe(before);
  });

  it('stops in the middle of a response on Cancel, keeping what was finished', async () => {
    const session = new GenerationSession();
    let tokensOfSecond = 0;
    const run = session.generate(
      {
        prompts: ['what is the capital of france?'],
        settings: { model: MODEL, temperature: 1, maxNewTokens: 200, responses: 3 },
        endpoint: hub.url,
      },
      (e) => {
        if (e.kind === 'token' && e.response === 1 && ++tokensOfSecond === 2) session.cancel();
      },
    );
    const error = (await run.catch((e: unknown) => e)) as GenerationCancelled;
    expect(error).toBeInstanceOf(GenerationCancelled);
    expect(error.responses.map((r) => r.finish)).toEqual([expect.stringMatching(/eos|length/), 'cancelled']);
    expect(error.responses[1]!.tokens).toBeLessThan(200);
  });

  it('names a bad setting and a bad model before generating anything', async () => {
    const session = new GenerationSession();
    const ask = (settings: object) => session.generate({ prompts: ['hi'], settings, endpoint: hub.url }, () => {});
    await expect(ask({ model: MODEL, temperature: -1 })).rejects.toThrow(
      'Temperature: must be between 0 and 2 (got -1)',
    );
    await expect(ask({ model: MODEL, responses: 2.5 })).rejects.toThrow('Responses per prompt: must be a whole number');
    await expect(ask({ model: 'rmlab-test/missing' })).rejects.toThrow(/no public repository rmlab-test\/missing/);
    await expect(ask({ model: 'rmlab-test/tiny-embedder' })).rejects.toThrow(/not a text generator/);
  });
});

describe('the answers of two setups as one file', () => {
  it('writes one line a prompt that the regression and labelling readers take', async () => {
    const prompts = promptList('  first prompt \n\nsecond prompt\r\nthird prompt\n');
    expect(prompts).toEqual(['first prompt', 'second prompt', 'third prompt']);
    const r = (prompt: number, version: string, text: string, finish: GeneratedResponse['finish'] = 'eos') =>
      ({ prompt, version, text, tokens: 3, finish }) as GeneratedResponse;
    const text = answersFile(
      prompts,
      [r(0, 'A', 'a0'), r(0, 'B', 'b0'), r(0, 'A', 'a0 again'), r(1, 'A', 'a1'), r(1, 'B', 'b1 cut', 'cancelled')],
      'qa',
    );
    const lines = text.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { prompt: 'first prompt', task_type: 'qa', responses: { A: 'a0', B: 'b0' } },
      { prompt: 'second prompt', task_type: 'qa', responses: { A: 'a1' } },
    ]);
    const row = parseRegressionRow({ line: 1, text: lines[0]! });
    expect(row).toMatchObject({ ok: true, row: { prompt: 'first prompt', responses: { A: 'a0', B: 'b0' } } });
    const candidates = await readCandidates(lines.map((l, i) => ({ line: i + 1, text: l })));
    expect(candidates.items).toHaveLength(1); // the second prompt has one answer: nothing to compare
    expect(candidates.items[0]).toMatchObject({ responseA: 'a0', responseB: 'b0', modelA: 'A', modelB: 'B' });
    expect(candidates.rejected.map((x) => x.line)).toEqual([2]);
    expect(chatMessages('hi')).toEqual([{ role: 'user', content: 'hi' }]);
  });
});
