// A reference judge beside the user's model in batch scoring and the regression report, in the
// worker's code with the real Transformers.js in Node (ONNX Runtime's CPU build): the tiny one-label
// judge of tests/fixtures/hub-models served from a Hub on 127.0.0.1, the user's model a tiny built-in
// one stored in IndexedDB (fake-indexeddb).
// - Batch: every row gets "judge_reward(s)", the judge's own reward of that (prompt, response) as it
//   scores it alone; the CSV download has a line per response with both columns; the rank correlation
//   is that of the two columns; progress names the judge, and Cancel stops it between batches.
// - Regression: the judge's verdict beside each most-different prompt, its rewards those it gives alone.
// - A judge the page names that the worker no longer holds is refused in words.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import Papa from 'papaparse';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spearman } from '../../src/core/eval/judge-agreement.ts';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { openLabDB, type ModelCard } from '../../src/store/db.ts';
import { saveModelWithCard } from '../../src/store/models.ts';
import { scoringApi } from '../../src/worker/api/scoring.ts';
import { setHubFileCache } from '../../src/worker/hub-pipelines.ts';
import { JudgeSession } from '../../src/worker/judge-session.ts';
import { ScoringSession, type ScoreProgress } from '../../src/worker/scoring.ts';
import { hubModelFixtures, startHubServer, type HubServer } from '../hub-server.ts';

const tokenizer = builtinTokenizer();
const spec: ModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: {
    vocabSize: tokenizer.vocabSize,
    maxLength: 32,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    dFF: 32,
    pooling: 'cls',
  },
};
const db = () => openLabDB('judge-batch-test');
const card: ModelCard = { id: 'm1', name: 'model 1', origin: 'import', spec, createdAt: 1 };
const cacheDir = mkdtempSync(join(tmpdir(), 'rmlab-judge-batch-'));
let hub: HubServer;
const judges = new JudgeSession();
const JUDGE = 'rmlab-test/tiny-judge';

