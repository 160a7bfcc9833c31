// A/B labelling from two generation setups, and the labelling queue ranked by a stored quick head:
// - the A/B report maps each label back to the setup that wrote the winner, whichever version is the
//   item's canonical A, counts ties half and both-bad apart, with the Wilson interval;
// - a run stopped half-way through setup B gives a regression file with every finished answer and a
//   project of the prompts both setups answered (read back through the candidates reader);
// - the quick head's member gaps in plain arithmetic (member-gaps.ts, what the labelling worker uses)
//   equal the tfjs head's (head.ts) on the same weights, linear and MLP;
// - QueueHeadJudge over the real store code (fake-indexeddb): P(A better) and disagreement for every
//   item from a stored head, embeddings cached per project (a second ranking embeds nothing), a
//   cancelled embedding keeps what it did, a model that is not a quick head is refused in words.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { abReport } from '../../src/core/collect/ab-report.ts';
import { makeItem, readCandidates } from '../../src/core/collect/candidates.ts';
import { firstGuidelines } from '../../src/core/collect/guidelines.ts';
import type { Label, LabelItem } from '../../src/core/collect/item.ts';
import type { LabelProject } from '../../src/core/collect/project.ts';
import { queueOrder } from '../../src/core/collect/queue.ts';
import { wilsonShare } from '../../src/core/data/stats/math.ts';
import { readLinesFromText } from '../../src/core/data/jsonl.ts';
import { answeredByAll, answersFile, type GeneratedResponse } from '../../src/core/generate/answers.ts';
import { embeddingText } from '../../src/core/quick-head/embedding-text.ts';
import { ensembleJudgements } from '../../src/core/quick-head/ensemble.ts';
import { QuickHead, type QuickHeadShape } from '../../src/core/quick-head/head.ts';
import { memberGaps } from '../../src/core/quick-head/member-gaps.ts';
import type { QuickHeadModelSpec } from '../../src/core/quick-head/spec.ts';
import { parseRegressionRow } from '../../src/core/eval/score-rows.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';
import type { ModelCard } from '../../src/store/db.ts';
import { projectEmbeddingKey, readEmbeddings } from '../../src/store/embeddings.ts';
import { createProject } from '../../src/store/labels.ts';
import { saveModelWithCard } from '../../src/store/models.ts';
import type { Embedder } from '../../src/worker/quick-head-session.ts';
import { QueueHeadJudge } from '../../src/worker/queue-head.ts';
import { freshDatabases } from '../fresh-db.ts';

const fresh = freshDatabases('ab-labelling');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function label(itemId: string, winner: Label['winner'], n: number): Label {
  return {
    id: `l${n}`,
    projectId: 'p',
    itemId,
    annotatorId: 'ann',
    winner,
    shownLeft: n % 2 ? 'a' : 'b',
    guidelineVersion: 1,
    timeTakenMs: 1000,
    timestamp: new Date(n * 1000).toISOString(),
  };
}

describe('the A/B report', () => {
  it('credits the setup that wrote the winner, whichever is canonical A, ties half, both-bad apart', () => {
    const setups = { a: 'zeta (T=0.7)', b: 'alpha (greedy)' };
    // canonical order is by code unit: "alpha" is every item's responseA, i.e. setup B
    const flipped = makeItem({ prompt: 'p1', responseA: 'b1', responseB: 'a1', modelA: setups.b, modelB: setups.a });
    const straight = makeItem({ prompt: 'p2', responseA: 'a2', responseB: 'b2', modelA: setups.a, modelB: setups.b });
    const other = makeItem({ prompt: 'p3', responseA: 'x', responseB: 'y', modelA: 'v1', modelB: 'v2' });
    const labels = [
      label(flipped.id, 'b', 1), // setup A wrote responseB: A wins
      label(flipped.id, 'a', 2), // B wins
      label(straight.id, 'a', 3), // A wins
      label(straight.id, 'tie', 4),
      label(straight.id, 'both_bad', 5),
      label(other.id, 'a', 6), // not an A/B item
    ];
    const report = abReport([flipped, straight, other], labels, setups);
    expect(report).toMatchObject({ aWins: 2, bWins: 1, ties: 1, bothBad: 1, n: 4 });
    expect(report.rate).toBeCloseTo(2.5 / 4, 12);
    expect(report.interval).toEqual(wilsonShare(2.5, 4));
    const none = abReport([straight], [], setups);
    expect(none.n).toBe(0);
    expect(none.rate).toBeNaN();
  });
});

