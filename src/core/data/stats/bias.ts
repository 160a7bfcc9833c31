// Biases a reward model can learn instead of quality, measured in the human labels themselves.
//
// Position bias: annotators (human or LLM judges) tend to prefer the response shown first, or
// second. Among decisive pairs, the share won by A should be near 1/2 when A/B order is random.
//
// Length (verbosity) bias: human and model judges tend to prefer longer responses (Singhal et al.
// 2023, "A Long Way to Go: Investigating Length Correlations in RLHF"; Dubois et al. 2024,
// length-controlled AlpacaEval). Among decisive pairs whose responses differ in length, the share
// won by the longer response: well above 1/2 means a reward model can score well by counting words.
//
// Each share comes with a Wilson score interval and an exact two-sided binomial test against 1/2.

import { type Pair, textOf } from '../pair.ts';
import { type Interval, binomialTest, ratio, wilsonInterval } from './math.ts';

/** Counts tokens of a text: the tokenizer the model will use, injected so that this code has none. */
export type CountTokens = (text: string) => number;

/** A share of n trials with its confidence interval and its test against 1/2. */
export interface Proportion {
  /** Trials: the pairs the share is over. */
  n: number;
  /** Successes among them. */
  successes: number;
  /** successes / n; NaN when n is 0. */
  share: number;
  /** Wilson score interval at `confidence`; NaN bounds when n is 0. */
  interval: Interval;
  confidence: number;
  /** Exact two-sided binomial test p-value against share 1/2; NaN when n is 0. */
  pValue: number;
}

export function proportion(successes: number, n: number, confidence = 0.95): Proportion {
  return {
    n,
    successes,
    share: ratio(successes, n),
    interval: wilsonInterval(successes, n, confidence),
    confidence,
    pValue: binomialTest(successes, n, 0.5),
  };
}

export interface PositionBias extends Proportion {
  /** Decisive pairs won by A (= successes) and by B. */
  aWins: number;
  bWins: number;
  /** Pairs left out: ties and both-bad. */
  nonDecisive: number;
}

export interface BiasOptions {
  /** Confidence level of the intervals; 0.95 unless given. */
  confidence?: number;
}

/** How often A wins among decisive pairs (winner a or b); 1/2 is no position bias. */
export function positionBias(pairs: Iterable<Pick<Pair, 'winner'>>, options: BiasOptions = {}): PositionBias {
  let aWins = 0;
  let bWins = 0;
  let nonDecisive = 0;
  for (const { winner } of pairs) {
    if (winner === 'a') aWins++;
    else if (winner === 'b') bWins++;
    else nonDecisive++;
  }
  return { ...proportion(aWins, aWins + bWins, options.confidence), aWins, bWins, nonDecisive };
}

export interface LengthBiasMeasure extends Proportion {
  /** Decisive pairs whose longer response won (= successes); n counts those of different lengths. */
  longerWins: number;
  shorterWins: number;
  /** Decisive pairs whose two responses have the same length: left out. */
  equalLength: number;
}

export interface LengthBias {
  /** Length in Unicode code points of textOf(response) (Python's len, not UTF-16 units). */
  characters: LengthBiasMeasure;
  /** Length in tokens, by the injected countTokens. */
  tokens: LengthBiasMeasure;
  /** Decisive pairs looked at (before dropping equal lengths) and non-decisive pairs left out. */
  decisive: number;
  nonDecisive: number;
}

export interface LengthOptions extends BiasOptions {
  countTokens: CountTokens;
}

/** Unicode code points in a string: a surrogate pair is one character, as in Python's len(). */
export function characterCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/**
 * How often the longer response wins among decisive pairs whose responses differ in length,
 * in characters and in tokens (each measure drops its own equal-length pairs, so their n differ).
 */
export function lengthBias(
  pairs: Iterable<Pick<Pair, 'winner' | 'responseA' | 'responseB'>>,
  options: LengthOptions,
): LengthBias {
  const tally = { characters: { longer: 0, shorter: 0, equal: 0 }, tokens: { longer: 0, shorter: 0, equal: 0 } };
  let decisive = 0;
  let nonDecisive = 0;
  for (const pair of pairs) {
    if (pair.winner !== 'a' && pair.winner !== 'b') {
      nonDecisive++;
      continue;
    }
    decisive++;
    const a = textOf(pair.responseA);
    const b = textOf(pair.responseB);
    const lengths = {
      characters: [characterCount(a), characterCount(b)] as const,
      tokens: [options.countTokens(a), options.countTokens(b)] as const,
    };
    for (const measure of ['characters', 'tokens'] as const) {
      const [lengthA, lengthB] = lengths[measure];
      const t = tally[measure];
      if (lengthA === lengthB) t.equal++;
      else if (lengthA > lengthB === (pair.winner === 'a')) t.longer++;
      else t.shorter++;
    }
  }
  const measure = (t: { longer: number; shorter: number; equal: number }): LengthBiasMeasure => ({
    ...proportion(t.longer, t.longer + t.shorter, options.confidence),
    longerWins: t.longer,
    shorterWins: t.shorter,
    equalLength: t.equal,
  });
  return { characters: measure(tally.characters), tokens: measure(tally.tokens), decisive, nonDecisive };
}
