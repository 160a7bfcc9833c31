// The in-run baselines against scikit-learn (scripts/reference/baselines_reference.py writes the
// fixture from the demo file with its own hashing and LogisticRegression), and by hand.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import expected from '../fixtures/baselines/demo-bag-of-words.json';
import {
  bagOfWordsProbabilities,
  fitBagOfWords,
  DEFAULT_BAG_OF_WORDS,
} from '../../src/core/eval/baselines/bag-of-words.ts';
import { fnv1a, hashedCounts, words } from '../../src/core/eval/baselines/hashed-features.ts';
import { characters, lengthRuleCorrect } from '../../src/core/eval/baselines/length.ts';
import {
  baselineSentence,
  computeBaselines,
  heldOutAccuracy,
  parseRunBaselines,
  verdict,
  type TextPair,
} from '../../src/core/eval/baselines/index.ts';

interface DemoRow {
  source_id: string;
  prompt: string;
  response_a: string;
  response_b: string;
  winner: string;
}
const rows = new Map(
  readFileSync('public/demo/pandalm-testset.jsonl', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as DemoRow)
    .map((r) => [r.source_id, r]),
);
const textPair = (id: string): TextPair => {
  const r = rows.get(id)!;
  const aWon = r.winner === 'response_a';
  return { prompt: r.prompt, chosen: aWon ? r.response_a : r.response_b, rejected: aWon ? r.response_b : r.response_a };
};
const train = expected.train.map(textPair);
const heldOut = expected.heldOut.map(textPair);

describe('hashed word and bigram features', () => {
  it('hashes with 32-bit FNV-1a over UTF-8 (the published test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
  it('counts lower-cased words of letters and digits, and their bigrams', () => {
    expect(words("Don't STOP, 2 cafés_x")).toEqual(['don', 't', 'stop', '2', 'cafés', 'x']);
    const c = hashedCounts('a b a', 18);
    const bucket = (s: string) => fnv1a(s) & (2 ** 18 - 1);
    expect(c.get(bucket('a'))).toBe(2);
    expect(c.get(bucket('b'))).toBe(1);
    expect(c.get(bucket('a b'))).toBe(1);
    expect(c.get(bucket('b a'))).toBe(1);
    expect([...c.values()].reduce((s, v) => s + v, 0)).toBe(5);
  });
});

describe('bag-of-words logistic regression against scikit-learn', () => {
  const model = fitBagOfWords(train, DEFAULT_BAG_OF_WORDS);
  it('fits the same weights', () => {
    expect(model.weights.size).toBe(expected.usedBuckets);
    const norm = Math.sqrt([...model.weights.values()].reduce((s, w) => s + w * w, 0));
    expect(norm).toBeCloseTo(expected.weightNorm, 5);
    for (const [bucket, w] of expected.topWeights) expect(model.weights.get(bucket!)).toBeCloseTo(w!, 5);
  });
  it('gives the same held-out probabilities and accuracy', () => {
    const p = bagOfWordsProbabilities(model, heldOut);
    for (const [i, q] of expected.heldOutProbabilities.entries()) expect(p[i]).toBeCloseTo(q, 5);
    expect(p.filter((x) => x > 0.5).length / p.length).toBeCloseTo(expected.heldOutAccuracy, 10);
  });
  it('is deterministic', () => {
    const again = fitBagOfWords(train, DEFAULT_BAG_OF_WORDS);
    expect([...again.weights]).toEqual([...model.weights]);
  });
});

describe('length baselines', () => {
  it('count characters (code points) and count a tie in length as wrong', () => {
    expect(characters('a😀b')).toBe(3);
    const pairs: TextPair[] = [
      { prompt: 'p', chosen: 'long answer', rejected: 'short' },
      { prompt: 'p', chosen: 'tiny', rejected: 'a longer one' },
      { prompt: 'p', chosen: 'same', rejected: 'size' },
    ];
    expect(lengthRuleCorrect(pairs, 'longer')).toBe(1);
    expect(lengthRuleCorrect(pairs, 'shorter')).toBe(1);
  });
  it('agree with the reference on the demo pairs', () => {
    expect(lengthRuleCorrect(heldOut, 'longer')).toBe(expected.longerCorrect);
    expect(lengthRuleCorrect(heldOut, 'shorter')).toBe(expected.shorterCorrect);
  });
});

describe('computeBaselines and the verdicts', () => {
  const baselines = computeBaselines(train, heldOut);
  it('lists chance, both length rules and the bag of words with Wilson intervals on the held-out pairs', () => {
    expect(baselines.results.map((b) => b.id)).toEqual(['chance', 'longer', 'shorter', 'bagOfWords']);
    expect(baselines.results.every((b) => b.n === heldOut.length)).toBe(true);
    const bow = baselines.results.find((b) => b.id === 'bagOfWords')!;
    expect(bow.accuracy).toBeCloseTo(expected.heldOutAccuracy, 10);
    // Wilson (1927) for 80 of 150 at z = 1.959964: (0.453662, 0.611339)
    expect(bow.correct).toBe(80);
    expect(bow.interval!.lower).toBeCloseTo(0.453662, 5);
    expect(bow.interval!.upper).toBeCloseTo(0.611339, 5);
    expect(baselines.results[0]!.interval).toBeUndefined();
  });
  it('says better only when the intervals are apart, and says so in one sentence', () => {
    const chance = baselines.results[0]!;
    expect(verdict(heldOutAccuracy(0.514, 70), chance)).toBe('not distinguishable');
    expect(verdict(heldOutAccuracy(0.7, 200), chance)).toBe('better');
    expect(verdict(heldOutAccuracy(0.3, 200), chance)).toBe('worse');
    const sentence = baselineSentence(heldOutAccuracy(0.514, 70), baselines);
    expect(sentence).toMatch(/^On 70 held-out pairs the reward model, at 51\.4%, /);
    expect(sentence).toContain('cannot be told apart from chance');
  });
  it('come back from a model file only in their own shape', () => {
    expect(parseRunBaselines(JSON.parse(JSON.stringify(baselines)))).toEqual(baselines);
    expect(parseRunBaselines({ trainPairs: 3, results: [{ id: 'longer', n: 5, correct: 9, accuracy: 1.8 }] })).toBe(
      undefined,
    );
    expect(parseRunBaselines({ trainPairs: 3, results: [{ id: 'coin', n: 5, accuracy: 0.5 }] })).toBe(undefined);
    expect(parseRunBaselines('nope')).toBe(undefined);
  });
  it('leaves the bag of words out when there are no training pairs', () => {
    expect(computeBaselines([], heldOut).results.map((b) => b.id)).toEqual(['chance', 'longer', 'shorter']);
  });
});
