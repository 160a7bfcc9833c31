// Ratings' order among responses to one prompt: where users gave numeric ratings (1-5 stars, Open
// WebUI's 1-10 details), a response with a higher mean rating is preferred to one with a lower, for
// the same prompt (matched exactly or normalised); each response with up to MAX_PARTNERS (3) of those
// rated above it, so a much-rated prompt does not make every pair of its responses. Default weight
// 0.8: an explicit judgement, but of each response alone, on a scale people use differently.
import { textKey } from '../events.ts';
import {
  MAX_PARTNERS,
  type PairRule,
  type RuleOutput,
  groupBy,
  markAll,
  pairedIds,
  promptKeyOf,
  responseOf,
  responsePair,
} from './rule.ts';

export const RATINGS_RULE: PairRule = {
  id: 'ratings',
  label: 'Higher rating > lower',
  help: 'For the same prompt, a response with a higher mean rating is preferred to one with a lower.',
  defaultWeight: 0.8,
  actions: ['rating'],
  derive(events, context): RuleOutput {
    const out: RuleOutput = { pairs: [], unpaired: new Map() };
    const ratings = events.filter((e) => e.action === 'rating' && e.value !== undefined);
    for (const [promptKey, group] of groupBy(ratings, (e) => promptKeyOf(e.prompt, context.promptMatch))) {
      const before = out.pairs.length;
      const responses = [...groupBy(group, (e) => textKey(e.response)).values()].map((list) => ({
        response: responseOf(list[0]!),
        events: list,
        mean: list.reduce((s, e) => s + e.value!, 0) / list.length,
      }));
      if (responses.length < 2) {
        markAll(out.unpaired, group, 'ratings: no other rated response to this prompt');
        continue;
      }
      // Each response below another is paired with up to MAX_PARTNERS of those rated above it, taken in turn.
      responses.sort((a, b) => b.mean - a.mean);
      for (const [i, lo] of responses.entries()) {
        const above = responses.filter((r) => r.mean > lo.mean);
        const k = Math.min(MAX_PARTNERS, above.length);
        for (let j = 0; j < k; j++) {
          const hi = above[(i * k + j) % above.length]!;
          out.pairs.push(responsePair('ratings', group[0]!.prompt, promptKey, hi, lo));
        }
      }
      const paired = pairedIds(out.pairs.slice(before));
      const allEqual = responses.every((r) => r.mean === responses[0]!.mean);
      for (const e of group) {
        if (paired.has(e.id)) continue;
        out.unpaired.set(
          e.id,
          allEqual
            ? 'ratings: every other response to this prompt has the same rating'
            : `ratings: this prompt already has ${MAX_PARTNERS} pairs for each lower-rated response`,
        );
      }
    }
    return out;
  },
};
