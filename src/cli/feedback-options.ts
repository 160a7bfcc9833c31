// The command line's feedback-log options (rmlab feedback, and rmlab train on a log): which pair rules
// are on and their weights, how prompts are matched, what happens to user ids, and a field mapping
// for a log in another layout. Each mistake is a UsageError naming the option.
import {
  PAIR_RULES,
  defaultRuleSettings,
  ruleSettingsProblem,
  type RuleSettings,
} from '../core/data/implicit/derive.ts';
import { commaList } from '../core/data/comma-list.ts';
import { ACTIONS, type FeedbackAction } from '../core/data/implicit/events.ts';
import { USER_ID_POLICIES, type UserIdPolicy } from '../core/data/implicit/privacy.ts';
import { EVENT_FIELDS, eventMappingProblems, type EventField, type EventMapping } from '../core/data/implicit/read.ts';
import { UsageError, type CommandOption } from './options.ts';

const RULE_IDS = PAIR_RULES.map((r) => r.id);

export const FEEDBACK_OPTIONS: CommandOption[] = [
  {
    name: 'rules',
    value: '<list>',
    help: `For a feedback log: the pair rules to use, comma-separated, of ${RULE_IDS.join(', ')}.`,
    default: RULE_IDS.join(','),
  },
  {
    name: 'rule-weights',
    value: '<rule=w,...>',
    help: `For a feedback log: each rule's sample weight (defaults: ${PAIR_RULES.map((r) => `${r.id}=${r.defaultWeight}`).join(', ')}).`,
  },
  {
    name: 'prompt-match',
    value: 'exact|normalized',
    help: 'For a feedback log: match prompts across conversations exactly, or ignoring case, spacing and punctuation.',
    default: 'exact',
  },
  {
    name: 'user-ids',
    value: USER_ID_POLICIES.join('|'),
    help: 'For a feedback log: keep user ids, replace them by pseudonyms (salted SHA-256, the salt not kept), or drop them.',
    default: 'keep',
  },
  {
    name: 'log-map',
    value: '<field=theirs,...>',
    help: `For a feedback log in another layout: which of its fields holds each event field (${EVENT_FIELDS.join(', ')}), e.g. prompt=question,response=answer,action=event.`,
  },
  {
    name: 'log-actions',
    value: '<theirs=action,...>',
    help: `With --log-map: which of its action values mean which action (${ACTIONS.join(', ')}), e.g. like=thumbs_up,dislike=thumbs_down.`,
  },
];

function pairsOf(option: string, text: string): [string, string][] {
  return commaList(text).map((item) => {
    const at = item.indexOf('=');
    if (at <= 0 || at === item.length - 1) throw new UsageError(`--${option}: "${item}" is not name=value`);
    return [item.slice(0, at).trim(), item.slice(at + 1).trim()];
  });
}

export interface FeedbackCliChoices {
  rules: RuleSettings;
  userIds: UserIdPolicy;
  mapping?: EventMapping;
}

export function feedbackChoices(values: Record<string, string | undefined>): FeedbackCliChoices {
  const rules = defaultRuleSettings();
  const on = new Set(commaList(values.rules ?? RULE_IDS.join(',')));
  for (const id of on) {
    if (!RULE_IDS.includes(id as never))
      throw new UsageError(`--rules: unknown rule "${id}": use ${RULE_IDS.join(', ')}`);
  }
  for (const id of RULE_IDS) rules.rules[id].on = on.has(id);
  for (const [id, w] of pairsOf('rule-weights', values['rule-weights'] ?? '')) {
    if (!RULE_IDS.includes(id as never))
      throw new UsageError(`--rule-weights: unknown rule "${id}": use ${RULE_IDS.join(', ')}`);
    rules.rules[id as (typeof RULE_IDS)[number]].weight = Number(w);
  }
  const match = values['prompt-match'] ?? 'exact';
  if (match !== 'exact' && match !== 'normalized')
    throw new UsageError(`--prompt-match must be exact or normalized, got "${match}"`);
  rules.promptMatch = match;
  const problem = ruleSettingsProblem(rules);
  if (problem !== undefined) throw new UsageError(`--rule-weights: ${problem}`);
  const userIds = values['user-ids'] ?? 'keep';
  if (!(USER_ID_POLICIES as readonly string[]).includes(userIds)) {
    throw new UsageError(`--user-ids must be one of ${USER_ID_POLICIES.join(', ')}, got "${userIds}"`);
  }
  const choices: FeedbackCliChoices = { rules, userIds: userIds as UserIdPolicy };
  if (values['log-map'] !== undefined) {
    const fields: EventMapping['fields'] = {};
    for (const [ours, theirs] of pairsOf('log-map', values['log-map'])) {
      if (!EVENT_FIELDS.includes(ours as EventField))
        throw new UsageError(`--log-map: "${ours}" is not an event field: use ${EVENT_FIELDS.join(', ')}`);
      fields[ours as EventField] = theirs;
    }
    const mapping: EventMapping = { fields };
    if (values['log-actions'] !== undefined) {
      mapping.actions = Object.fromEntries(pairsOf('log-actions', values['log-actions'])) as Record<
        string,
        FeedbackAction
      >;
    }
    const problems = eventMappingProblems(mapping);
    if (problems.length > 0) throw new UsageError(`--log-map: ${problems.join('; ')}`);
    choices.mapping = mapping;
  } else if (values['log-actions'] !== undefined) throw new UsageError('--log-actions needs --log-map');
  return choices;
}
