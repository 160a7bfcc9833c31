import { describe, expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { addToFacets, emptyFacets, facetList, pairMatcher } from '../../src/core/data/query.ts';
import { hashedSplit, splitOf } from '../../src/core/data/split.ts';

const pair = (over: Partial<Pair>): Pair => ({
  id: 'x',
  datasetId: 'd',
  prompt: 'Write a haiku',
  responseA: 'Autumn moon',
  responseB: 'No.',
  winner: 'a',
  ...over,
});
const splitOptions = { seed: 1, heldOutFraction: 0.5 };
const split = hashedSplit(splitOptions);
const pairs: Pair[] = [
  pair({ id: '1', taskType: 'poetry', modelA: 'llama-7b', modelB: 'bloom-7b', annotatorId: 'ann1' }),
  pair({
    id: '2',
    prompt: 'Summarise the news',
    responseA: 'The NEWS today…',
    winner: 'tie',
    taskType: 'summary',
    modelA: 'bloom-7b',
    modelB: 'opt-7b',
  }),
  pair({
    id: '3',
    prompt: [{ role: 'user', content: 'Translate <b>bonjour</b>' }],
    responseB: 'hello',
    winner: 'b',
    taskType: 'poetry',
    annotatorId: 'ann2',
  }),
];
const ids = (q: Parameters<typeof pairMatcher>[0]) => pairs.filter(pairMatcher(q, split)).map((p) => p.id);

describe('pair queries', () => {
  it('searches prompt, responses (conversations too) and model versions, ignoring case', () => {
    expect(ids({ text: 'news' })).toEqual(['2']);
    expect(ids({ text: '  BONJOUR ' })).toEqual(['3']);
    expect(ids({ text: 'opt-7b' })).toEqual(['2']);
    expect(ids({ text: '' })).toEqual(['1', '2', '3']);
  });

  it('filters by winner, task type, either model version and annotator, combined with AND', () => {
    expect(ids({ winner: 'tie' })).toEqual(['2']);
    expect(ids({ taskType: 'poetry' })).toEqual(['1', '3']);
    expect(ids({ model: 'bloom-7b' })).toEqual(['1', '2']);
    expect(ids({ annotator: 'ann2' })).toEqual(['3']);
    expect(ids({ taskType: 'poetry', winner: 'b' })).toEqual(['3']);
  });

  it('filters by the prompt-grouped split', () => {
    const heldOut = pairs.filter((p) => splitOf(p.prompt, splitOptions) === 'heldout').map((p) => p.id);
    expect(ids({ split: 'heldout' })).toEqual(heldOut);
    expect(ids({ split: 'train' }).length + heldOut.length).toBe(3);
  });

  it('counts facet values, most frequent first', () => {
    const f = emptyFacets();
    for (const p of pairs) addToFacets(f, p);
    expect(facetList(f.taskTypes)).toEqual([
      ['poetry', 2],
      ['summary', 1],
    ]);
    expect(facetList(f.models)).toEqual([
      ['bloom-7b', 2],
      ['llama-7b', 1],
      ['opt-7b', 1],
    ]);
    expect(facetList(f.annotators)).toEqual([
      ['ann1', 1],
      ['ann2', 1],
    ]);
  });
});
