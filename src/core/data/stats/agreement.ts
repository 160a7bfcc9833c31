// Inter-annotator agreement: how far the labels are from noise. A reward model cannot be more
// consistent with people than people are with each other, so this bounds its held-out accuracy.
//
// Two sources of several labels per item:
// - per-item votes (PandaLM: `votes` counts three annotators' labels of one pair): Fleiss' kappa;
// - separate rows labelling the same item (same prompt, same two responses) with different
//   annotatorIds: percent agreement and Cohen's kappa for every pair of annotators.
//
// Kappa is agreement corrected for chance, (p_o - p_e) / (1 - p_e): 1 is perfect, 0 is what
// independent labelling with the same label frequencies gives, below 0 worse than chance.
// Landis & Koch (1977)'s often quoted reading: 0.21-0.40 fair, 0.41-0.60 moderate,
// 0.61-0.80 substantial, above 0.80 almost perfect.

import { type Pair, type Votes, type Winner, WINNERS, textOf } from '../pair.ts';
import { ratio } from './math.ts';

/** The categories of a vote, in Votes' field order. */
export const VOTE_CATEGORIES = ['a', 'b', 'tie', 'both_bad'] as const satisfies readonly (keyof Votes)[];

export interface VotesAgreement {
  /**
   * Fleiss' kappa (Fleiss 1971) over the items with exactly `raters` votes:
   *   P_i = (sum_j n_ij^2 - n) / (n (n - 1))   agreement within item i (n raters, n_ij votes for category j),
   *   p_j = sum_i n_ij / (N n)                 share of all votes in category j,
   *   kappa = (mean P_i - sum_j p_j^2) / (1 - sum_j p_j^2).
   * NaN when no item qualifies or every vote is in one category (chance agreement 1).
   * statsmodels.stats.inter_rater.fleiss_kappa(method='fleiss') computes the same.
   */
  kappa: number;
  /** The number of votes per item the kappa is over: the most common count of at least 2, unless given. */
  raters: number;
  /** Items the kappa is over. */
  items: number;
  /** mean P_i, the observed agreement: the chance that two votes of one item, drawn without replacement, agree. */
  observedAgreement: number;
  /** sum_j p_j^2: the agreement expected by chance. */
  expectedAgreement: number;
  /** p_j: each category's share of the votes counted. */
  categoryShares: Record<keyof Votes, number>;
  /** Items whose `raters` votes are all in one category, and their share of `items`. */
  unanimousItems: number;
  unanimousShare: number;
  /** Items with votes of another total, left out of everything above: [votes per item, items], by count of votes. */
  otherRaterCounts: [raters: number, items: number][];
  /** Pairs without votes. */
  withoutVotes: number;
}

export interface VotesAgreementOptions {
  /** Use the items with this many votes; the most common count (at least 2) unless given. */
  raters?: number;
}

/**
 * Fleiss' kappa and the share of unanimous items from per-item vote counts. Fleiss' kappa needs
 * the same number of raters for every item: the items with another total are left out, and
 * reported by count in `otherRaterCounts` (a variable-raters statistic such as Krippendorff's
 * alpha would be the way to use them). Ties in the most common count go to the larger count.
 */
export function votesAgreement(
  pairs: Iterable<Pick<Pair, 'votes'>>,
  options: VotesAgreementOptions = {},
): VotesAgreement {
  const byRaters = new Map<number, Votes[]>();
  let withoutVotes = 0;
  for (const { votes } of pairs) {
    if (votes === undefined) {
      withoutVotes++;
      continue;
    }
    const n = votes.a + votes.b + votes.tie + votes.both_bad;
    let list = byRaters.get(n);
    if (list === undefined) byRaters.set(n, (list = []));
    list.push(votes);
  }
  let raters = options.raters;
  if (raters === undefined) {
    raters = 0;
    let most = 0;
    for (const [n, list] of byRaters) {
      if (n >= 2 && (list.length > most || (list.length === most && n > raters))) {
        raters = n;
        most = list.length;
      }
    }
  } else if (!Number.isInteger(raters) || raters < 2) {
    throw new RangeError(`Fleiss' kappa needs at least 2 raters per item (got ${raters})`);
  }
  const items = byRaters.get(raters) ?? [];
  const totals: Record<keyof Votes, number> = { a: 0, b: 0, tie: 0, both_bad: 0 };
  let agreementSum = 0;
  let unanimousItems = 0;
  for (const votes of items) {
    let squares = 0;
    for (const c of VOTE_CATEGORIES) {
      squares += votes[c] * votes[c];
      totals[c] += votes[c];
      if (votes[c] === raters) unanimousItems++;
    }
    agreementSum += (squares - raters) / (raters * (raters - 1));
  }
  const allVotes = items.length * raters;
  const categoryShares = Object.fromEntries(VOTE_CATEGORIES.map((c) => [c, ratio(totals[c], allVotes)])) as Record<
    keyof Votes,
    number
  >;
  let expectedAgreement = 0;
  for (const c of VOTE_CATEGORIES) expectedAgreement += categoryShares[c] ** 2;
  const observedAgreement = ratio(agreementSum, items.length);
  const kappa =
    items.length === 0 || expectedAgreement === 1
      ? Number.NaN
      : (observedAgreement - expectedAgreement) / (1 - expectedAgreement);
  const otherRaterCounts = [...byRaters.entries()]
    .filter(([n]) => n !== raters)
    .map(([n, list]): [number, number] => [n, list.length])
    .sort((x, y) => x[0] - y[0]);
  return {
    kappa,
    raters,
    items: items.length,
    observedAgreement,
    expectedAgreement: items.length === 0 ? Number.NaN : expectedAgreement,
    categoryShares,
    unanimousItems,
    unanimousShare: ratio(unanimousItems, items.length),
    otherRaterCounts,
    withoutVotes,
  };
}

