// The labelling worker's session over the real store code (idb on fake-indexeddb in Node): a
// project's labels as stored are what the queue's model is refitted on, and the refitted model
// ranks the items it has learnt about away from 1/2; a deleted (undone) label no longer counts;
// deleting the project leaves nothing behind.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { makeItem } from '../../src/core/collect/candidates.ts';
import type { Label } from '../../src/core/collect/item.ts';
import { firstGuidelines } from '../../src/core/collect/guidelines.ts';
import type { LabelProject } from '../../src/core/collect/project.ts';
import { queueOrder } from '../../src/core/collect/queue.ts';
import { openLabDB } from '../../src/store/db.ts';
import {
  createProject,
  deleteLabel,
  deleteProject,
  projectItems,
  projectLabels,
  putLabel,
} from '../../src/store/labels.ts';
import { LabellingSession } from '../../src/worker/labelling-session.ts';

const items = Array.from({ length: 40 }, (_, i) =>
  makeItem({
    prompt: `question ${i}`,
    // A says "correct" in even items, B in odd ones; the rest is shared noise
    responseA: i % 2 ? `answer ${i} wrong` : `answer ${i} correct`,
    responseB: i % 2 ? `answer ${i} correct` : `answer ${i} wrong`,
  }),
);
const project: LabelProject = {
  id: 'p1',
  name: 'test',
  createdAt: 0,
  source: { kind: 'file', name: 'c.jsonl' },
  seed: 3,
  strategy: 'uncertainty',
  overlapShare: 0,
  updateEvery: 10,
  taskTypes: [],
  guidelines: [firstGuidelines(new Date(0))],
  itemCount: items.length,
  rejected: [],
  lineCount: items.length,
};

describe('the labelling session', () => {
  it('refits on the stored labels and ranks the queue by what it learnt', async () => {
    const db = await openLabDB();
    await createProject(db, project, items);
    expect((await projectItems(db, 'p1')).length).toBe(40);
    const session = new LabellingSession();
    const before = await session.update('p1', 3);
    expect(before.fittedOn).toBe(0);
    expect([...before.probabilityA.values()].every((p) => p === 0.5)).toBe(true);

    // the first 20 items labelled: "correct" wins
    for (const [n, item] of items.slice(0, 20).entries()) {
      const label: Label = {
        id: `l${n}`,
        projectId: 'p1',
        itemId: item.id,
        annotatorId: 'ann',
        winner: n % 2 ? 'b' : 'a',
        shownLeft: 'a',
        guidelineVersion: 1,
        timeTakenMs: 1000,
        timestamp: new Date(n * 1000).toISOString(),
      };
      await putLabel(db, label);
    }
    const after = await session.update('p1', 3);
    expect(after.fittedOn).toBe(20);
    expect(after.fitAgreement).toBe(1);
    for (const [i, item] of items.slice(20).entries()) {
      const p = after.probabilityA.get(item.id)!;
      if ((20 + i) % 2) expect(p).toBeLessThan(0.3);
      else expect(p).toBeGreaterThan(0.7);
    }
    // the queue under this model: none of the unlabelled items is closer to 1/2 than the one first in line
    const labels = await projectLabels(db, 'p1');
    const order = queueOrder(items, labels, {
      strategy: 'uncertainty',
      seed: 3,
      annotatorId: 'ann',
      overlapShare: 0,
      probabilityA: after.probabilityA,
    });
    expect(order).toHaveLength(20);
    const distance = (id: string) => Math.abs(after.probabilityA.get(id)! - 0.5);
    for (let k = 1; k < order.length; k++)
      expect(distance(order[k]!.id)).toBeGreaterThanOrEqual(distance(order[k - 1]!.id));

    await deleteLabel(db, 'l19');
    expect((await session.update('p1', 3)).fittedOn).toBe(19);

    await deleteProject(db, 'p1');
    expect(await projectItems(db, 'p1')).toEqual([]);
    expect(await projectLabels(db, 'p1')).toEqual([]);
  });
});
