// Feedback events -> weighted preference pairs, by the rules that are on, with a report of what
// each rule made and, for every event that made no pair, why.
//
// Rules are run independently and their candidate pairs then meet:
// - the same pair (same prompt, same chosen and rejected text) from several rules or events is kept
//   once, with the largest of their weights and every rule and event in its provenance: agreeing
//   signals are not counted twice;
// - a pair and its reverse (one rule says X > Y, another Y > X, or the same rule from different
//   events) contradict each other: neither is kept, and their events are reported as conflicting.
// The weight is the rule's (its default, or the user's), the per-pair sample weight training uses
// (TRAIN_FIELDS sampleWeights; see loss.ts).
import type { PairInput, Text } from '../pair.ts';
import type { FeedbackAction, FeedbackEvent } from './events.ts';
import { COPY_RULE } from './rules/copy.ts';
import { EDIT_RULE } from './rules/edit.ts';
import { RATINGS_RULE } from './rules/ratings.ts';
import type { CandidatePair, PairRule, PairRuleId, PromptMatch } from './rules/rule.ts';
import { SIBLINGS_RULE } from './rules/siblings.ts';
import { THUMBS_RULE } from './rules/thumbs.ts';

export type { PairRuleId, PromptMatch } from './rules/rule.ts';

/** Every rule, in the order the report lists them (the strongest signals first). */
export const PAIR_RULES: readonly PairRule[] = [EDIT_RULE, SIBLINGS_RULE, RATINGS_RULE, THUMBS_RULE, COPY_RULE];

export interface RuleSetting {
  on: boolean;
  weight: number;
}

export interface RuleSettings {
  rules: Record<PairRuleId, RuleSetting>;
  promptMatch: PromptMatch;
}

export function defaultRuleSettings(): RuleSettings {
  return {
    rules: Object.fromEntries(PAIR_RULES.map((r) => [r.id, { on: true, weight: r.defaultWeight }])) as Record<
      PairRuleId,
      RuleSetting
    >,
    promptMatch: 'exact',
  };
}

/** Why settings from outside (a form, a worker message, the CLI) are wrong, or undefined. */
export function ruleSettingsProblem(settings: RuleSettings): string | undefined {
  for (const rule of PAIR_RULES) {
    const s = settings.rules[rule.id];
    if (s === undefined) return `no setting for rule "${rule.id}"`;
    if (!(Number.isFinite(s.weight) && s.weight > 0 && s.weight <= 100)) {
      return `rule "${rule.id}": weight must be a number above 0 and at most 100 (got ${s.weight})`;
    }
  }
  if (settings.promptMatch !== 'exact' && settings.promptMatch !== 'normalized') {
    return `prompt matching must be "exact" or "normalized" (got ${JSON.stringify(settings.promptMatch)})`;
  }
  return undefined;
}

/** Where a derived pair came from: the rule and the ids of the events that made it. */
export interface Provenance {
  rule: PairRuleId;
  events: string[];
}

export interface RuleReport {
  rule: PairRuleId;
  on: boolean;
  weight: number;
  /** Events with an action this rule reads. */
  events: number;
  /** Pairs this rule made that were kept (some also made by another rule: see `shared`). */
  pairs: number;
  /** Of `pairs`, those an earlier rule in the list had made too (kept once). */
  shared: number;
  /** Pairs it made that another pair contradicted (dropped). */
  conflicting: number;
}

export interface UnpairedEvent {
  line: number;
  eventId: string;
  action: FeedbackAction;
  reason: string;
}

export interface ImplicitReport {
  events: number;
  /** Events that made at least one kept pair. */
  eventsPaired: number;
  pairs: number;
  rules: RuleReport[];
  /** Every event that made no pair, with why. */
  unpaired: UnpairedEvent[];
  /** The unpaired events' reasons, most common first. */
  reasons: { reason: string; count: number }[];
}

export interface DerivedPairs {
  pairs: PairInput[];
  report: ImplicitReport;
}

interface Merged {
  candidate: CandidatePair;
  weight: number;
  provenance: Provenance[];
  events: Map<string, FeedbackEvent>;
  conflict: boolean;
}

const SEP = '\u0001';

function latest(events: Iterable<FeedbackEvent>): FeedbackEvent | undefined {
  let best: FeedbackEvent | undefined;
  for (const e of events) if (e.time !== undefined && (best === undefined || e.time > best.time!)) best = e;
  return best;
}

function toPair(m: Merged): PairInput {
  const { candidate } = m;
  const events = [...m.events.values()];
  const pair: PairInput = {
    prompt: candidate.prompt,
    responseA: candidate.chosen.text as Text,
    responseB: candidate.rejected.text as Text,
    winner: 'a',
    weight: m.weight,
    provenance: m.provenance,
  };
  if (candidate.chosen.modelVersion !== undefined) pair.modelA = candidate.chosen.modelVersion;
  if (candidate.rejected.modelVersion !== undefined) pair.modelB = candidate.rejected.modelVersion;
  const user = events.find((e) => e.userId !== undefined)?.userId;
  if (user !== undefined) pair.annotatorId = user;
  const task = events.find((e) => e.taskType !== undefined)?.taskType;
  if (task !== undefined) pair.taskType = task;
  const last = latest(events);
  if (last !== undefined) pair.timestamp = new Date(last.time!).toISOString();
  return pair;
}

