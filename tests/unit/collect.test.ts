// Labelling projects in core: candidates in, the left/right draw, labels as pairs and back, agreement
// against scikit-learn, merging annotators' files, the queue's order, the workshop link.
import { ensembleJudgements } from '../../src/core/quick-head/ensemble.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { annotatorSummaries, overlapKappas } from '../../src/core/collect/agreement.ts';
import { makeItem, readCandidates } from '../../src/core/collect/candidates.ts';
import { reviseGuidelines, firstGuidelines } from '../../src/core/collect/guidelines.ts';
import { choiceOfWinner, winnerOfChoice, type Label, type LabelItem } from '../../src/core/collect/item.ts';
import { labelFromPair, labelToPair, LabelFileError } from '../../src/core/collect/labels.ts';
import { mergeLabels } from '../../src/core/collect/merge.ts';
import { PreferenceHead, responseFeatures } from '../../src/core/collect/preference-head.ts';
import { isOverlapItem, queueOrder } from '../../src/core/collect/queue.ts';
import { shownLeft } from '../../src/core/collect/sides.ts';
import { decodeTaskLink, encodeTaskLink, type LabelTask } from '../../src/core/collect/task-link.ts';
import { exportJsonl } from '../../src/core/data/export.ts';
import type { Line } from '../../src/core/data/jsonl.ts';
import { parsePairs } from '../../src/core/data/parse.ts';
import { normalQuantile } from '../../src/core/data/stats/math.ts';

const lines = (...rows: (object | string)[]): Line[] =>
  rows.map((r, i) => ({ line: i + 1, text: typeof r === 'string' ? r : JSON.stringify(r) }));

function label(item: LabelItem, annotatorId: string, winner: Label['winner'], n: number): Label {
  return {
    id: `l${n}`,
    projectId: 'p',
    itemId: item.id,
    annotatorId,
    winner,
    shownLeft: shownLeft(1, item.id, annotatorId),
    guidelineVersion: 1,
    timeTakenMs: 4000,
    timestamp: new Date(Date.UTC(2026, 11, 6, 10, 0, n)).toISOString(),
  };
}

describe('candidates', () => {
  it('reads the regression layouts, pair rows without a winner, and rejects what cannot be compared', async () => {
    const got = await readCandidates(
      lines(
        { prompt: 'p1', task_type: 'qa', responses: { v2: 'two', v1: 'one', v3: 'three' } },
        { prompt: 'p2', model: 'v1', response: 'x' },
        { prompt: 'p2', model: 'v2', response: 'y' },
        { prompt: 'p3', model: 'v1', response: 'same' },
        { prompt: 'p3', model: 'v2', response: 'same' },
        { prompt: 'p4', response_a: 'left <b>', response_b: 'right', model_a_version: 'm1', winner: 'response_a' },
        { prompt: 'p5', response_a: 'same', response_b: 'same' },
        'not json',
        { prompt: 'p6', responses: { v1: 'only' } },
      ),
    );
    expect(got.lines).toBe(9);
    // p1: 3 versions -> 3 pairs, A is the version first in order; p2 -> 1; p4 -> 1
    expect(got.items.map((i) => [i.prompt, i.modelA, i.modelB])).toEqual([
      ['p4', 'm1', undefined],
      ['p1', 'v1', 'v2'],
      ['p1', 'v1', 'v3'],
      ['p1', 'v2', 'v3'],
      ['p2', 'v1', 'v2'],
    ]);
    expect(got.items[1]).toMatchObject({ responseA: 'one', responseB: 'two', taskType: 'qa', line: 1 });
    expect(got.rejected.map((r) => [r.line, r.reason])).toEqual([
      [4, 'this prompt (lines 4, 5) has only one distinct response: a comparison needs two'],
      [7, '"response_a" and "response_b" are the same text: nothing to compare'],
      [8, expect.stringContaining('not valid JSON')],
      [9, 'this prompt has only one distinct response: a comparison needs two'],
    ]);
  });

  it('gives the same comparison the same id in any file, and keeps a repeated one once', async () => {
    const row = { prompt: 'q', response_a: 'a', response_b: 'b' };
    const got = await readCandidates(lines(row, row));
    expect(got.items).toHaveLength(1);
    expect(got.duplicates).toBe(1);
    expect(got.items[0]!.id).toBe(makeItem({ prompt: 'q', responseA: 'a', responseB: 'b' }).id);
  });
});

