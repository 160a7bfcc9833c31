import { describe, expect, it } from 'vitest';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';

const tok = builtinTokenizer();

describe('built-in tokenizer', () => {
  it('has BERT-style special tokens at fixed ids', () => {
    expect(tok.special).toEqual({ pad: 0, cls: 2, sep: 3 });
    expect(tok.vocabSize).toBeGreaterThan(3000);
  });

  it('encodes [CLS] prompt [SEP] response [SEP]', () => {
    const { ids, truncated } = tok.encodePair('what is two plus two?', 'four.', 64);
    expect(truncated).toBe(false);
    expect(ids[0]).toBe(tok.special.cls);
    expect(ids.at(-1)).toBe(tok.special.sep);
    expect([...ids].filter((id) => id === tok.special.sep)).toHaveLength(2);
    expect(ids.length).toBe(tok.encodeText('what is two plus two?').length + tok.encodeText('four.').length + 3);
  });

  it('spells unknown words with character pieces instead of losing them to [UNK]', () => {
    const ids = tok.encodeText('zyxwvutsrq');
    expect(ids.length).toBeGreaterThan(1);
    expect(ids).not.toContain(1); // [UNK]
  });

  it('truncates long pairs to maxLength, keeping the end of the prompt and the start of the response', () => {
    const prompt = Array.from({ length: 100 }, (_, i) => `p${i}`).join(' ');
    const response = Array.from({ length: 100 }, (_, i) => `r${i}`).join(' ');
    const full = tok.encodePair(prompt, response, 10_000);
    const cut = tok.encodePair(prompt, response, 32);
    expect(cut.truncated).toBe(true);
    expect(cut.ids.length).toBe(32);
    const sepAt = [...cut.ids].indexOf(tok.special.sep);
    const promptIds = [...cut.ids.slice(1, sepAt)];
    const responseIds = [...cut.ids.slice(sepAt + 1, -1)];
    const fullSep = [...full.ids].indexOf(tok.special.sep);
    const fullPrompt = [...full.ids.slice(1, fullSep)];
    const fullResponse = [...full.ids.slice(fullSep + 1, -1)];
    expect(promptIds).toEqual(fullPrompt.slice(fullPrompt.length - promptIds.length));
    expect(responseIds).toEqual(fullResponse.slice(0, responseIds.length));
    expect(responseIds.length).toBeGreaterThanOrEqual(Math.ceil((32 - 3) / 2));
  });

  it("gives a short prompt's unused budget to the response", () => {
    const response = Array.from({ length: 100 }, (_, i) => `r${i}`).join(' ');
    const cut = tok.encodePair('hi', response, 32);
    expect(cut.ids.length).toBe(32);
    expect([...cut.ids].indexOf(tok.special.sep)).toBe(1 + tok.encodeText('hi').length);
  });
});
