// What a pair rule is: a function from feedback events to candidate pairs (chosen > rejected, with
// the events that say so), and, for each event it looked at that made none of its pairs, why.
// derive.ts runs the rules that are on, merges what they agree on and drops what they contradict.
import type { Text } from '../../pair.ts';
import { type FeedbackAction, type FeedbackEvent, textKey } from '../events.ts';

export type PairRuleId = 'edit' | 'siblings' | 'ratings' | 'thumbs' | 'copy';

/** How prompts are matched across conversations (the thumbs and ratings rules). */
export type PromptMatch = 'exact' | 'normalized';

export interface CandidateResponse {
  text: Text;
  /** The same text gives the same key. */
  key: string;
  modelVersion?: string;
}

export interface CandidatePair {
  rule: PairRuleId;
  prompt: Text;
  promptKey: string;
  chosen: CandidateResponse;
  rejected: CandidateResponse;
  /** The events that made it, in log order. */
  events: FeedbackEvent[];
}

export interface RuleOutput {
  pairs: CandidatePair[];
  /** Event id -> why this rule made no pair from it (only events the rule looked at). */
  unpaired: Map<string, string>;
}

export interface RuleContext {
  promptMatch: PromptMatch;
}

export interface PairRule {
  id: PairRuleId;
  label: string;
  /** One line for the form, the CLI's --help and the README. */
  help: string;
  /** Its pairs' sample weight unless the user sets another: how much to trust the signal (see derive.ts). */
  defaultWeight: number;
  /** The actions it reads. */
  actions: readonly FeedbackAction[];
  derive: (events: readonly FeedbackEvent[], context: RuleContext) => RuleOutput;
}

/**
 * The key prompts are matched by: the text itself, or normalised (case, whitespace and punctuation
 * ignored, so "How do I sort a list?" and "how do i sort a list" match).
 */
export function promptKeyOf(prompt: Text, match: PromptMatch): string {
  const key = textKey(prompt);
  if (match === 'exact') return key;
  return key
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function responseOf(event: FeedbackEvent): CandidateResponse {
  return {
    text: event.response,
    key: textKey(event.response),
    ...(event.modelVersion !== undefined ? { modelVersion: event.modelVersion } : {}),
  };
}

/** Groups items by a key, keeping first-seen order (Map keys: any text is safe as a key). */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The events of one response within a group, with its net thumbs (ups - downs). */
export interface ResponseEvents {
  response: CandidateResponse;
  events: FeedbackEvent[];
  ups: number;
  downs: number;
}

export function byResponse(events: readonly FeedbackEvent[], key: (e: FeedbackEvent) => string): ResponseEvents[] {
  return [...groupBy(events, key).values()].map((list) => ({
    response: responseOf(list[0]!),
    events: list,
    ups: list.filter((e) => e.action === 'thumbs_up').length,
    downs: list.filter((e) => e.action === 'thumbs_down').length,
  }));
}

/** The pair `chosen` > `rejected` that a rule makes from two responses' events, the events in log order. */
export function responsePair(
  rule: PairRuleId,
  prompt: Text,
  promptKey: string,
  chosen: Pick<ResponseEvents, 'response' | 'events'>,
  rejected: Pick<ResponseEvents, 'response' | 'events'>,
  keep: (event: FeedbackEvent) => boolean = () => true,
): CandidatePair {
  return {
    rule,
    prompt,
    promptKey,
    chosen: chosen.response,
    rejected: rejected.response,
    events: [...chosen.events, ...rejected.events].filter(keep).sort((a, b) => a.line - b.line),
  };
}

export function markAll(unpaired: Map<string, string>, events: Iterable<FeedbackEvent>, reason: string): void {
  for (const e of events) unpaired.set(e.id, reason);
}

/** The ids of the events that made at least one of these pairs. */
export function pairedIds(pairs: readonly CandidatePair[]): Set<string> {
  return new Set(pairs.flatMap((p) => p.events.map((e) => e.id)));
}

/**
 * At most this many partners per response in the rules that pair across conversations (thumbs,
 * ratings): a popular prompt ("hi") with 200 liked and 200 disliked answers would otherwise make
 * 40,000 pairs of one prompt, drowning the rest of the data.
 */
export const MAX_PARTNERS = 3;

/**
 * Which winners each loser is paired with: every loser with up to `max` winners, taken round-robin
 * from the winners' order (strongest first), so that each winner is used about as often as the others.
 * With at most `max` winners on either side it is every pair.
 */
export function boundedPairs<W, L>(winners: readonly W[], losers: readonly L[], max = MAX_PARTNERS): [W, L][] {
  const out: [W, L][] = [];
  if (winners.length === 0) return out;
  const k = Math.min(max, winners.length);
  for (const [i, loser] of losers.entries()) {
    for (let j = 0; j < k; j++) out.push([winners[(i * k + j) % winners.length]!, loser]);
  }
  return out;
}