describe('the left/right draw', () => {
  it('shows A on the left for half of 1,000 items, within the 99% interval', () => {
    const n = 1000;
    let aLeft = 0;
    for (let i = 0; i < n; i++) if (shownLeft(7, `item-${i}`, 'ann') === 'a') aLeft++;
    const half = normalQuantile(0.995) * Math.sqrt(n * 0.25);
    expect(Math.abs(aLeft - n / 2)).toBeLessThan(half);
    // a fixed draw: the same after a reload, another for another annotator or seed
    expect(shownLeft(7, 'item-1', 'ann')).toBe(shownLeft(7, 'item-1', 'ann'));
    const differs = Array.from(
      { length: 50 },
      (_, i) => shownLeft(7, `item-${i}`, 'ann') !== shownLeft(7, `item-${i}`, 'other'),
    );
    expect(differs.some(Boolean)).toBe(true);
  });

  it('maps what was pressed to the canonical winner and back', () => {
    expect(winnerOfChoice('left', 'b')).toBe('b');
    expect(winnerOfChoice('right', 'b')).toBe('a');
    expect(winnerOfChoice('left', 'a')).toBe('a');
    expect(winnerOfChoice('tie', 'b')).toBe('tie');
    for (const side of ['a', 'b'] as const) {
      for (const choice of ['left', 'right', 'tie', 'both_bad'] as const) {
        expect(choiceOfWinner(winnerOfChoice(choice, side), side)).toBe(choice);
      }
    }
  });
});

describe('labels are ordinary pairs', () => {
  it('exports RM Lab records with the labelling fields and reads them back to the same label', async () => {
    const item = makeItem({ prompt: 'p', responseA: 'x', responseB: 'y', modelA: 'v1', modelB: 'v2', taskType: 't' });
    const l: Label = { ...label(item, 'ann', 'b', 1), comment: 'y is <i>shorter</i>' };
    const { text } = exportJsonl([labelToPair(item, l)], 'rmlab');
    const record = JSON.parse(text);
    expect(record).toMatchObject({
      prompt: 'p',
      response_a: 'x',
      response_b: 'y',
      winner: 'response_b',
      model_a_version: 'v1',
      model_b_version: 'v2',
      annotator_id: 'ann',
      task_type: 't',
      timestamp: l.timestamp,
      shown_left: l.shownLeft === 'a' ? 'response_a' : 'response_b',
      guideline_version: 1,
      time_taken_ms: 4000,
      comment: 'y is <i>shorter</i>',
    });
    const parsed = [];
    for await (const p of parsePairs(lines(text.trim()))) parsed.push(p);
    expect(parsed[0]!.kind).toBe('pair');
    const back = labelFromPair((parsed[0] as { pair: Parameters<typeof labelFromPair>[0] }).pair, 'p', 'l1');
    expect(back.item).toEqual(item);
    expect(back.label).toEqual(l);
  });

  it('refuses an ordinary dataset row as a label, naming the field', () => {
    expect(() => labelFromPair({ prompt: 'p', responseA: 'x', responseB: 'y', winner: 'a' }, 'p', 'l')).toThrow(
      LabelFileError,
    );
    expect(() => labelFromPair({ prompt: 'p', responseA: 'x', responseB: 'y', winner: 'a' }, 'p', 'l')).toThrow(
      /"shown_left"/,
    );
  });
});

