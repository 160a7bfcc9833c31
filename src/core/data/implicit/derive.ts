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

/** The pairs the rules that are on make from the events, and the report. */
export function derivePairs(
  events: readonly FeedbackEvent[],
  settings: RuleSettings = defaultRuleSettings(),
): DerivedPairs {
  const merged = new Map<string, Merged>();
  const ruleReports: RuleReport[] = [];
  const reasons = new Map<string, string[]>(); // event id -> reasons from each rule that looked at it
  const addReason = (id: string, reason: string) => {
    const list = reasons.get(id);
    if (list) list.push(reason);
    else reasons.set(id, [reason]);
  };
  const byRule = new Map<PairRuleId, Merged[]>();
  for (const rule of PAIR_RULES) {
    const setting = settings.rules[rule.id];
    const read = events.filter((e) => rule.actions.includes(e.action));
    const report: RuleReport = {
      rule: rule.id,
      on: setting.on,
      weight: setting.weight,
      events: read.length,
      pairs: 0,
      shared: 0,
      conflicting: 0,
    };
    ruleReports.push(report);
    if (!setting.on) {
      for (const e of read) addReason(e.id, `${rule.id}: the rule is off`);
      continue;
    }
    // Every event goes in: the sibling rules need all the answers a group holds, not only the deciding ones.
    const output = rule.derive(events, { promptMatch: settings.promptMatch });
    for (const [id, reason] of output.unpaired) addReason(id, reason);
    const mine: Merged[] = [];
    const seenHere = new Set<Merged>();
    for (const c of output.pairs) {
      const key = [c.promptKey, c.chosen.key, c.rejected.key].join(SEP);
      let m = merged.get(key);
      if (m === undefined) {
        m = { candidate: c, weight: setting.weight, provenance: [], events: new Map(), conflict: false };
        merged.set(key, m);
      } else if (!m.provenance.some((p) => p.rule === rule.id)) {
        m.weight = Math.max(m.weight, setting.weight);
      }
      let prov = m.provenance.find((p) => p.rule === rule.id);
      if (prov === undefined) m.provenance.push((prov = { rule: rule.id, events: [] }));
      for (const e of c.events) {
        if (!prov.events.includes(e.id)) prov.events.push(e.id);
        m.events.set(e.id, e);
      }
      const reverse = merged.get([c.promptKey, c.rejected.key, c.chosen.key].join(SEP));
      if (reverse !== undefined) {
        m.conflict = true;
        reverse.conflict = true;
      }
      if (!seenHere.has(m)) {
        seenHere.add(m);
        mine.push(m);
      }
    }
    byRule.set(rule.id, mine);
  }
  const kept = [...merged.values()].filter((m) => !m.conflict);
  const paired = new Set(kept.flatMap((m) => [...m.events.keys()]));
  for (const m of merged.values()) {
    if (!m.conflict) continue;
    for (const id of m.events.keys()) {
      addReason(
        id,
        `${m.provenance.map((p) => p.rule).join(' and ')}: conflicting signals (another signal prefers the other response)`,
      );
    }
  }
  const firstRule = new Map<Merged, PairRuleId>();
  for (const report of ruleReports) {
    for (const m of byRule.get(report.rule) ?? []) {
      if (m.conflict) {
        report.conflicting++;
        continue;
      }
      report.pairs++;
      if (firstRule.has(m)) report.shared++;
      else firstRule.set(m, report.rule);
    }
  }
  const unpaired: UnpairedEvent[] = [];
  const counts = new Map<string, number>();
  for (const e of events) {
    if (paired.has(e.id)) continue;
    const reason = [...new Set(reasons.get(e.id) ?? ['no rule reads this action'])].join('; ');
    unpaired.push({ line: e.line, eventId: e.id, action: e.action, reason });
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return {
    pairs: kept.map(toPair),
    report: {
      events: events.length,
      eventsPaired: events.length - unpaired.length,
      pairs: kept.length,
      rules: ruleReports,
      unpaired,
      reasons: [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    },
  };
}
