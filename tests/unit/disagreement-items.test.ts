// Disagreements sent to labelling: only the pairs that compare the two versions of a disagreement
// (either order) become items, without their winner, each comparison once, with its versions kept.
import { describe, expect, it } from 'vitest';
import { itemId } from '../../src/core/collect/candidates.ts';
import { disagreementItems, disagreementProjectName } from '../../src/core/collect/disagreement-items.ts';
import type { Pair } from '../../src/core/data/pair.ts';

let n = 0;
const pair = (
  prompt: string,
  a: string,
  b: string,
  modelA?: string,
  modelB?: string,
  more: Partial<Pair> = {},
): Pair => ({
  id: `p${++n}`,
  datasetId: 'd',
  prompt,
  responseA: a,
  responseB: b,
  winner: 'a',
  ...(modelA ? { modelA } : {}),
  ...(modelB ? { modelB } : {}),
  ...more,
});

describe('disagreementItems', () => {
  const pairs: Pair[] = [
    pair('sort a list', 'use sorted()', 'not sure', 'v2', 'v1', { taskType: 'code', weight: 0.5 }),
    pair('a haiku', 'rain falls', 'no idea', 'v1', 'v2'),
    // the same comparison again (another rule made it): one item
    pair('sort a list', 'use sorted()', 'not sure', 'v2', 'v1', { taskType: 'code' }),
    // other versions, one side unversioned, the same version twice, the same text twice: not sent
    pair('a joke', 'ha', 'meh', 'v2', 'v3'),
    pair('a joke', 'ha', 'meh', 'v2'),
    pair('a poem', 'roses', 'violets', 'v1', 'v1'),
    pair('a poem', 'same', 'same', 'v1', 'v2'),
  ];

  it("makes one item per distinct comparison of the disagreeing versions, in either order, keeping the pair's order", () => {
    const items = disagreementItems(pairs, [{ usersPrefer: 'v1', offlinePrefers: 'v2' }]);
    expect(items).toEqual([
      {
        id: itemId('sort a list', 'use sorted()', 'not sure', 'code'),
        prompt: 'sort a list',
        responseA: 'use sorted()',
        responseB: 'not sure',
        modelA: 'v2',
        modelB: 'v1',
        taskType: 'code',
      },
      {
        id: itemId('a haiku', 'rain falls', 'no idea'),
        prompt: 'a haiku',
        responseA: 'rain falls',
        responseB: 'no idea',
        modelA: 'v1',
        modelB: 'v2',
      },
    ]);
  });

  it('takes every disagreement given, and nothing when there is none', () => {
    const both = disagreementItems(pairs, [
      { usersPrefer: 'v2', offlinePrefers: 'v1' },
      { usersPrefer: 'v3', offlinePrefers: 'v2' },
    ]);
    expect(both.map((i) => i.prompt)).toEqual(['sort a list', 'a haiku', 'a joke']);
    expect(disagreementItems(pairs, [])).toEqual([]);
    expect(disagreementItems(pairs, [{ usersPrefer: 'v4', offlinePrefers: 'v1' }])).toEqual([]);
  });

  it('names the project after the dataset', () => {
    expect(disagreementProjectName('chat-feedback')).toBe('Disagreements in chat-feedback');
  });
});