describe('agreement against scikit-learn (scripts/reference/collect_reference.py)', () => {
  const fixture = JSON.parse(readFileSync('tests/fixtures/collect/agreement.json', 'utf8'));
  const labels: Label[] = fixture.labels;

  it("gives sklearn's Cohen's kappa for every pair of annotators", () => {
    const got = overlapKappas(labels);
    expect(got.length).toBe(fixture.kappas.length);
    for (const [i, want] of fixture.kappas.entries()) {
      expect(got[i]).toMatchObject({
        annotatorA: want.annotatorA,
        annotatorB: want.annotatorB,
        sharedItems: want.sharedItems,
      });
      expect(got[i]!.agreement).toBeCloseTo(want.agreement, 12);
      expect(got[i]!.kappa).toBeCloseTo(want.kappa, 12);
    }
  });

  it('gives each annotator their left share with its Wilson interval and binomial test, and flags the one-sided one', () => {
    const got = annotatorSummaries(labels);
    for (const want of fixture.sides) {
      const s = got.find((x) => x.annotatorId === want.annotatorId)!;
      expect([s.left.n, s.left.successes]).toEqual([want.n, want.left]);
      expect(s.left.interval.lower).toBeCloseTo(want.lower, 10);
      expect(s.left.interval.upper).toBeCloseTo(want.upper, 10);
      expect(s.left.pValue).toBeCloseTo(want.pValue, 10);
    }
    expect(got.filter((s) => s.warning).map((s) => s.annotatorId)).toEqual(['carol']);
    expect(got.find((s) => s.annotatorId === 'carol')!.warning).toMatch(/chose the left response in 83% of 41/);
  });
});

describe('merging annotators’ label files', () => {
  it('keeps annotator ids and both votes of an item, adds new items, and does not add a file twice', () => {
    const x = makeItem({ prompt: 'p', responseA: 'x', responseB: 'y' });
    const y = makeItem({ prompt: 'q', responseA: 'x', responseB: 'y' });
    const ann1 = [label(x, 'ann1', 'a', 1), label(y, 'ann1', 'b', 2)];
    const ann2 = [label(x, 'ann2', 'b', 3), label(x, 'ann2', 'a', 4)];
    const project = { itemIds: [x.id], labels: [] as Label[] };
    const first = mergeLabels(
      project,
      ann1.map((l) => ({ item: l.itemId === x.id ? x : y, label: l })),
    );
    expect(first.newItems.map((i) => i.id)).toEqual([y.id]);
    expect(first.newLabels).toHaveLength(2);
    project.labels.push(...first.newLabels);
    project.itemIds.push(y.id);
    const second = mergeLabels(
      project,
      ann2.map((l) => ({ item: x, label: l })),
    );
    expect(second.newLabels.map((l) => [l.annotatorId, l.winner])).toEqual([
      ['ann2', 'b'],
      ['ann2', 'a'],
    ]);
    project.labels.push(...second.newLabels);
    const again = mergeLabels(
      project,
      ann1.map((l) => ({ item: l.itemId === x.id ? x : y, label: l })),
    );
    expect(again).toEqual({ newItems: [], newLabels: [], alreadyThere: 2 });
    // three votes on x, from two annotators
    expect(project.labels.filter((l) => l.itemId === x.id)).toHaveLength(3);
  });
});

