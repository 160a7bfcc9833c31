// Edited > original: a user who rewrites a response says what it should have been. The strongest
// implicit signal (default weight 1): the preferred text is the user's own.
import type { PairRule, RuleOutput } from './rule.ts';
import { promptKeyOf, responseOf } from './rule.ts';

export const EDIT_RULE: PairRule = {
  id: 'edit',
  label: 'Edited > original',
  help: "A user's edit of a response is preferred to the response as the model wrote it.",
  defaultWeight: 1,
  actions: ['edit'],
  derive(events, context): RuleOutput {
    const out: RuleOutput = { pairs: [], unpaired: new Map() };
    for (const e of events) {
      if (e.action !== 'edit') continue;
      // readEvent rejects edits without text or identical to the response; an event from elsewhere may lack it
      if (e.editedText === undefined || e.editedText.trim() === '') {
        out.unpaired.set(e.id, 'edit: no edited text');
        continue;
      }
      out.pairs.push({
        rule: 'edit',
        prompt: e.prompt,
        promptKey: promptKeyOf(e.prompt, context.promptMatch),
        chosen: { text: e.editedText, key: e.editedText },
        rejected: responseOf(e),
        events: [e],
      });
    }
    return out;
  },
};
