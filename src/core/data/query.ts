// Which pairs of a dataset a person is looking at: full-text search plus filters, and the
// values each filter can take (facets). Pure functions over pairs, so the worker can scan
// IndexedDB with them and tests can check them in Node.
import { textOf, type Pair, type Winner } from './pair.ts';
import type { Split, SplitPlan } from './split.ts';

export interface PairQuery {
  /** Case-insensitive text searched in the prompt, both responses and the model versions. */
  text?: string;
  winner?: Winner;
  taskType?: string;
  /** Matches either model version of the pair. */
  model?: string;
  annotator?: string;
  split?: Split;
}

export interface Facets {
  taskTypes: Map<string, number>;
  models: Map<string, number>;
  annotators: Map<string, number>;
}

export function emptyFacets(): Facets {
  return { taskTypes: new Map(), models: new Map(), annotators: new Map() };
}

/** A matcher for one query; the search text is lower-cased once, not per pair. */
export function pairMatcher(query: PairQuery, split: SplitPlan): (pair: Pair) => boolean {
  const needle = query.text?.trim().toLowerCase();
  return (pair) => {
    if (query.winner && pair.winner !== query.winner) return false;
    if (query.taskType !== undefined && pair.taskType !== query.taskType) return false;
    if (query.model !== undefined && pair.modelA !== query.model && pair.modelB !== query.model) return false;
    if (query.annotator !== undefined && pair.annotatorId !== query.annotator) return false;
    if (query.split && split.sideOf(pair) !== query.split) return false;
    if (needle) {
      const haystack =
        [pair.prompt, pair.responseA, pair.responseB].map(textOf).join('\n') +
        `\n${pair.modelA ?? ''}\n${pair.modelB ?? ''}`;
      if (!haystack.toLowerCase().includes(needle)) return false;
    }
    return true;
  };
}

export function addToFacets(facets: Facets, pair: Pair): void {
  const bump = (m: Map<string, number>, key: string | undefined) =>
    key !== undefined && m.set(key, (m.get(key) ?? 0) + 1);
  bump(facets.taskTypes, pair.taskType);
  bump(facets.models, pair.modelA);
  if (pair.modelB !== pair.modelA) bump(facets.models, pair.modelB);
  bump(facets.annotators, pair.annotatorId);
}

/** Facet values, most frequent first, as [value, count]. */
export function facetList(m: Map<string, number>): [string, number][] {
  return [...m].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
}
