// The labelling queue: which item an annotator sees next.
//
// Who may label an item: an annotator labels each item once. An item nobody has labelled is open
// to all; a share of items (the project's overlap, e.g. 10%, drawn per item with the seed) is also
// shown to a second annotator, for agreement, and those waiting for their second label come first.
//
// In which order (the project's strategy):
// - random: a seeded shuffle, the same after a reload;
// - uncertainty: the current model's P(A better) nearest 1/2 first (where a label teaches most); with
//   an ensemble, the items its members disagree on most first;
// - versions: the model-version pair whose win rate so far (from the labels, ties half, with one
//   pseudo-win each way so an unlabelled pair starts at 1/2) is nearest 1/2, least-labelled first
//   among equals: labels go where the version comparison is still open;
// - any of them restricted to chosen task types.
import type { Label, LabelItem } from './item.ts';
import { uniformOf } from '../data/hash.ts';

export const STRATEGIES = ['random', 'uncertainty', 'versions'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const STRATEGY_LABELS: Record<Strategy, string> = {
  random: 'Random order',
  uncertainty: 'Model most uncertain first',
  versions: 'Closest model-version win rate first',
};

export interface QueueOptions {
  strategy: Strategy;
  seed: number;
  annotatorId: string;
  /** Share of items also shown to a second annotator, 0 to 1. */
  overlapShare: number;
  /** Only these task types, when given and not empty. */
  taskTypes?: readonly string[];
  /** The model's P(A better) by item id (uncertainty); items it has not scored go last, in random order. */
  probabilityA?: ReadonlyMap<string, number>;
  /**
   * An ensemble's disagreement by item id (uncertainty), e.g. a quick head's spread of its members'
   * reward gaps (src/core/quick-head/ensemble.ts): where given, the most disputed items come first
   * (query by committee), P(A better) nearest 1/2 breaking ties.
   */
  disagreement?: ReadonlyMap<string, number>;
  /** Win rates of modelA over modelB by version pair (versions); from the labels when not given. */
  versionWinRates?: ReadonlyMap<string, { rate: number; n: number }>;
}

/** Whether an item is one of those shown to two annotators. */
export function isOverlapItem(itemId: string, seed: number, share: number): boolean {
  return uniformOf(`overlap:${itemId}`, seed) < share;
}

export function versionPairKey(modelA: string, modelB: string): string {
  return JSON.stringify([modelA, modelB]);
}

/** Win rate of A over B per version pair, from labels (ties half; both-bad pairs count as ties). */
export function winRatesFromLabels(
  items: ReadonlyMap<string, LabelItem>,
  labels: Iterable<Label>,
): Map<string, { rate: number; n: number }> {
  const tallies = new Map<string, { wins: number; n: number }>();
  for (const label of labels) {
    const item = items.get(label.itemId);
    if (!item?.modelA || !item.modelB) continue;
    const key = versionPairKey(item.modelA, item.modelB);
    let t = tallies.get(key);
    if (!t) tallies.set(key, (t = { wins: 0, n: 0 }));
    t.n++;
    t.wins += label.winner === 'a' ? 1 : label.winner === 'b' ? 0 : 0.5;
  }
  return new Map([...tallies].map(([key, t]) => [key, { rate: (t.wins + 1) / (t.n + 2), n: t.n }]));
}

/** The items `annotatorId` may label next, best first. */
export function queueOrder(items: readonly LabelItem[], labels: readonly Label[], options: QueueOptions): LabelItem[] {
  const labelledBy = new Map<string, Set<string>>();
  for (const label of labels) {
    let set = labelledBy.get(label.itemId);
    if (!set) labelledBy.set(label.itemId, (set = new Set()));
    set.add(label.annotatorId);
  }
  const types = options.taskTypes?.length ? new Set(options.taskTypes) : undefined;
  const open = items.filter((item) => {
    if (types && !types.has(item.taskType ?? '')) return false;
    const by = labelledBy.get(item.id);
    if (!by || by.size === 0) return true;
    if (by.has(options.annotatorId)) return false;
    return by.size === 1 && isOverlapItem(item.id, options.seed, options.overlapShare);
  });
  const byId = new Map(items.map((item) => [item.id, item]));
  const rates =
    options.strategy === 'versions' ? (options.versionWinRates ?? winRatesFromLabels(byId, labels)) : undefined;
  const keyOf = (item: LabelItem): number[] => {
    const waiting = labelledBy.get(item.id)?.size ? 0 : 1; // a second label for agreement first
    const random = uniformOf(`order:${item.id}`, options.seed);
    if (options.strategy === 'uncertainty') {
      const p = options.probabilityA?.get(item.id);
      const spread = options.disagreement?.get(item.id) ?? 0;
      return [waiting, p === undefined ? 1 : 0, -spread, p === undefined ? 0 : Math.abs(p - 0.5), random];
    }
    if (options.strategy === 'versions') {
      if (!item.modelA || !item.modelB) return [waiting, 1, 0, 0, random];
      const r = rates!.get(versionPairKey(item.modelA, item.modelB)) ?? { rate: 0.5, n: 0 };
      return [waiting, 0, Math.abs(r.rate - 0.5), r.n, random];
    }
    return [waiting, random];
  };
  const keyed = open.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((x, y) => {
    for (let i = 0; i < x.key.length; i++) if (x.key[i] !== y.key[i]) return x.key[i]! - y.key[i]!;
    return 0;
  });
  return keyed.map((k) => k.item);
}