describe('the queue', () => {
  const items = Array.from({ length: 6 }, (_, i) =>
    makeItem({ prompt: `p${i}`, responseA: 'x', responseB: 'y', modelA: i < 3 ? 'v1' : 'v2', modelB: 'v3' }),
  );

  it('puts the items a fixed model is least sure of first, unscored ones last', () => {
    const probabilityA = new Map([
      [items[0]!.id, 0.9],
      [items[1]!.id, 0.55],
      [items[2]!.id, 0.3],
      [items[3]!.id, 0.49],
      [items[4]!.id, 0.02],
    ]);
    const order = queueOrder(items, [], {
      strategy: 'uncertainty',
      seed: 1,
      annotatorId: 'a',
      overlapShare: 0,
      probabilityA,
    });
    expect(order.map((i) => items.indexOf(i))).toEqual([3, 1, 2, 0, 4, 5]);
  });

  it("with an ensemble's disagreement, the most disputed items first, P(A better) breaking ties", () => {
    const gaps = Float32Array.of(
      // member 0's r(A) - r(B) on items 0..4, then member 1's
      2,
      0.1,
      -1,
      0.5,
      -3,
      2,
      0.1,
      1,
      0.5,
      -3.2,
    );
    const judged = ensembleJudgements(gaps, 2, 5);
    expect(judged[2]!.disagreement).toBeCloseTo(1, 6);
    expect(judged[0]!.disagreement).toBe(0);
    expect(judged[1]!.probabilityA).toBeCloseTo(1 / (1 + Math.exp(-0.1)), 6);
    const ids = items.slice(0, 5).map((i) => i.id);
    const order = queueOrder(items, [], {
      strategy: 'uncertainty',
      seed: 1,
      annotatorId: 'a',
      overlapShare: 0,
      probabilityA: new Map(ids.map((id, i) => [id, judged[i]!.probabilityA])),
      disagreement: new Map(ids.map((id, i) => [id, judged[i]!.disagreement])),
    });
    // item 2 disputed (members say opposite things), item 4 a little; then the agreed ones by doubt
    expect(order.map((i) => items.indexOf(i))).toEqual([2, 4, 1, 3, 0, 5]);
  });

  it('random order is a fixed shuffle; labelled items leave the queue', () => {
    const opts = { strategy: 'random' as const, seed: 3, annotatorId: 'a', overlapShare: 0 };
    const order = queueOrder(items, [], opts);
    expect(queueOrder(items, [], opts)).toEqual(order);
    expect(new Set(order)).toEqual(new Set(items));
    const after = queueOrder(items, [label(order[0]!, 'a', 'a', 1)], opts);
    expect(after).toEqual(order.slice(1));
    // another annotator does not get it either (no overlap share)
    expect(queueOrder(items, [label(order[0]!, 'a', 'a', 1)], { ...opts, annotatorId: 'b' })).toEqual(order.slice(1));
  });

  it('shows the overlap share to a second annotator, first, and never a third time', () => {
    const many = Array.from({ length: 400 }, (_, i) => makeItem({ prompt: `p${i}`, responseA: 'x', responseB: 'y' }));
    const overlap = many.filter((i) => isOverlapItem(i.id, 5, 0.1));
    expect(overlap.length).toBeGreaterThan(20);
    expect(overlap.length).toBeLessThan(60);
    const byA = many.map((item, n) => label(item, 'a', 'a', n));
    const opts = { strategy: 'random' as const, seed: 5, annotatorId: 'b', overlapShare: 0.1 };
    expect(new Set(queueOrder(many, byA, opts))).toEqual(new Set(overlap));
    const byB = overlap.map((item, n) => label(item, 'b', 'a', n));
    expect(queueOrder(many, [...byA, ...byB], { ...opts, annotatorId: 'c' })).toEqual([]);
    // a half-labelled project: the items waiting for a second label come before fresh ones
    const half = byA.slice(0, 200);
    const order = queueOrder(many, half, opts);
    const waiting = overlap.filter((i) => many.indexOf(i) < 200);
    expect(
      order
        .slice(0, waiting.length)
        .map((i) => i.id)
        .sort(),
    ).toEqual(waiting.map((i) => i.id).sort());
  });

  it('versions: the version pair whose win rate is nearest 1/2 first, then the least labelled', () => {
    // v1-v3 won 3 of 3 by v1 (rate (3+1)/(3+2) = 0.8), v2-v3 split 1-1 (rate 0.5)
    const extra = [
      makeItem({ prompt: 'e1', responseA: 'x', responseB: 'y', modelA: 'v1', modelB: 'v3' }),
      makeItem({ prompt: 'e2', responseA: 'x', responseB: 'y', modelA: 'v1', modelB: 'v3' }),
      makeItem({ prompt: 'e3', responseA: 'x', responseB: 'y', modelA: 'v1', modelB: 'v3' }),
      makeItem({ prompt: 'e4', responseA: 'x', responseB: 'y', modelA: 'v2', modelB: 'v3' }),
      makeItem({ prompt: 'e5', responseA: 'x', responseB: 'y', modelA: 'v2', modelB: 'v3' }),
    ];
    const labels = [
      label(extra[0]!, 'z', 'a', 1),
      label(extra[1]!, 'z', 'a', 2),
      label(extra[2]!, 'z', 'a', 3),
      label(extra[3]!, 'z', 'a', 4),
      label(extra[4]!, 'z', 'b', 5),
    ];
    const order = queueOrder([...items, ...extra], labels, {
      strategy: 'versions',
      seed: 1,
      annotatorId: 'a',
      overlapShare: 0,
    });
    expect(order.map((i) => i.modelA)).toEqual(['v2', 'v2', 'v2', 'v1', 'v1', 'v1']);
  });

  it('can be kept to chosen task types', () => {
    const typed = [
      makeItem({ prompt: 'a', responseA: 'x', responseB: 'y', taskType: 'math' }),
      makeItem({ prompt: 'b', responseA: 'x', responseB: 'y', taskType: 'chat' }),
    ];
    const order = queueOrder(typed, [], {
      strategy: 'random',
      seed: 1,
      annotatorId: 'a',
      overlapShare: 0,
      taskTypes: ['chat'],
    });
    expect(order.map((i) => i.taskType)).toEqual(['chat']);
  });
});