/** Every event's reasons from the rules that looked at it and made no pair of it. */
class Reasons {
  private readonly byEvent = new Map<string, string[]>();

  add(id: string, reason: string): void {
    const list = this.byEvent.get(id);
    if (list) list.push(reason);
    else this.byEvent.set(id, [reason]);
  }

  of(id: string): string {
    return [...new Set(this.byEvent.get(id) ?? ['no rule reads this action'])].join('; ');
  }
}

/**
 * Adds one rule's candidates to the pairs so far (keyed by prompt, chosen and rejected text): the same
 * pair merges, its reverse marks both as conflicting. Returns the distinct pairs this rule made.
 */
function mergeCandidates(
  merged: Map<string, Merged>,
  candidates: readonly CandidatePair[],
  rule: PairRuleId,
  weight: number,
): Merged[] {
  const mine = new Set<Merged>();
  for (const c of candidates) {
    const key = [c.promptKey, c.chosen.key, c.rejected.key].join(SEP);
    let m = merged.get(key);
    if (m === undefined) {
      m = { candidate: c, weight, provenance: [], events: new Map(), conflict: false };
      merged.set(key, m);
    } else if (!m.provenance.some((p) => p.rule === rule)) {
      m.weight = Math.max(m.weight, weight);
    }
    let prov = m.provenance.find((p) => p.rule === rule);
    if (prov === undefined) m.provenance.push((prov = { rule, events: [] }));
    for (const e of c.events) {
      if (!prov.events.includes(e.id)) prov.events.push(e.id);
      m.events.set(e.id, e);
    }
    const reverse = merged.get([c.promptKey, c.rejected.key, c.chosen.key].join(SEP));
    if (reverse !== undefined) {
      m.conflict = true;
      reverse.conflict = true;
    }
    mine.add(m);
  }
  return [...mine];
}

/** Each rule's kept, shared and conflicting pairs; a kept pair counts as made by the first rule in the list. */
function countPairs(reports: RuleReport[], byRule: ReadonlyMap<PairRuleId, Merged[]>): void {
  const counted = new Set<Merged>();
  for (const report of reports) {
    for (const m of byRule.get(report.rule) ?? []) {
      if (m.conflict) {
        report.conflicting++;
        continue;
      }
      report.pairs++;
      if (counted.has(m)) report.shared++;
      else counted.add(m);
    }
  }
}

/** The pairs the rules that are on make from the events, and the report. */
export function derivePairs(
  events: readonly FeedbackEvent[],
  settings: RuleSettings = defaultRuleSettings(),
): DerivedPairs {
  const merged = new Map<string, Merged>();
  const reports: RuleReport[] = [];
  const reasons = new Reasons();
  const byRule = new Map<PairRuleId, Merged[]>();
  for (const rule of PAIR_RULES) {
    const { on, weight } = settings.rules[rule.id];
    const read = events.filter((e) => rule.actions.includes(e.action));
    reports.push({ rule: rule.id, on, weight, events: read.length, pairs: 0, shared: 0, conflicting: 0 });
    if (!on) {
      for (const e of read) reasons.add(e.id, `${rule.id}: the rule is off`);
      continue;
    }
    // Every event goes in: the sibling rules need all the answers a group holds, not only the deciding ones.
    const output = rule.derive(events, { promptMatch: settings.promptMatch });
    for (const [id, reason] of output.unpaired) reasons.add(id, reason);
    byRule.set(rule.id, mergeCandidates(merged, output.pairs, rule.id, weight));
  }
  const kept = [...merged.values()].filter((m) => !m.conflict);
  const paired = new Set(kept.flatMap((m) => [...m.events.keys()]));
  for (const m of merged.values()) {
    if (!m.conflict) continue;
    const rules = m.provenance.map((p) => p.rule).join(' and ');
    for (const id of m.events.keys()) {
      reasons.add(id, `${rules}: conflicting signals (another signal prefers the other response)`);
    }
  }
  countPairs(reports, byRule);
  const unpaired: UnpairedEvent[] = events
    .filter((e) => !paired.has(e.id))
    .map((e) => ({ line: e.line, eventId: e.id, action: e.action, reason: reasons.of(e.id) }));
  const counts = new Map<string, number>();
  for (const u of unpaired) counts.set(u.reason, (counts.get(u.reason) ?? 0) + 1);
  return {
    pairs: kept.map(toPair),
    report: {
      events: events.length,
      eventsPaired: events.length - unpaired.length,
      pairs: kept.length,
      rules: reports,
      unpaired,
      reasons: [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    },
  };
}
