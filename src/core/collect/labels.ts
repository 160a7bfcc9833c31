// Labels are ordinary pairs: a label becomes RM Lab's record (prompt, response_a and response_b in
// the item's canonical order, winner, model versions, annotator_id, task_type, ISO timestamp) plus
// what only labelling knows, as extra fields the record keeps (formats/rmlab.ts writes unknown
// fields back as they are): shown_left, guideline_version, time_taken_ms, comment, item_id.
// Statistics, training, regression and the exports read such a file like any other.
import type { PairInput } from '../data/pair.ts';
import { itemOfPair } from './candidates.ts';
import type { Label, LabelItem, Side } from './item.ts';

/** A label as a pair, ready for a dataset or an export. */
export function labelToPair(item: LabelItem, label: Label): PairInput {
  const pair: PairInput = {
    prompt: item.prompt,
    responseA: item.responseA,
    responseB: item.responseB,
    winner: label.winner,
    annotatorId: label.annotatorId,
    timestamp: label.timestamp,
    extra: {
      item_id: item.id,
      shown_left: label.shownLeft === 'a' ? 'response_a' : 'response_b',
      guideline_version: label.guidelineVersion,
      time_taken_ms: label.timeTakenMs,
      ...(label.comment ? { comment: label.comment } : {}),
    },
  };
  if (item.modelA !== undefined) pair.modelA = item.modelA;
  if (item.modelB !== undefined) pair.modelB = item.modelB;
  if (item.taskType !== undefined) pair.taskType = item.taskType;
  return pair;
}

export class LabelFileError extends Error {}

/**
 * A pair read from a labels file back to its item and label. The item id is recomputed from the
 * text (a hand-edited item_id cannot attach a label to another comparison). A pair without the
 * labelling fields (an ordinary dataset) is refused: it says nothing about sides or guidelines.
 */
export function labelFromPair(pair: PairInput, projectId: string, labelId: string): { item: LabelItem; label: Label } {
  const extra = pair.extra ?? {};
  const shown = extra.shown_left;
  if (shown !== 'response_a' && shown !== 'response_b') {
    throw new LabelFileError('"shown_left" must be "response_a" or "response_b" (is this a labels file from RM Lab?)');
  }
  const version = extra.guideline_version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new LabelFileError('"guideline_version" must be a whole number from 1');
  }
  const time = extra.time_taken_ms;
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    throw new LabelFileError('"time_taken_ms" must be a number of milliseconds');
  }
  if (!pair.annotatorId) throw new LabelFileError('"annotator_id" is missing');
  if (!pair.timestamp || Number.isNaN(Date.parse(pair.timestamp))) {
    throw new LabelFileError('"timestamp" must be an ISO 8601 date and time');
  }
  if (extra.comment !== undefined && typeof extra.comment !== 'string') {
    throw new LabelFileError('"comment" must be text');
  }
  const item = itemOfPair(pair);
  const shownLeft: Side = shown === 'response_a' ? 'a' : 'b';
  const label: Label = {
    id: labelId,
    projectId,
    itemId: item.id,
    annotatorId: pair.annotatorId,
    winner: pair.winner,
    shownLeft,
    guidelineVersion: version,
    timeTakenMs: time,
    timestamp: pair.timestamp,
    ...(typeof extra.comment === 'string' && extra.comment !== '' ? { comment: extra.comment } : {}),
  };
  return { item, label };
}
