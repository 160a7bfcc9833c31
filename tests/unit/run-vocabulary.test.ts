// A run's own WordPiece vocabulary (run-vocabulary.ts): built the same whatever the order of its
// texts, most frequent words first, capped, every character present so no word becomes [UNK];
// built from the training split only; refused in plain words when there is no text; and its bundled
// word vectors found by word text.
import { describe, expect, it } from 'vitest';
import {
  buildRunTokenizer,
  buildVocabulary,
  SPECIAL_TOKENS,
  VocabularyError,
} from '../../src/core/model/run-vocabulary.ts';
import { PairTokenizer } from '../../src/core/model/tokenizer.ts';
import { buildWordVectorAsset } from '../../scripts/build-word-vectors.ts';
import {
  parseWordVectorTable,
  wordVectorCoverage,
  wordVectorsFor,
  type WordVectors,
} from '../../src/core/model/word-vectors.ts';
import { trainingSplitTexts } from '../../src/core/train/data.ts';
import { planSplit } from '../../src/core/data/split.ts';
import type { Pair } from '../../src/core/data/pair.ts';

const texts = [
  'the cat sat on the mat.',
  'The dog sat; the cat ran!',
  'a dog, a cat and the bird',
  'Ünïcode café naïve Ωmega',
];

describe('building a run vocabulary', () => {
  it('is deterministic: the same texts in another order give the same tokens', () => {
    const a = buildVocabulary(texts, { maxWords: 100 });
    const b = buildVocabulary([...texts].reverse(), { maxWords: 100 });
    expect(b).toEqual(a);
  });

  it('puts the special tokens first, then characters, then words by frequency (ties in text order)', () => {
    const tokens = buildVocabulary(texts, { maxWords: 100 });
    expect(tokens.slice(0, SPECIAL_TOKENS.length)).toEqual([...SPECIAL_TOKENS]);
    const words = tokens.filter((t) => t.length > 1 && !t.startsWith('##') && !t.startsWith('['));
    // the x5, cat x3, sat/dog x2; words seen once (on, mat, ran, bird, and, ...) are left to pieces
    expect(words).toEqual(['the', 'cat', 'dog', 'sat']);
  });

  it('keeps at most maxWords words, the most frequent', () => {
    const tokens = buildVocabulary(texts, { maxWords: 2, minCount: 1 });
    const words = tokens.filter((t) => t.length > 1 && !t.startsWith('##') && !t.startsWith('['));
    expect(words).toEqual(['the', 'cat']);
  });

  it('has every character, bare and as a continuation, so an unseen word is spelled, never [UNK]', () => {
    const tokens = new Set(buildVocabulary(texts, { maxWords: 0 }));
    for (const ch of 'abcxyz019!?~ω') {
      expect(tokens.has(ch)).toBe(true);
      expect(tokens.has(`##${ch}`)).toBe(true);
    }
    const tokenizer = new PairTokenizer(buildRunTokenizer(texts, { maxWords: 10 }));
    const unk = 1;
    const ids = tokenizer.encodeText('Zebras are quixotic, the cat says.');
    expect(ids).not.toContain(unk);
    expect(ids.length).toBeGreaterThan(6);
  });

  it('encodes its frequent words as one token each', () => {
    const tokenizer = new PairTokenizer(buildRunTokenizer(texts, { maxWords: 10 }));
    expect(tokenizer.encodeText('The cat')).toHaveLength(2);
  });

  it('says plainly that there is no text to build from', () => {
    expect(() => buildVocabulary([], { maxWords: 10 })).toThrow(VocabularyError);
    expect(() => buildVocabulary(['', '   \n'], { maxWords: 10 })).toThrow(
      /training split has no prompt or response text/,
    );
  });
});

describe('the training split text', () => {
  const pairs: Pair[] = Array.from({ length: 40 }, (_, i) => ({
    id: `p${i}`,
    datasetId: 'd',
    prompt: `prompt${i} question`,
    responseA: `alpha${i}`,
    responseB: `beta${i}`,
    winner: 'a',
  }));
  const options = { heldOutFraction: 0.25, splitSeed: 3, stratify: 'none' as const };

  it('holds the prompts and responses of training pairs and none of the held-out ones', () => {
    const split = planSplit(pairs, { seed: 3, heldOutFraction: 0.25, stratify: 'none' });
    const texts = new Set(trainingSplitTexts(pairs, options));
    const heldOut = pairs.filter((p) => split.sideOf(p) === 'heldout');
    expect(heldOut.length).toBeGreaterThan(0);
    for (const p of pairs) {
      const inTrain = split.sideOf(p) !== 'heldout';
      expect(texts.has(`prompt${p.id.slice(1)} question`)).toBe(inTrain);
      expect(texts.has(`alpha${p.id.slice(1)}`)).toBe(inTrain);
      expect(texts.has(`beta${p.id.slice(1)}`)).toBe(inTrain);
    }
  });
});

describe('word vectors for a run vocabulary', () => {
  it("gives each token of any vocabulary its word's row of the table, by text, and nothing to words it lacks", () => {
    const { header, bin } = buildWordVectorAsset(
      { dimensions: 2, words: ['cat', 'dog', 'bird'], vectors: { cat: [1, 1], dog: [2, 0], bird: [3, 3] } },
      'three words',
    );
    const table = parseWordVectorTable(header, bin);
    const row = (words: WordVectors, id: number) => {
      const i = words.ids.indexOf(id);
      return Array.from(words.vectors.subarray(i * 2, i * 2 + 2));
    };
    const one = wordVectorsFor(table, ['[PAD]', 'cat', 'dog', 'bird']);
    const other = wordVectorsFor(table, ['[PAD]', '[UNK]', 'bird', 'fish', 'cat', '##cat']);
    expect(other.vocabSize).toBe(6);
    expect([...other.ids]).toEqual([2, 4]);
    expect(row(other, 4)).toEqual(row(one, 1));
    expect(row(other, 2)).toEqual(row(one, 3));
  });
});

describe('word vector coverage', () => {
  it('counts every running token, each time it occurs, and those with a vector', () => {
    const tokenizer = new PairTokenizer(buildRunTokenizer(texts, { maxWords: 10 }));
    const id = (t: string) => tokenizer.encodeText(t)[0]!;
    const words: WordVectors = {
      ids: Uint16Array.from([id('the'), id('cat')]),
      vectors: new Float32Array(4),
      dims: 2,
      vocabSize: tokenizer.vocabSize,
    };
    // the, cat, ",", the, dog, and "zz" spelled z ##z: 7 tokens, 3 with a vector (the twice, cat once)
    const coverage = wordVectorCoverage(['The cat, the', 'dog zz'], (t) => tokenizer.encodeText(t), words);
    expect(coverage).toEqual({ tokens: 7, covered: 3 });
  });
});