describe('answers of two setups, stopped half-way', () => {
  const prompts = ['one?', 'two?', 'three?'];
  const responses: GeneratedResponse[] = [
    ...prompts.map((_, i) => ({ prompt: i, version: 'A', text: `A says ${i}`, tokens: 3, finish: 'eos' as const })),
    { prompt: 0, version: 'B', text: 'B says 0', tokens: 3, finish: 'length' },
    { prompt: 1, version: 'B', text: 'B sa', tokens: 2, finish: 'cancelled' },
  ];

  it('keeps every finished answer in the regression file and only complete prompts for the project', async () => {
    expect([...answeredByAll(responses, ['A', 'B'])]).toEqual([0]);
    const file = answersFile(prompts, responses);
    const rows = file
      .trim()
      .split('\n')
      .map((text, i) => parseRegressionRow({ line: i + 1, text }));
    expect(rows.map((r) => (r.ok ? Object.keys(r.row.responses) : r))).toEqual([['A', 'B'], ['A'], ['A']]);
    // the cut-short answer is nowhere
    expect(file).not.toContain('B sa"');
    const both = answeredByAll(responses, ['A', 'B']);
    const candidates = await readCandidates(
      readLinesFromText(
        answersFile(
          prompts,
          responses.filter((r) => both.has(r.prompt)),
        ),
      ),
    );
    expect(candidates.rejected).toEqual([]);
    expect(candidates.items).toHaveLength(1);
    expect(candidates.items[0]).toMatchObject({ prompt: 'one?', modelA: 'A', modelB: 'B', responseA: 'A says 0' });
  });
});

function vectors(n: number, size: number, seed: number): Float32Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => random() * 2 - 1));
}

describe("the quick head's member gaps without tfjs", () => {
  for (const kind of ['linear', 'mlp'] as const) {
    it(`equal the tfjs head's, ${kind}, three members`, async () => {
      const shape: QuickHeadShape = { head: kind, inputSize: 12, hiddenUnits: 5, members: 3 };
      const head = QuickHead.create(shape, 7);
      // non-zero hidden biases, so the MLP's ReLU sees both signs
      if (kind === 'mlp')
        for (let k = 0; k < 3; k++)
          head.params.get(`member${k}.hidden.bias`)!.assign(tf.randomNormal([5], 0, 0.5, 'float32', k));
      const a = vectors(9, 12, 1);
      const b = vectors(9, 12, 2);
      const gaps = memberGaps(shape, await head.getWeights(), a, b);
      const stack = (vs: Float32Array[]) => tf.tensor2d(vs.map((v) => [...v]));
      const ra = head.memberRewards(stack(a)); // [K, n]
      const rb = head.memberRewards(stack(b));
      const expected = (await tf.sub(ra, rb).data()) as Float32Array;
      for (let i = 0; i < expected.length; i++) expect(gaps[i]).toBeCloseTo(expected[i]!, 5);
      head.dispose();
    });
  }

  it('refuses weights of another shape and vectors of another size', async () => {
    const shape: QuickHeadShape = { head: 'linear', inputSize: 4, hiddenUnits: 1, members: 1 };
    const w = [{ name: 'member0.out.weight', shape: [3, 1], data: new Float32Array(3) }];
    expect(() => memberGaps(shape, w, [], [])).toThrow(/member0.out.weight is missing or not of shape \[4,1\]/);
    const ok = [{ name: 'member0.out.weight', shape: [4, 1], data: new Float32Array(4) }];
    expect(() => memberGaps(shape, ok, [new Float32Array(3)], [new Float32Array(3)])).toThrow(
      /vectors of 3 floats; this head was trained on 4/,
    );
  });
});

const SIZE = 8;
/** A deterministic stand-in for a Hub encoder: a text's vector from its characters; calls counted. */
function fakeEmbedder(): Embedder & { texts: string[] } {
  const texts: string[] = [];
  return {
    runtime: 'test',
    maxLength: undefined,
    texts,
    async embed(batch) {
      texts.push(...batch);
      return batch.map((t) =>
        Float32Array.from({ length: SIZE }, (_, d) => Math.sin((d + 1) * t.length + t.charCodeAt(d % t.length))),
      );
    },
  };
}

function project(id: string, itemCount: number): LabelProject {
  return {
    id,
    name: id,
    createdAt: 0,
    source: { kind: 'generated', name: id },
    seed: 5,
    strategy: 'uncertainty',
    overlapShare: 0,
    updateEvery: 5,
    taskTypes: [],
    guidelines: [firstGuidelines(new Date(0))],
    itemCount,
    rejected: [],
    lineCount: itemCount,
  };
}

async function storeHead(db: Awaited<ReturnType<typeof fresh>>['db'], id: string, members: number) {
  const shape: QuickHeadShape = { head: 'linear', inputSize: SIZE, hiddenUnits: 4, members };
  const spec: QuickHeadModelSpec = {
    encoder: 'frozen-hub',
    tokenizer: 'hub',
    embedding: { model: 'rmlab-test/tiny-embedder', revision: 'main', pooling: 'mean', normalize: true },
    head: shape,
  };
  const head = QuickHead.create(shape, 3);
  const weights = await head.getWeights();
  head.dispose();
  const card = { id, name: id, origin: 'quick-head', spec, createdAt: 0 } as ModelCard;
  await saveModelWithCard(db, { runId: id, spec, weights, savedAt: 0 }, card);
  return { shape, weights };
}

