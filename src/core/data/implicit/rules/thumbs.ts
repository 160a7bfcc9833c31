// Thumbs up > thumbs down for the same prompt: across conversations and users, a response rated up
// is preferred to one rated down for the same prompt (matched exactly, or normalised). Noisy (default
// weight 0.5): the two were rated by different people, in different contexts, often for different
// reasons (a thumbs-down can mean wrong, rude or just not what was wanted).
//
// A response (by its text) counts as liked when it has more ups than downs, disliked when more downs;
// an equal, non-zero count is a conflict and it makes no pair. Each response rated down is paired with
// at most MAX_PARTNERS (3) responses rated up, the most liked first, taken in turn (rule.ts boundedPairs).
import { textKey } from '../events.ts';
import {
  MAX_PARTNERS,
  type PairRule,
  type RuleOutput,
  boundedPairs,
  byResponse,
  groupBy,
  markAll,
  pairedIds,
  promptKeyOf,
  responsePair,
} from './rule.ts';

export const THUMBS_RULE: PairRule = {
  id: 'thumbs',
  label: 'Thumbs up > thumbs down',
  help: 'For the same prompt (in any conversation), a response rated up is preferred to one rated down.',
  defaultWeight: 0.5,
  actions: ['thumbs_up', 'thumbs_down'],
  derive(events, context): RuleOutput {
    const out: RuleOutput = { pairs: [], unpaired: new Map() };
    const thumbs = events.filter((e) => e.action === 'thumbs_up' || e.action === 'thumbs_down');
    for (const [promptKey, group] of groupBy(thumbs, (e) => promptKeyOf(e.prompt, context.promptMatch))) {
      const responses = byResponse(group, (e) => textKey(e.response));
      const liked = responses.filter((r) => r.ups > r.downs);
      const disliked = responses.filter((r) => r.downs > r.ups);
      for (const r of responses) {
        if (r.ups === r.downs)
          markAll(out.unpaired, r.events, 'thumbs: conflicting signals (as many ups as downs on the same response)');
      }
      if (liked.length === 0)
        markAll(
          out.unpaired,
          disliked.flatMap((r) => r.events),
          'thumbs: no response to this prompt was rated up',
        );
      if (disliked.length === 0)
        markAll(
          out.unpaired,
          liked.flatMap((r) => r.events),
          'thumbs: no response to this prompt was rated down',
        );
      // Most-liked first, so a capped prompt pairs its clearest winners.
      liked.sort((a, b) => b.ups - b.downs - (a.ups - a.downs));
      const before = out.pairs.length;
      for (const [up, down] of boundedPairs(liked, disliked)) {
        out.pairs.push(responsePair('thumbs', group[0]!.prompt, promptKey, up, down));
      }
      const paired = pairedIds(out.pairs.slice(before));
      for (const r of liked) {
        if (r.events.some((e) => !paired.has(e.id)) && disliked.length > 0) {
          markAll(
            out.unpaired,
            r.events,
            `thumbs: this prompt already has ${MAX_PARTNERS} pairs for each response rated down`,
          );
        }
      }
    }
    return out;
  },
};
