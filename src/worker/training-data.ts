// The training data of a run, as the worker builds it: the dataset's pairs from IndexedDB, their token
// ids from the token-id cache (tokenized and cached on a dataset's first run under a tokenizer, read on
// every later one), then split and cut to the run's maxLength (prepareTrainingData).
import { prepareTrainingData, type DataOptions, type TrainingData } from '../core/train/data.ts';
import type { PairTokenizer } from '../core/model/tokenizer.ts';
import { getPairs } from '../store/datasets.ts';
import type { RMLabDatabase } from '../store/db.ts';
import { datasetTokens } from '../store/token-cache.ts';

export interface LoadedTrainingData extends TrainingData {
  /** Pairs whose token ids came from the cache, and pairs tokenized now (and cached). */
  tokenCache: { fromCache: number; tokenized: number };
}

export async function loadTrainingData(
  db: RMLabDatabase,
  datasetId: string,
  tokenizer: PairTokenizer,
  options: DataOptions,
): Promise<LoadedTrainingData> {
  const pairs = await getPairs(db, datasetId);
  const { tokens, fromCache, tokenized } = await datasetTokens(db, datasetId, pairs, tokenizer);
  return { ...prepareTrainingData(pairs, tokenizer, options, tokens), tokenCache: { fromCache, tokenized } };
}
