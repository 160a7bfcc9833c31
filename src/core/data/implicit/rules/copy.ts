// Copied > not copied, among siblings: a user who copies one of several answers to the same prompt
// in a conversation took that one. Weak (default weight 0.3): people copy to quote, to complain, to
// test, and not copying says little.
import { type PairRule, type RuleOutput, byResponse, groupBy, markAll, pairedIds, promptKeyOf } from './rule.ts';

export const COPY_RULE: PairRule = {
  id: 'copy',
  label: 'Copied > not copied',
  help: 'Among answers to one prompt in one conversation, one the user copied is preferred to each one not copied.',
  defaultWeight: 0.3,
  actions: ['copy'],
  derive(events, context): RuleOutput {
    const out: RuleOutput = { pairs: [], unpaired: new Map() };
    for (const group of groupBy(events, (e) => e.siblingGroup).values()) {
      const before = out.pairs.length;
      const copies = group.filter((e) => e.action === 'copy');
      if (copies.length === 0) continue;
      const responses = byResponse(group, (e) => e.responseId);
      if (responses.length < 2) {
        markAll(out.unpaired, copies, 'copy: no other answer to this prompt in the conversation');
        continue;
      }
      const copied = responses.filter((r) => r.events.some((e) => e.action === 'copy'));
      const notCopied = responses.filter((r) => !copied.includes(r));
      if (notCopied.length === 0) {
        markAll(out.unpaired, copies, 'copy: every answer was copied');
        continue;
      }
      const first = group[0]!;
      for (const c of copied) {
        for (const n of notCopied) {
          if (c.response.key === n.response.key) continue;
          out.pairs.push({
            rule: 'copy',
            prompt: first.prompt,
            promptKey: promptKeyOf(first.prompt, context.promptMatch),
            chosen: c.response,
            rejected: n.response,
            events: c.events.filter((e) => e.action === 'copy'),
          });
        }
      }
      const paired = pairedIds(out.pairs.slice(before));
      for (const e of copies) if (!paired.has(e.id)) out.unpaired.set(e.id, 'copy: the answers have the same text');
    }
    return out;
  },
};
