// Kept or rated-up > its siblings: among answers to the same prompt in the same conversation
// (regenerations; an arena's side-by-side answers), the one the user rated up, or else the one the
// user kept (went on from, or did not regenerate away from), is preferred to each of the others. A
// direct comparison of answers the same user saw: default weight 1.
//
// The winner is the one response rated up (more thumbs up than down). With none rated up, it is the
// one response kept: a follow_up on it, or no regenerate on it when a sibling was regenerated, and
// not rated down. Two or more such responses contradict each other: no pair.
import type { FeedbackEvent } from '../events.ts';
import {
  type PairRule,
  type RuleOutput,
  byResponse,
  groupBy,
  markAll,
  pairedIds,
  promptKeyOf,
  responsePair,
} from './rule.ts';

const ACTIONS = new Set(['thumbs_up', 'thumbs_down', 'regenerate', 'follow_up']);

export const SIBLINGS_RULE: PairRule = {
  id: 'siblings',
  label: 'Kept / rated-up > siblings',
  help: 'Among regenerations or arena answers to one prompt in one conversation, the response rated up (or else kept) is preferred to each of the others.',
  defaultWeight: 1,
  actions: ['thumbs_up', 'thumbs_down', 'regenerate', 'follow_up'],
  derive(events, context): RuleOutput {
    const out: RuleOutput = { pairs: [], unpaired: new Map() };
    // Every event of a group counts in telling which answers exist; only these actions decide.
    for (const group of groupBy(events, (e) => e.siblingGroup).values()) {
      const before = out.pairs.length;
      const deciding = group.filter((e) => ACTIONS.has(e.action));
      if (deciding.length === 0) continue;
      const responses = byResponse(group, (e) => e.responseId);
      if (responses.length < 2) {
        markAll(out.unpaired, deciding, 'siblings: no other answer to this prompt in the conversation');
        continue;
      }
      const has = (r: (typeof responses)[number], action: string) => r.events.some((e) => e.action === action);
      const ratedUp = responses.filter((r) => r.ups > r.downs);
      const anyRegenerated = responses.some((r) => has(r, 'regenerate'));
      const kept = responses.filter(
        (r) => r.ups >= r.downs && (has(r, 'follow_up') || (anyRegenerated && !has(r, 'regenerate'))),
      );
      const candidates = ratedUp.length > 0 ? ratedUp : kept;
      if (candidates.length !== 1) {
        markAll(
          out.unpaired,
          deciding,
          candidates.length === 0
            ? 'siblings: no answer was rated up or kept'
            : ratedUp.length > 1
              ? 'siblings: conflicting signals (several answers rated up)'
              : 'siblings: conflicting signals (several answers kept)',
        );
        continue;
      }
      const winner = candidates[0]!;
      const first: FeedbackEvent = group[0]!;
      for (const loser of responses) {
        if (loser === winner || loser.response.key === winner.response.key) continue;
        const promptKey = promptKeyOf(first.prompt, context.promptMatch);
        out.pairs.push(responsePair('siblings', first.prompt, promptKey, winner, loser, (e) => ACTIONS.has(e.action)));
      }
      // Deciding events on a sibling that made no pair (e.g. a second thumbs on the winner's twin text).
      const paired = pairedIds(out.pairs.slice(before));
      for (const e of deciding)
        if (!paired.has(e.id)) out.unpaired.set(e.id, 'siblings: the answers have the same text');
    }
    return out;
  },
};
