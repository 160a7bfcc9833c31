// Stanford Human Preferences (stanfordnlp/SHP, SHP-2): a Reddit post and two top-level comments.
//   post_id, domain, upvote_ratio, history, c_root_id_A/B, created_at_utc_A/B, score_A, score_B,
//   human_ref_A, human_ref_B, labels (1 = A preferred, 0 = B preferred), seconds_difference, score_ratio
// The post (history) is the prompt; the domain (e.g. "askculinary_train") the task type. The vote
// scores stay in extra: a score ratio is not a preference strength we can vouch for.

import type { PairInput, Winner } from '../pair.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, extraFields, readLabel, readOptionalString, readString, shown } from './fields.ts';

export const SHP_REQUIRED_FIELDS = ['history', 'human_ref_A', 'human_ref_B', 'labels'] as const;
export const SHP_OPTIONAL_FIELDS = ['domain', 'score_A', 'score_B', 'post_id'] as const;

// post_id, the scores and the comment ids and times are not read into a Pair field: they stay in extra.
const KNOWN = new Set<string>(['history', 'human_ref_A', 'human_ref_B', 'labels', 'domain']);

const WINNER_OF: Record<string, Winner> = { '1': 'a', '0': 'b', true: 'a', false: 'b' };

export function shpToPair(record: JsonRecord): PairInput {
  const prompt = readString(record, 'history');
  const responseA = readString(record, 'human_ref_A');
  const responseB = readString(record, 'human_ref_B');
  const label = readLabel(record, 'labels');
  const winner = Object.hasOwn(WINNER_OF, label) ? WINNER_OF[label] : undefined;
  if (winner === undefined) {
    throw new FormatError(
      `"labels" must be 1 (human_ref_A preferred) or 0 (human_ref_B preferred) (got ${shown(record.labels)})`,
    );
  }
  const taskType = readOptionalString(record, 'domain');
  const extra = extraFields(record, KNOWN);
  const pair: PairInput = { prompt, responseA, responseB, winner };
  if (taskType !== undefined) pair.taskType = taskType;
  if (extra !== undefined) pair.extra = extra;
  return pair;
}