describe('the preference head', () => {
  it('learns that a word makes a response better, and is sure of pairs that differ by it', () => {
    const good = (i: number) => `the answer is ${i} and it is correct`;
    const bad = (i: number) => `the answer is ${i} and it is wrong`;
    const examples = Array.from({ length: 40 }, (_, i) =>
      i % 2
        ? { a: responseFeatures(good(i)), b: responseFeatures(bad(i)), y: 1 }
        : { a: responseFeatures(bad(i)), b: responseFeatures(good(i)), y: 0 },
    );
    const head = new PreferenceHead({ seed: 1 });
    head.fit(examples);
    expect(head.probabilityA(responseFeatures(good(99)), responseFeatures(bad(99)))).toBeGreaterThan(0.8);
    expect(head.probabilityA(responseFeatures(bad(98)), responseFeatures(good(98)))).toBeLessThan(0.2);
    // a refit on the same labels gives the same weights
    const again = new PreferenceHead({ seed: 1 });
    again.fit(examples);
    expect(again.weights).toEqual(head.weights);
  });
});

describe('guidelines and the workshop link', () => {
  it('saves a new version only when something changed', () => {
    const v1 = [firstGuidelines(new Date(0))];
    expect(reviseGuidelines(v1, v1[0]!.text, [], new Date(1))).toHaveLength(1);
    const v2 = reviseGuidelines(
      v1,
      'Be brief.',
      [{ prompt: 'p', better: 'b', worse: 'w', why: 'shorter' }],
      new Date(1),
    );
    expect(v2.map((g) => g.version)).toEqual([1, 2]);
  });

  it('carries a task in the hash and back, and says what is wrong with a bad one', async () => {
    const task: LabelTask = {
      name: 'Workshop',
      seed: 4,
      strategy: 'random',
      overlapShare: 0.2,
      updateEvery: 10,
      guidelines: { text: 'Be brief.', examples: [] },
      candidates: { inline: '{"prompt":"p","response_a":"x","response_b":"y"}\n' },
    };
    const hash = `#${await encodeTaskLink(task)}`;
    expect(await decodeTaskLink(hash)).toEqual(task);
    expect(await decodeTaskLink('#dataset=demo')).toBeUndefined();
    const bad = `#${await encodeTaskLink({ ...task, overlapShare: 2 })}`;
    await expect(decodeTaskLink(bad)).rejects.toThrow(/second-annotator share must be between 0 and 1/);
  });
});
