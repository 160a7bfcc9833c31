// The worker's read-only questions about a dataset: which pairs match a query, and its statistics.
import { textOf, type Pair, type Text } from '../../core/data/pair.ts';
import { addToFacets, emptyFacets, facetList, pairMatcher, type PairQuery } from '../../core/data/query.ts';
import { hashedSplit, planSplit, type SplitPlan, type SplitSettings } from '../../core/data/split.ts';
import { datasetStats, type DatasetStats } from '../../core/data/stats/index.ts';
import { builtinTokenizer } from '../../core/model/tokenizer.ts';
import { scanPairs } from '../../store/datasets.ts';
import { openLabDB } from '../../store/db.ts';
import { datasetTokens } from '../../store/token-cache.ts';

export interface PairQueryResult {
  ids: string[];
  /** Aligned with ids: whether that pair is on the held-out side of the split. */
  heldOut: boolean[];
  total: number;
  facets: { taskTypes: [string, number][]; models: [string, number][]; annotators: [string, number][] };
}

/**
 * Ids of the pairs matching a query, in file order, with each one's side of the split, and the
 * values each filter can take. A stratified split needs the whole dataset, hence a first pass.
 */
export async function queryPairs(datasetId: string, query: PairQuery, split: SplitSettings): Promise<PairQueryResult> {
  const db = await openLabDB();
  let plan: SplitPlan = hashedSplit(split);
  if (split.stratify !== 'none') {
    const keys: { prompt: Text; taskType?: string }[] = [];
    await scanPairs(db, datasetId, (p) => keys.push({ prompt: p.prompt, taskType: p.taskType }));
    plan = planSplit(keys, split);
  }
  const matches = pairMatcher(query, plan);
  const facets = emptyFacets();
  const ids: string[] = [];
  const heldOut: boolean[] = [];
  let total = 0;
  await scanPairs(db, datasetId, (pair) => {
    total++;
    addToFacets(facets, pair);
    if (!matches(pair)) return;
    ids.push(pair.id);
    heldOut.push(plan.sideOf(pair) === 'heldout');
  });
  return {
    ids,
    heldOut,
    total,
    facets: {
      taskTypes: facetList(facets.taskTypes),
      models: facetList(facets.models),
      annotators: facetList(facets.annotators),
    },
  };
}

/** Every statistic of a dataset, with lengths counted in the built-in encoder's tokens. */
export async function statsOfDataset(datasetId: string): Promise<DatasetStats> {
  const db = await openLabDB();
  const pairs: Pair[] = [];
  await scanPairs(db, datasetId, (p) => pairs.push(p));
  const tokenizer = builtinTokenizer();
  // Token counts from the token-id cache that training shares: a dataset is tokenized once, and the
  // statistics open in a moment the second time (100,000 pairs took 16.5 s tokenizing each time).
  const { tokens } = await datasetTokens(db, datasetId, pairs, tokenizer);
  const counted = new Map<string, number>();
  for (const pair of pairs) {
    const ids = tokens.get(pair.id);
    if (!ids) continue;
    counted.set(textOf(pair.responseA), ids.a.length);
    counted.set(textOf(pair.responseB), ids.b.length);
  }
  const countTokens = (text: string) => {
    let n = counted.get(text);
    if (n === undefined) counted.set(text, (n = tokenizer.encodeText(text).length));
    return n;
  };
  return datasetStats(pairs, { countTokens });
}

export function queriesApi() {
  return { queryPairs, datasetStats: statsOfDataset };
}
