// A BOS for Llama-2-style tokenizers: a decoder's pair starts with what its tokenizer puts before a
// text, as Hugging Face's tokenizer would produce it. The reference is the tokenizer's own encoding
// (@huggingface/tokenizers, the Rust library's port, with its post-processor) of prompt + response:
// tokenizer.json's "<s> $A" template; tokenizer_config.json's add_bos_token (true adds, false
// removes, as LlamaTokenizerFast rebuilds its template from it); and none for GPT-2's ByteLevel.
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { PairTokenizer } from '../../src/core/model/tokenizer.ts';
import { EOS, tinyByteLevelTokenizer } from '../tiny-decoder.ts';

const BOS = '<s>';

/** The tiny byte-level tokenizer with a <s> token and, if asked, Llama 2's post-processor "<s> $A". */
function llama2Tokenizer(template: boolean): { json: object; bos: number; eos: number } {
  const { json, pad, eos } = tinyByteLevelTokenizer();
  const bos = pad + 1;
  const base = json as { added_tokens: object[]; model: { vocab: Record<string, number> } };
  const withBos = {
    ...json,
    added_tokens: [
      ...base.added_tokens,
      { id: bos, content: BOS, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    model: { ...base.model, vocab: { ...base.model.vocab, [BOS]: bos } },
    ...(template
      ? {
          post_processor: {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [
              { SpecialToken: { id: BOS, type_id: 0 } },
              { Sequence: { id: 'A', type_id: 0 } },
              { SpecialToken: { id: BOS, type_id: 1 } },
              { Sequence: { id: 'B', type_id: 1 } },
            ],
            special_tokens: { [BOS]: { id: BOS, ids: [bos], tokens: [BOS] } },
          },
        }
      : {}),
  };
  return { json: withBos, bos, eos };
}

const PROMPT = 'Is it yes?';
const RESPONSE = ' yes';

/** What the tokenizer itself gives prompt + response with its special tokens, then eos (RM Lab's decoder layout). */
function reference(json: object, config: Record<string, unknown>): number[] {
  const ids = new Tokenizer(json, config).encode(PROMPT + RESPONSE, { add_special_tokens: true }).ids;
  return [...ids, new Tokenizer(json, config).token_to_id(EOS)!];
}

describe("a decoder's BOS, as Hugging Face's tokenizer puts it", () => {
  it("follows tokenizer.json's single-text template (Llama 2's <s> $A)", () => {
    const { json, bos } = llama2Tokenizer(true);
    const config = { eos_token: EOS, pad_token: '<|pad|>' };
    const pair = new PairTokenizer(json, config, 'decoder').encodePair(PROMPT, RESPONSE, 64);
    expect([...pair.ids]).toEqual(reference(json, config));
    expect(pair.ids[0]).toBe(bos);
  });

  it('follows add_bos_token in tokenizer_config.json where it is given, whatever the template says', () => {
    const bare = llama2Tokenizer(false);
    const adds = { eos_token: EOS, pad_token: '<|pad|>', add_bos_token: true, bos_token: BOS };
    const pair = new PairTokenizer(bare.json, adds, 'decoder').encodePair(PROMPT, RESPONSE, 64);
    expect([...pair.ids]).toEqual([bare.bos, ...reference(bare.json, adds)]);
    const templated = llama2Tokenizer(true);
    const removes = { eos_token: EOS, pad_token: '<|pad|>', add_bos_token: false };
    const without = new PairTokenizer(templated.json, removes, 'decoder').encodePair(PROMPT, RESPONSE, 64);
    expect(without.ids[0]).not.toBe(templated.bos);
    expect([...without.ids]).toEqual(reference(bare.json, removes));
  });

  it("puts none where GPT-2's ByteLevel post-processor puts none, and counts the BOS in the length budget", () => {
    const { json } = tinyByteLevelTokenizer();
    const config = { eos_token: EOS, pad_token: '<|pad|>' };
    const pair = new PairTokenizer(json, config, 'decoder').encodePair(PROMPT, RESPONSE, 64);
    expect([...pair.ids]).toEqual(reference(json, config));
    const llama = llama2Tokenizer(true);
    const cut = new PairTokenizer(llama.json, config, 'decoder').encodePair(PROMPT, RESPONSE, 6);
    expect(cut.ids.length).toBe(6);
    expect(cut.ids[0]).toBe(llama.bos);
  });
});
