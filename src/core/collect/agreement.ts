// How the annotators of a project are doing, live: agreement on the items two of them labelled
// (Cohen's kappa, stats/agreement.ts), and per annotator the position bias (share of decisive
// choices that went to the response on the left, with its Wilson interval and a binomial test
// against 1/2), speed, and a warning for someone who nearly always picks one side.
import { proportion, type Proportion } from '../data/stats/bias.ts';
import { cohenKappa } from '../data/stats/agreement.ts';
import type { Winner } from '../data/pair.ts';
import { choiceOfWinner, type Label } from './item.ts';

export interface AnnotatorSummary {
  annotatorId: string;
  labels: number;
  /** Left choices among decisive labels (a or b), with a 95% interval; 1/2 is no position bias. */
  left: Proportion;
  /** Median seconds a label took. */
  medianSeconds: number;
  /** Labels an hour of labelling time (each label's time capped at 5 minutes: a break is not work). */
  perHour: number;
  /** Set when the annotator nearly always picks one side. */
  warning?: string;
}

export interface PairKappa {
  annotatorA: string;
  annotatorB: string;
  sharedItems: number;
  agreement: number;
  /** NaN when both gave one and the same label throughout. */
  kappa: number;
}

/** A label's time counts up to 5 minutes: beyond that the annotator was away, not reading. */
const MAX_COUNTED_MS = 5 * 60_000;
/** A side share this far from 1/2 (at least 80% one way) on enough labels, and unlikely by chance, is flagged. */
const SIDE_WARNING_SHARE = 0.8;
const SIDE_WARNING_MIN_LABELS = 10;
const SIDE_WARNING_P = 0.01;

export function annotatorSummaries(labels: Iterable<Label>): AnnotatorSummary[] {
  const by = new Map<string, Label[]>();
  for (const label of labels) {
    let list = by.get(label.annotatorId);
    if (!list) by.set(label.annotatorId, (list = []));
    list.push(label);
  }
  return [...by]
    .map(([annotatorId, list]) => summary(annotatorId, list))
    .sort((x, y) => (x.annotatorId < y.annotatorId ? -1 : 1));
}

function summary(annotatorId: string, labels: Label[]): AnnotatorSummary {
  let left = 0;
  let decisive = 0;
  for (const label of labels) {
    const choice = choiceOfWinner(label.winner, label.shownLeft);
    if (choice === 'left' || choice === 'right') decisive++;
    if (choice === 'left') left++;
  }
  const share = proportion(left, decisive);
  const times = labels.map((l) => l.timeTakenMs).sort((x, y) => x - y);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  const counted = times.reduce((sum, t) => sum + Math.min(t, MAX_COUNTED_MS), 0);
  const result: AnnotatorSummary = {
    annotatorId,
    labels: labels.length,
    left: share,
    medianSeconds: median / 1000,
    perHour: counted > 0 ? (labels.length * 3_600_000) / counted : Number.NaN,
  };
  const oneSided = share.share >= SIDE_WARNING_SHARE || share.share <= 1 - SIDE_WARNING_SHARE;
  if (decisive >= SIDE_WARNING_MIN_LABELS && oneSided && share.pValue < SIDE_WARNING_P) {
    const side = share.share >= 0.5 ? 'left' : 'right';
    const pct = Math.round(100 * (side === 'left' ? share.share : 1 - share.share));
    result.warning = `${annotatorId} chose the ${side} response in ${pct}% of ${decisive} decisions: sides are drawn at random, so this is the position, not the responses`;
  }
  return result;
}

/**
 * Cohen's kappa for every pair of annotators over the items both labelled (labels in the
 * canonical order, so the side each saw does not matter; an annotator's first label of an item counts).
 */
export function overlapKappas(labels: Iterable<Label>): PairKappa[] {
  const byItem = new Map<string, Map<string, Winner>>();
  for (const label of labels) {
    let item = byItem.get(label.itemId);
    if (!item) byItem.set(label.itemId, (item = new Map()));
    if (!item.has(label.annotatorId)) item.set(label.annotatorId, label.winner);
  }
  const pairs = new Map<string, { annotatorA: string; annotatorB: string; x: Winner[]; y: Winner[] }>();
  for (const item of byItem.values()) {
    const ids = [...item.keys()].sort();
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const key = JSON.stringify([ids[i], ids[j]]);
        let entry = pairs.get(key);
        if (!entry) pairs.set(key, (entry = { annotatorA: ids[i]!, annotatorB: ids[j]!, x: [], y: [] }));
        entry.x.push(item.get(ids[i]!)!);
        entry.y.push(item.get(ids[j]!)!);
      }
    }
  }
  return [...pairs.values()]
    .map(({ annotatorA, annotatorB, x, y }) => ({ annotatorA, annotatorB, sharedItems: x.length, ...cohenKappa(x, y) }))
    .sort((p, q) => (p.annotatorA + '\u0000' + p.annotatorB < q.annotatorA + '\u0000' + q.annotatorB ? -1 : 1));
}
