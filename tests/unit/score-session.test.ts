// The worker's scoring session on a model stored in IndexedDB (fake-indexeddb in Node, cpu
// backend): batch scoring a file gives every good row the reward scoreTexts gives it, in file
// order, names the bad lines, and stops when cancelled; switching models frees the first one;
// a regression file with one version is refused in plain words.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RewardModel, type ModelSpec } from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import { scoreTexts } from '../../src/core/eval/score.ts';
import { openLabDB, type ModelCard } from '../../src/store/db.ts';
import { saveModelWithCard } from '../../src/store/models.ts';
import { ScoringSession } from '../../src/worker/scoring.ts';

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
    dFF: 64,
    pooling: 'cls',
  },
};
const db = () => openLabDB('score-session-test');
const cards: ModelCard[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const seed of [1, 2]) {
    const model = RewardModel.create(spec, seed);
    const id = `m${seed}`;
    const card: ModelCard = { id, name: `model ${seed}`, origin: 'import', spec, createdAt: seed };
    await saveModelWithCard(await db(), { runId: id, spec, weights: await model.getWeights(), savedAt: seed }, card);
    model.dispose();
    cards.push(card);
  }
});

const blob = (lines: string[]) => new Blob([lines.join('\n')], { type: 'application/jsonl' });

describe('scoring session', () => {
  it('batch-scores a file: the same rows in order, rewards as scoreTexts gives them, bad lines named', async () => {
    const session = new ScoringSession(db, () => false);
    await expect(session.load(cards[0]!)).resolves.toMatchObject({ id: 'm1', maxLength: 32, backend: 'cpu' });
    const lines: string[] = [];
    for (let i = 0; i < 700; i++) {
      lines.push(
        i % 5 === 0
          ? JSON.stringify({ n: i, prompt: `q${i}`, responses: ['yes', `a longer answer to ${i}`] })
          : JSON.stringify({ n: i, prompt: `question ${i}`, response: `answer ${'word '.repeat(i % 40)}` }),
      );
    }
    lines.splice(3, 0, 'not json');
    const progress: number[] = [];
    const result = await session.batchScore(
      blob(lines),
      (p) => progress.push(p.done),
      () => false,
    );
    expect(result.rows).toBe(700);
    expect(result.responses).toBe(840);
    expect(result.rejected).toEqual([{ line: 4, reason: 'not valid JSON', excerpt: '"not json"' }]);
    expect(result.preview).toHaveLength(20);
    expect(progress.length).toBeGreaterThan(1); // more than one chunk of 512 responses
    const out = (await result.file.text())
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            n: number;
            prompt: string;
            response?: string;
            responses?: string[];
            reward?: number;
            rewards?: number[];
          },
      );
    expect(out.map((r) => r.n)).toEqual(Array.from({ length: 700 }, (_, i) => i));
    const items = out.flatMap((r) =>
      (r.responses ?? [r.response!]).map((response) => ({ prompt: r.prompt, response })),
    );
    const { model } = await loaded(cards[0]!);
    const expected = await scoreTexts(model, tokenizer, items, { maxLength: 32 });
    model.dispose();
    const got = out.flatMap((r) => r.rewards ?? [r.reward!]);
    got.forEach((g, i) => expect(g, `response ${i}`).toBeCloseTo(expected[i]!, 5));
    expect(result.rewards).toEqual(got);
    session.unload();
  });

  it('frees the first model when another is loaded, and everything when unloaded', async () => {
    const before = tf.memory().numTensors;
    const session = new ScoringSession(db, () => false);
    await session.load(cards[0]!);
    const one = tf.memory().numTensors;
    const [a] = await session.score([{ prompt: 'p', response: 'r' }]);
    await session.load(cards[1]!);
    expect(tf.memory().numTensors).toBe(one); // the same shape, the first one's tensors gone
    const [b] = await session.score([{ prompt: 'p', response: 'r' }]);
    expect(a).not.toBe(b);
    session.unload();
    expect(tf.memory().numTensors).toBe(before);
    await expect(session.score([{ prompt: 'p', response: 'r' }])).rejects.toThrow('no model is loaded');
  });

  it('stops a batch when cancelled, and refuses a regression file with one version', async () => {
    const session = new ScoringSession(db, () => false);
    await session.load(cards[0]!);
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ prompt: `q${i}`, response: `a${i}` }));
    let chunks = 0;
    await expect(
      session.batchScore(
        blob(lines),
        () => chunks++,
        () => chunks >= 1,
      ),
    ).rejects.toThrow(/cancelled/);
    expect(chunks).toBe(1);
    const one = [
      JSON.stringify({ prompt: 'p', model: 'v1', response: 'a' }),
      JSON.stringify({ prompt: 'q', model: 'v1', response: 'b' }),
    ];
    await expect(
      session.regressionFromFile(
        blob(one),
        () => {},
        () => false,
      ),
    ).rejects.toThrow('has responses from 1 model version; a comparison needs two or more');
    const two = [JSON.stringify({ prompt: 'p', task_type: 't', responses: { v1: 'a', v2: 'a longer b' } }), 'oops'];
    const regression = await session.regressionFromFile(
      blob(two),
      () => {},
      () => false,
    );
    expect(regression.report.versions.map((v) => v.version).sort()).toEqual(['v1', 'v2']);
    expect(regression.rejected).toEqual([{ line: 2, reason: 'not valid JSON', excerpt: '"oops"' }]);
    expect(regression.responses).toBe(2);
    session.unload();
  });
});

/** The stored model rebuilt independently of the session, for the reference rewards. */
async function loaded(card: ModelCard) {
  const { getModelRecord } = await import('../../src/store/models.ts');
  const record = (await getModelRecord(await db(), card.id))!;
  return { model: RewardModel.fromWeights(record.spec, record.weights) };
}