beforeAll(async () => {
  await tf.setBackend('cpu');
  setHubFileCache(cacheDir);
  hub = await startHubServer(hubModelFixtures());
  const model = RewardModel.create(spec, 3);
  await saveModelWithCard(await db(), { runId: 'm1', spec, weights: await model.getWeights(), savedAt: 1 }, card);
  model.dispose();
  await judges.load(JUDGE, hub.url);
});
afterAll(async () => {
  await judges.unload();
  await hub.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const blob = (rows: unknown[]) => new Blob([rows.map((r) => JSON.stringify(r)).join('\n')]);
const rows = Array.from({ length: 40 }, (_, i) =>
  i % 4 === 0
    ? { id: i, prompt: `question ${i}`, responses: ['yes', `a longer answer to ${i}`, '=SUM(A1:A2)'] }
    : { id: i, prompt: `question ${i}`, response: `answer ${'word '.repeat(i % 9)}` },
);

describe('batch scoring with a reference judge', () => {
  it("adds the judge's reward of every response, in the JSONL and the CSV, with its agreement", async () => {
    const session = new ScoringSession(db, () => false);
    await session.load(card);
    const api = scoringApi(session, judges);
    const progress: ScoreProgress[] = [];
    const result = await api.batchScore(blob(rows) as File, (p) => progress.push(p), JUDGE);
    expect(result).toMatchObject({ rows: 40, responses: 60 });
    expect(result.judge?.model).toBe(JUDGE);

    // The judge's rewards are those it gives each (prompt, response) scored alone.
    const items = rows.flatMap((r) =>
      r.responses
        ? r.responses.map((response) => ({ prompt: r.prompt, response }))
        : [{ prompt: r.prompt, response: r.response! }],
    );
    const alone = await judges.score(items);
    result.judge!.rewards.forEach((r, i) => expect(r).toBeCloseTo(alone[i]!, 4));
    expect(result.judge!.agreement.spearman).toBeCloseTo(spearman(result.rewards, result.judge!.rewards), 12);
    expect(result.judge!.agreement).toMatchObject({ responses: 60, rowsWithChoice: 10 });

    const jsonl = (await result.file.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jsonl[0]).toMatchObject({ id: 0, rewards: expect.any(Array), judge_rewards: expect.any(Array) });
    expect(jsonl[0].judge_rewards[1]).toBeCloseTo(alone[1]!, 4);
    expect(jsonl[1]).toMatchObject({ id: 1, reward: expect.any(Number), judge_reward: expect.any(Number) });

    const csv = Papa.parse<string[]>((await result.csv.text()).trim()).data;
    expect(csv[0]).toEqual(['line', 'prompt', 'response_index', 'response', 'reward', 'judge_reward']);
    expect(csv).toHaveLength(61);
    expect(csv[1]!.slice(0, 4)).toEqual(['1', 'question 0', '0', 'yes']);
    expect(Number(csv[1]![4])).toBeCloseTo(result.rewards[0]!, 5);
    expect(Number(csv[1]![5])).toBeCloseTo(alone[0]!, 4);
    // A response a spreadsheet would run as a formula is written as text.
    expect(csv[3]![3]).toBe("'=SUM(A1:A2)");

    // Progress names the judge, and never goes back.
    expect(progress.some((p) => p.phase === `scoring with the reference judge ${JUDGE}`)).toBe(true);
    const done = progress.map((p) => p.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(progress.at(-1)!.total);
    session.unload();
  });

  it('stops when cancelled (a message, as from the page) while the judge scores', async () => {
    const session = new ScoringSession(db, () => false);
    await session.load(card);
    const api = scoringApi(session, judges);
    let sent = false;
    const many = Array.from({ length: 300 }, (_, i) => ({ prompt: `q${i}`, response: `r${i}` }));
    const run = api.batchScore(
      blob(many) as File,
      (p) => {
        // As the page's Cancel arrives: in a later task of the event loop. (Node's ONNX Runtime yields
        // by itself; the browser's WASM build does not, which tests/e2e/quick-head.test.ts checks.)
        if (p.phase.includes('reference judge') && !sent) {
          sent = true;
          setTimeout(() => api.cancelScoring(), 0);
        }
      },
      JUDGE,
    );
    await expect(run).rejects.toThrow(/cancelled/);
    session.unload();
  });

  it('refuses a judge the worker no longer holds', async () => {
    const session = new ScoringSession(db, () => false);
    await session.load(card);
    const api = scoringApi(session, judges);
    await expect(api.batchScore(blob(rows) as File, () => {}, 'someone/else')).rejects.toThrow(
      'the reference judge someone/else is no longer loaded: load it again',
    );
    session.unload();
  });
});

describe('the regression report with a reference judge', () => {
  it("gives the judge's verdict per prompt beside the two versions, and its agreement", async () => {
    const session = new ScoringSession(db, () => false);
    await session.load(card);
    const api = scoringApi(session, judges);
    const file = blob(
      Array.from({ length: 12 }, (_, i) => ({
        prompt: `prompt ${i}`,
        responses: { v1: `short ${i}`, v2: `a much longer answer number ${i} ${'more '.repeat(i)}` },
      })),
    ) as File;
    const result = await api.regression({ kind: 'file', file }, () => {}, JUDGE);
    expect(result.judgeModel).toBe(JUDGE);
    const view = result.report.judge!;
    expect(view.agreement[0]).toMatchObject({ n: 12 });
    expect(view.winRates[0]!.n).toBe(12);
    for (const p of result.report.mostDifferent[0]!) {
      const [x, y] = await judges.score([
        { prompt: p.prompt, response: p.x.response },
        { prompt: p.prompt, response: p.y.response },
      ]);
      expect(p.x.judgeReward).toBeCloseTo(x!, 4);
      expect(p.y.judgeReward).toBeCloseTo(y!, 4);
    }
    // Without a judge: no judge view.
    const plain = await api.regression({ kind: 'file', file }, () => {});
    expect(plain.report.judge).toBeUndefined();
    session.unload();
  });
});
