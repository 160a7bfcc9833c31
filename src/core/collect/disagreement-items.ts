// Items to label where the reward model and the users disagree about two model versions ("offline
// says v2, users say v1"): every pair of a feedback dataset that compares exactly those two
// versions, as an item without its winner, so people settle which of the two is right.
import type { Pair } from '../data/pair.ts';
import { itemsFromPairs } from './candidates.ts';
import type { LabelItem } from './item.ts';

/** Two versions the users and the model rank in opposite order (either way round). */
export interface DisagreeingVersions {
  usersPrefer: string;
  offlinePrefers: string;
}

const versionsKey = (x: string, y: string) => JSON.stringify(x < y ? [x, y] : [y, x]);

/** The pairs' items whose two responses come from the two versions of one disagreement, each item once. */
export function disagreementItems(pairs: Iterable<Pair>, found: readonly DisagreeingVersions[]): LabelItem[] {
  const wanted = new Set(found.map((d) => versionsKey(d.usersPrefer, d.offlinePrefers)));
  const matching: Pair[] = [];
  for (const pair of pairs) {
    if (pair.modelA === undefined || pair.modelB === undefined || pair.modelA === pair.modelB) continue;
    if (wanted.has(versionsKey(pair.modelA, pair.modelB))) matching.push(pair);
  }
  return itemsFromPairs(matching);
}

/** The labelling project the disagreements of one feedback dataset go to (made once, added to after). */
export function disagreementProjectName(datasetName: string): string {
  return `Disagreements in ${datasetName}`;
}
