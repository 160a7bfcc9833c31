// The A/B question a labelling project filled from two generation setups answers: how often setup A's
// answer won over setup B's. Each item records which version is its canonical A (candidates.ts orders
// versions by code unit, whatever the setups were called), and which side the annotator saw it on is
// drawn per label (sides.ts), so the tally maps each label back to the setup that wrote the winner.
// Ties count half a win to each, as the regression report and the queue's win rates count them;
// "both bad" says nothing about which setup is better and is left out of the rate (counted apart).
import { wilsonShare, type Interval } from '../data/stats/math.ts';
import type { Label, LabelItem } from './item.ts';

/** The two setups' version names (the answers file's keys, model_a_version / model_b_version). */
export interface ABSetups {
  a: string;
  b: string;
}

export interface ABReport {
  aWins: number;
  bWins: number;
  ties: number;
  bothBad: number;
  /** Labels counted in the rate: wins of either side and ties. */
  n: number;
  /** A's win rate, ties half; NaN before the first counted label. */
  rate: number;
  /** 95% Wilson score interval of the rate (NaN bounds while n is 0). */
  interval: Interval;
}

/** Tallies the labels of items comparing the two setups (items of other versions are ignored). */
export function abReport(items: Iterable<LabelItem>, labels: Iterable<Label>, setups: ABSetups): ABReport {
  // +1: the item's canonical A is setup A; -1: it is setup B
  const orientation = new Map<string, 1 | -1>();
  for (const item of items) {
    if (item.modelA === setups.a && item.modelB === setups.b) orientation.set(item.id, 1);
    else if (item.modelA === setups.b && item.modelB === setups.a) orientation.set(item.id, -1);
  }
  const report = { aWins: 0, bWins: 0, ties: 0, bothBad: 0 };
  for (const label of labels) {
    const o = orientation.get(label.itemId);
    if (!o) continue;
    if (label.winner === 'tie') report.ties++;
    else if (label.winner === 'both_bad') report.bothBad++;
    else if ((label.winner === 'a') === (o === 1)) report.aWins++;
    else report.bWins++;
  }
  const n = report.aWins + report.bWins + report.ties;
  const k = report.aWins + report.ties / 2;
  return { ...report, n, rate: n > 0 ? k / n : Number.NaN, interval: wilsonShare(k, n) };
}