describe('the labelling queue ranked by a stored quick head', () => {
  const items: LabelItem[] = Array.from({ length: 20 }, (_, i) =>
    makeItem({
      prompt: `prompt ${i}`,
      responseA: `answer A${'!'.repeat(i)}`,
      responseB: `B ${i}`,
      modelA: 'A',
      modelB: 'B',
    }),
  );

  it("gives each item P(A better) and its members' disagreement, and caches the embeddings", async () => {
    const { db } = await fresh();
    await createProject(db, project('p', items.length), items);
    const { shape, weights } = await storeHead(db, 'head3', 3);
    const embedder = fakeEmbedder();
    const judge = new QueueHeadJudge(
      async () => db,
      async () => embedder,
    );
    const progress: number[] = [];
    const first = await judge.judge({ projectId: 'p', modelId: 'head3' }, (p) => {
      if (p.kind === 'embedding') progress.push(p.progress.done);
    });
    expect(first).toMatchObject({ members: 3, embedded: 20, fromCache: 0 });
    expect(progress.at(-1)).toBe(20);
    // what the encoder read: prompt + response, as the head was trained
    expect(embedder.texts).toContain(embeddingText(items[3]!.prompt, items[3]!.responseB));
    // the same numbers as the head's maths on the encoder's vectors
    const a = await embedder.embed(items.map((it) => embeddingText(it.prompt, it.responseA)));
    const b = await embedder.embed(items.map((it) => embeddingText(it.prompt, it.responseB)));
    const expected = ensembleJudgements(memberGaps(shape, weights, a, b), 3, items.length);
    items.forEach((item, i) => {
      expect(first.probabilityA.get(item.id)).toBeCloseTo(expected[i]!.probabilityA, 6);
      expect(first.disagreement.get(item.id)).toBeCloseTo(expected[i]!.disagreement, 6);
    });
    expect([...first.disagreement.values()].some((d) => d > 0)).toBe(true);
    // the queue puts the most disputed item first
    const order = queueOrder(items, [], {
      strategy: 'uncertainty',
      seed: 5,
      annotatorId: 'ann',
      overlapShare: 0,
      probabilityA: first.probabilityA,
      disagreement: first.disagreement,
    });
    const top = Math.max(...first.disagreement.values());
    expect(first.disagreement.get(order[0]!.id)).toBe(top);

    embedder.texts.length = 0;
    const again = await judge.judge({ projectId: 'p', modelId: 'head3' }, () => {});
    expect(again).toMatchObject({ embedded: 0, fromCache: 20 });
    expect(embedder.texts).toEqual([]);
    expect(again.disagreement).toEqual(first.disagreement);
    const cached = await readEmbeddings(db, projectEmbeddingKey('p'), 'rmlab-test/tiny-embedder@main:mean:normalized');
    expect(cached.vectors.size).toBe(20);
  });

  it('keeps what it embedded when cancelled, and refuses a model that is not a quick head', async () => {
    const { db } = await fresh();
    const many = Array.from({ length: 70 }, (_, i) =>
      makeItem({ prompt: `q${i}`, responseA: `a${i}`, responseB: `bb${i}` }),
    );
    await createProject(db, project('p2', many.length), many);
    await storeHead(db, 'head1', 1);
    const embedder = fakeEmbedder();
    const judge = new QueueHeadJudge(
      async () => db,
      async () => embedder,
    );
    const run = judge.judge({ projectId: 'p2', modelId: 'head1' }, (p) => {
      // stop after the first chunk of 32 items is stored
      if (p.kind === 'embedding' && p.progress.done >= 32) judge.cancel();
    });
    await expect(run).rejects.toThrow('ranking by the quick head was cancelled');
    const kept = await readEmbeddings(db, projectEmbeddingKey('p2'), 'rmlab-test/tiny-embedder@main:mean:normalized');
    expect(kept.vectors.size).toBe(32);
    const resumed = await judge.judge({ projectId: 'p2', modelId: 'head1' }, () => {});
    expect(resumed).toMatchObject({ embedded: 38, fromCache: 32, members: 1 });
    expect([...resumed.disagreement.values()].every((d) => d === 0)).toBe(true);

    await saveModelWithCard(
      db,
      { runId: 'run-model', spec: { encoder: 'builtin' } as never, weights: [], savedAt: 0 },
      { id: 'run-model', name: 'run', origin: 'run', spec: { encoder: 'builtin' } as never, createdAt: 0 },
    );
    await expect(judge.judge({ projectId: 'p2', modelId: 'run-model' }, () => {})).rejects.toThrow(
      'the model picked for the queue is not a quick head',
    );
    await expect(judge.judge({ projectId: 'p2', modelId: 'gone' }, () => {})).rejects.toThrow(/no longer stored/);
  });
});
