// The length baselines: "the longer response wins" and "the shorter response wins", the strongest
// single signal in much preference data and the one a reward model most easily learns instead of
// quality. Length is counted in characters (Unicode code points) of the whole response, before any
// truncation, so it is what the annotators saw and does not depend on the run's tokenizer. A tie in
// length is a wrong call, as RewardBench counts a pair right only when score(chosen) > score(rejected).
import type { TextPair } from './text-pair.ts';

/** Code points, not UTF-16 units: an emoji is one character. */
export function characters(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** How many pairs the rule gets strictly right: `longer` picks the longer response, else the shorter. */
export function lengthRuleCorrect(pairs: readonly TextPair[], rule: 'longer' | 'shorter'): number {
  let correct = 0;
  for (const p of pairs) {
    const d = characters(p.chosen) - characters(p.rejected);
    if (rule === 'longer' ? d > 0 : d < 0) correct++;
  }
  return correct;
}