export interface AnnotatorPairAgreement {
  /** The two annotatorIds, annotatorA < annotatorB in code-unit order. */
  annotatorA: string;
  annotatorB: string;
  /** Items both labelled. */
  sharedItems: number;
  /** Share of shared items given the same label (a, b, tie or both_bad). */
  agreement: number;
  /**
   * Cohen's kappa (Cohen 1960) over the shared items, with p_e = sum_c pA_c pB_c from each
   * annotator's own label shares on those items (sklearn.metrics.cohen_kappa_score). NaN when
   * both gave one and the same label throughout (p_e = 1).
   */
  kappa: number;
}

export interface AnnotatorAgreement {
  /** Every annotator with labels on items that someone else labelled too, with the number of such items. */
  annotators: { annotatorId: string; sharedItems: number }[];
  /** Every pair of annotators with at least one shared item, sorted by annotatorA then annotatorB. */
  pairs: AnnotatorPairAgreement[];
  /** Items labelled by two or more annotators. */
  items: number;
  /** Rows without an annotatorId (left out). */
  withoutAnnotator: number;
  /** Rows repeating an annotator's label of an item they had labelled already (the first label counts). */
  repeatedLabels: number;
}

const SWAPPED: Record<Winner, Winner> = { a: 'b', b: 'a', tie: 'tie', both_bad: 'both_bad' };

/**
 * Pairwise agreement between annotators from separate rows. An item is a prompt with its two
 * responses, compared as the text an encoder reads (textOf). The same two responses shown in the
 * other order are the same item: such a row's label is turned round (a <-> b) to the order in
 * which the item was first seen, so that all labels of an item are in one orientation (kappa
 * depends on it through the label shares; data without swapped rows is taken as labelled).
 * A dataset can hold the same item in several rows that one annotator labelled (in PandaLM's 999
 * rows, 86 items fill 222 rows): the annotator's first label counts, the others are `repeatedLabels`.
 */
export function annotatorAgreement(
  pairs: Iterable<Pick<Pair, 'prompt' | 'responseA' | 'responseB' | 'winner' | 'annotatorId'>>,
): AnnotatorAgreement {
  // item key -> the item's response A as first seen, and annotator -> label in that orientation
  const labels = new Map<string, { firstA: string; by: Map<string, Winner> }>();
  let withoutAnnotator = 0;
  let repeatedLabels = 0;
  for (const pair of pairs) {
    const annotator = pair.annotatorId;
    if (annotator === undefined || annotator === '') {
      withoutAnnotator++;
      continue;
    }
    const a = textOf(pair.responseA);
    const b = textOf(pair.responseB);
    const key = JSON.stringify([textOf(pair.prompt), ...(a < b ? [a, b] : [b, a])]);
    let item = labels.get(key);
    if (item === undefined) labels.set(key, (item = { firstA: a, by: new Map() }));
    if (item.by.has(annotator)) repeatedLabels++;
    else item.by.set(annotator, a === item.firstA ? pair.winner : SWAPPED[pair.winner]);
  }

  // (annotatorA, annotatorB) -> the labels of their shared items
  const shared = new Map<string, { annotatorA: string; annotatorB: string; x: Winner[]; y: Winner[] }>();
  const itemsOf = new Map<string, number>();
  let items = 0;
  for (const { by: item } of labels.values()) {
    if (item.size < 2) continue;
    items++;
    const ids = [...item.keys()].sort();
    for (const id of ids) itemsOf.set(id, (itemsOf.get(id) ?? 0) + 1);
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const annotatorA = ids[i]!;
        const annotatorB = ids[j]!;
        const key = JSON.stringify([annotatorA, annotatorB]);
        let entry = shared.get(key);
        if (entry === undefined) shared.set(key, (entry = { annotatorA, annotatorB, x: [], y: [] }));
        entry.x.push(item.get(annotatorA)!);
        entry.y.push(item.get(annotatorB)!);
      }
    }
  }
  const result = [...shared.values()].map(({ annotatorA, annotatorB, x, y }) => ({
    annotatorA,
    annotatorB,
    sharedItems: x.length,
    ...cohenKappa(x, y),
  }));
  result.sort((p, q) => compare(p.annotatorA, q.annotatorA) || compare(p.annotatorB, q.annotatorB));
  const annotators = [...itemsOf.entries()]
    .map(([annotatorId, sharedItems]) => ({ annotatorId, sharedItems }))
    .sort((p, q) => compare(p.annotatorId, q.annotatorId));
  return { annotators, pairs: result, items, withoutAnnotator, repeatedLabels };
}

function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Percent agreement and Cohen's kappa of two label sequences over the same items. */
export function cohenKappa(x: readonly Winner[], y: readonly Winner[]): { agreement: number; kappa: number } {
  if (x.length !== y.length) throw new RangeError('both annotators need a label for every item');
  const n = x.length;
  const countX: Record<Winner, number> = { a: 0, b: 0, tie: 0, both_bad: 0 };
  const countY: Record<Winner, number> = { a: 0, b: 0, tie: 0, both_bad: 0 };
  let same = 0;
  for (let i = 0; i < n; i++) {
    countX[x[i]!]++;
    countY[y[i]!]++;
    if (x[i] === y[i]) same++;
  }
  const observed = ratio(same, n);
  let expected = 0;
  for (const w of WINNERS) expected += (countX[w] / n) * (countY[w] / n);
  const kappa = n === 0 || expected === 1 ? Number.NaN : (observed - expected) / (1 - expected);
  return { agreement: observed, kappa };
}
