// BERT tokenizers as RM Lab builds and reads them: a tokenizer.json built from vocab.txt tokenizes
// exactly as Google's original WordPiece code does (fixture from
// scripts/reference/bert_wordpiece_reference.py), and as an old-style tokenizer.json written for
// the same vocabulary (BertProcessing post-processor); pair encoding matches the tokenizer's own
// post-processor; the special tokens come from the model's tokenizer_config.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bertTokenizerJson,
  bertTokenizerOptions,
  readVocabTxt,
  specialTokenText,
} from '../../src/core/model/bert-tokenizer.ts';
import { PairTokenizer } from '../../src/core/model/tokenizer.ts';

interface Case {
  text: string;
  lowercase: boolean;
  tokens: string[];
  ids: number[];
}
const fixture = JSON.parse(readFileSync('tests/fixtures/bert-wordpiece.json', 'utf8')) as {
  vocab: string[];
  cases: Case[];
};
const vocabTxt = fixture.vocab.join('\n') + '\n';

function fromVocab(lowercase: boolean): PairTokenizer {
  const config = { do_lower_case: lowercase };
  return new PairTokenizer(bertTokenizerJson(readVocabTxt(vocabTxt), bertTokenizerOptions(config)), config);
}

/** A tokenizer.json as the first Hugging Face tokenizers wrote BERT's: BertProcessing, and no added_tokens list. */
function oldStyleTokenizerJson(lowercase: boolean): object {
  const vocab = Object.fromEntries(fixture.vocab.map((t, i) => [t, i]));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((content) => ({
      id: vocab[content],
      special: true,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', vocab['[SEP]']], cls: ['[CLS]', vocab['[CLS]']] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

describe('tokenizer.json built from vocab.txt', () => {
  it('reads vocab.txt as one token a line, its id the line number', () => {
    const vocab = readVocabTxt('[PAD]\r\n[UNK]\nhello\n##s\n');
    expect([...vocab]).toEqual([
      ['[PAD]', 0],
      ['[UNK]', 1],
      ['hello', 2],
      ['##s', 3],
    ]);
    expect(() => readVocabTxt('')).toThrow('vocab.txt is empty');
  });

  for (const lowercase of [true, false]) {
    it(`tokenizes as Google's WordPiece reference does (${lowercase ? 'uncased' : 'cased'})`, () => {
      const tok = fromVocab(lowercase);
      const cases = fixture.cases.filter((c) => c.lowercase === lowercase);
      expect(cases.length).toBeGreaterThan(10);
      for (const c of cases)
        expect({ text: c.text, ids: tok.encodeText(c.text) }).toEqual({ text: c.text, ids: c.ids });
    });

    it(`tokenizes like a tokenizer.json written for the same vocabulary (${lowercase ? 'uncased' : 'cased'})`, () => {
      const built = fromVocab(lowercase);
      const written = new PairTokenizer(oldStyleTokenizerJson(lowercase), { do_lower_case: lowercase });
      for (const c of fixture.cases) {
        expect(built.encodeText(c.text)).toEqual(written.encodeText(c.text));
        for (const other of fixture.cases.slice(0, 4)) {
          expect(built.encodePairWithPostProcessor(c.text, other.text)).toEqual(
            written.encodePairWithPostProcessor(c.text, other.text),
          );
        }
      }
      expect(built.special).toEqual(written.special);
      expect(built.identity).not.toEqual(written.identity); // different files, different cache keys
    });
  }

  it('refuses a vocabulary without the special tokens BERT needs, naming the token', () => {
    expect(() => bertTokenizerJson(readVocabTxt('a\nb\n[UNK]\n[SEP]\n'), bertTokenizerOptions())).toThrow(
      'vocab.txt has no [CLS] token (the classification token)',
    );
  });
});

describe('PairTokenizer for a pretrained BERT', () => {
  const tok = fromVocab(true);

  it("encodes an untruncated pair exactly as the tokenizer's own post-processor does", () => {
    for (const a of fixture.cases) {
      for (const b of fixture.cases.slice(0, 6)) {
        expect([...tok.encodePair(a.text, b.text, 10_000).ids]).toEqual(
          tok.encodePairWithPostProcessor(a.text, b.text),
        );
      }
    }
  });

  it('keeps the truncation rule: end of the prompt, start of the response, counted', () => {
    const prompt = 'the capital of france is paris '.repeat(10);
    const response = 'write a poem about a cat and a dog '.repeat(10);
    const cut = tok.encodePair(prompt, response, 24);
    expect(cut.truncated).toBe(true);
    expect(cut.ids.length).toBe(24);
    const p = tok.encodeText(prompt);
    const r = tok.encodeText(response);
    const sep = [...cut.ids].indexOf(tok.special.sep);
    expect([...cut.ids.slice(1, sep)]).toEqual(p.slice(p.length - (sep - 1)));
    expect([...cut.ids.slice(sep + 1, -1)]).toEqual(r.slice(0, 24 - 3 - (sep - 1)));
  });

  it('takes its special tokens from tokenizer_config / special_tokens_map, strings or AddedToken objects', () => {
    const vocab = '<pad>\n<unk>\n<s>\n</s>\n[MASK]\nhello\n';
    const config = {
      cls_token: { content: '<s>', lstrip: false },
      sep_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
    };
    const custom = new PairTokenizer(bertTokenizerJson(readVocabTxt(vocab), bertTokenizerOptions(config)), config);
    expect(custom.special).toEqual({ pad: 0, cls: 2, sep: 3 });
    expect([...custom.encodePair('hello', 'hello', 16).ids]).toEqual([2, 5, 3, 5, 3]);
    expect(specialTokenText({ content: '[X]' })).toBe('[X]');
    expect(specialTokenText(7)).toBeUndefined();
  });

  it('says which special token a tokenizer lacks', () => {
    const config = { sep_token: '[END]' };
    expect(() => new PairTokenizer(bertTokenizerJson(readVocabTxt(vocabTxt), bertTokenizerOptions()), config)).toThrow(
      'tokenizer has no [END] token (its separator token)',
    );
  });

  it('has one identity per tokenizer: the same files give the same key', () => {
    expect(fromVocab(true).identity).toBe(fromVocab(true).identity);
    expect(fromVocab(true).identity).not.toBe(fromVocab(false).identity);
  });
});
