// Each family's tokenizer and pair encoding (src/core/model/tokenizer.ts pairLayout,
// src/core/model/families/byte-level-bpe.ts): RoBERTa's byte-level BPE built from vocab.json and
// merges.txt as transformers' RobertaConverter builds it, the pair laid out as the tokenizer's own
// post-processor lays it out (so truncation, done by RM Lab, agrees with the tokenizer), and the
// special tokens found by their RoBERTa names with no tokenizer_config.json.
import { describe, expect, it } from 'vitest';
import { byteLevelBpeTokenizerJson } from '../../src/core/model/families/byte-level-bpe.ts';
import { PairTokenizer, pairLayout } from '../../src/core/model/tokenizer.ts';
import { tinyRobertaFiles, tinyRobertaVocab } from '../tiny-roberta-vocab.ts';

const VOCAB = tinyRobertaVocab();

describe("RoBERTa's byte-level BPE from vocab.json and merges.txt", () => {
  const tok = new PairTokenizer(byteLevelBpeTokenizerJson(tinyRobertaFiles(), {}));

  it('finds <s>, </s> and <pad> without a tokenizer_config.json', () => {
    expect(tok.special).toEqual({ cls: VOCAB['<s>'], sep: VOCAB['</s>'], pad: VOCAB['<pad>'] });
  });

  it('merges by rank, a leading space as Ġ, and falls back to single bytes', () => {
    // "the cat" -> "the" (no leading space: t, h e) "Ġcat"; "good!" -> "Ġgood" then "!" byte.
    expect(tok.encodeText('the cat')).toEqual([VOCAB['t'], VOCAB['he'], VOCAB['Ġcat']]);
    expect(tok.encodeText(' good answer!')).toEqual([VOCAB['Ġgood'], VOCAB['Ġanswer'], VOCAB['!']]);
    // é is two bytes in UTF-8, each its own symbol.
    expect(tok.encodeText('é')).toHaveLength(2);
  });

  it('lays a pair out as RobertaProcessing does: <s> A </s></s> B </s>', () => {
    const [s, e] = [VOCAB['<s>']!, VOCAB['</s>']!];
    const pair = tok.encodePair('the cat', ' bad', 32);
    expect([...pair.ids]).toEqual([s, VOCAB['t'], VOCAB['he'], VOCAB['Ġcat'], e, e, VOCAB['Ġbad'], e]);
    expect([...pair.ids]).toEqual(tok.encodePairWithPostProcessor('the cat', ' bad'));
    expect(tok.layout).toEqual({ start: [s], middle: [e, e], end: [e] });
  });

  it('truncates within the budget its four special tokens leave', () => {
    const pair = tok.encodePair('the cat the cat the cat', ' good good good good good', 10);
    expect(pair.ids.length).toBe(10);
    expect(pair.truncated).toBe(true);
    expect(() => tok.encodePair('a', 'b', 5)).toThrow(/at least 6 tokens/);
  });

  it('refuses a merges.txt line that is not two tokens, naming the line', () => {
    const files = tinyRobertaFiles();
    files.set('merges.txt', '#version: 0.2\nĠ t\nh e x\n');
    expect(() => byteLevelBpeTokenizerJson(files, {})).toThrow(/merges\.txt line 3 is not two tokens/);
    files.set('vocab.json', '{"a": "one"}');
    expect(() => byteLevelBpeTokenizerJson(files, {})).toThrow(/vocab\.json: token "a" has id "one"/);
  });
});

describe('pairLayout: the special tokens around a pair, from the post-processor', () => {
  const special = { cls: 0, sep: 2, pad: 1 };
  it('reads a TemplateProcessing pair template (XLM-RoBERTa writes one)', () => {
    const json = {
      post_processor: {
        type: 'TemplateProcessing',
        pair: [
          { SpecialToken: { id: '<s>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
        ],
        special_tokens: { '<s>': { ids: [0] }, '</s>': { ids: [2] } },
      },
    };
    expect(pairLayout(json, special)).toEqual({ start: [0], middle: [2, 2], end: [2] });
  });

  it('finds the placing processor inside a Sequence, and takes BERT’s layout with none', () => {
    const json = {
      post_processor: { type: 'Sequence', processors: [{ type: 'ByteLevel' }, { type: 'RobertaProcessing' }] },
    };
    expect(pairLayout(json, special)).toEqual({ start: [0], middle: [2, 2], end: [2] });
    expect(pairLayout({ post_processor: null }, special)).toEqual({ start: [0], middle: [2], end: [2] });
  });

  it('refuses a template naming a special token it does not define', () => {
    const json = {
      post_processor: { type: 'TemplateProcessing', pair: [{ SpecialToken: { id: '[X]' } }], special_tokens: {} },
    };
    expect(() => pairLayout(json, special)).toThrow(/names a special token "\[X\]"/);
  });
});
