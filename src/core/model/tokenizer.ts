// Turns (prompt, response) into the token ids a BERT-style encoder reads:
//   [CLS] prompt [SEP] response [SEP]
// or, for a decoder (GPT-2, Llama, Qwen2), what TRL's reward trainer feeds one, prompt + response,
// then eos where eos is not also the pad token. With eos as pad (GPT-2's reward models), HF's
// *ForSequenceClassification would take a final eos for padding and score the token before it; so
// the sequence ends at the response's last token, which both RM Lab and HF then read.
// Text is tokenized by @huggingface/tokenizers from a tokenizer.json, the same code path a
// pretrained model's tokenizer will take. The special tokens are placed here rather than by the
// tokenizer's post-processor because truncation must treat the two segments differently.
import { Tokenizer } from '@huggingface/tokenizers';
import { specialTokenText } from './bert-tokenizer.ts';
import builtinTokenizerJson from './builtin-tokenizer.json';
import { DECODER_MODEL_TYPES } from './encoders/decoder-config.ts';
import type { ModelSpec, TokenizerFiles } from './reward-model.ts';

/** How a pair becomes one sequence: BERT's segments, or a decoder's prompt + response (+ eos). */
export type PairLayout = 'encoder' | 'decoder';

export interface EncodedPair {
  /** [CLS] prompt [SEP] response [SEP], unpadded. */
  ids: Int32Array;
  /** Whether anything was cut to fit maxLength. */
  truncated: boolean;
  /** The response's token count before truncation: what the length term reads (reward-model.ts). */
  responseTokens: number;
}

export interface SpecialTokens {
  pad: number;
  /** -1 for a decoder, which has no [CLS]. */
  cls: number;
  /** -1 for a decoder, which has no [SEP]. */
  sep: number;
  /** A decoder's end of sequence (eos_token); absent for an encoder. */
  eos?: number;
}

export class PairTokenizer {
  readonly vocabSize: number;
  readonly special: SpecialTokens;
  /**
   * A stable name for what this tokenizer does (a hash of its tokenizer.json and config): token ids
   * cached under one identity are valid for every tokenizer with the same identity.
   */
  readonly identity: string;
  private readonly tokenizer: Tokenizer;

  /**
   * `tokenizerConfig` is tokenizer_config.json with special_tokens_map.json merged in: its cls_token,
   * sep_token and pad_token name the special tokens ([CLS], [SEP], [PAD] when it does not).
   */
  constructor(
    tokenizerJson: object,
    tokenizerConfig: Record<string, unknown> = {},
    readonly layout: PairLayout = 'encoder',
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.vocabSize = this.tokenizer.get_vocab(true).size;
    const named = (key: string, fallback: string) => specialTokenText(tokenizerConfig[key]) ?? fallback;
    if (layout === 'decoder') {
      // A decoder needs only eos; its pad is pad_token, or eos where it has none (GPT-2).
      const eos = this.requireToken(specialTokenText(tokenizerConfig.eos_token) ?? '<|endoftext|>', 'end-of-sequence');
      const pad = specialTokenText(tokenizerConfig.pad_token);
      this.special = { pad: pad ? this.requireToken(pad, 'padding') : eos, cls: -1, sep: -1, eos };
    } else {
      this.special = {
        pad: this.requireToken(named('pad_token', '[PAD]'), 'padding'),
        cls: this.requireToken(named('cls_token', '[CLS]'), 'classification'),
        sep: this.requireToken(named('sep_token', '[SEP]'), 'separator'),
      };
    }
    this.identity = `tok-${fnv1a(JSON.stringify(tokenizerJson))}-${fnv1a(JSON.stringify(tokenizerConfig))}`;
  }

  /** Token ids of a text, without special tokens. */
  encodeText(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Encodes a (prompt, response) pair into at most maxLength tokens. Too long a pair keeps the
   * end of the prompt (the question closest to the answer) and the start of the response
   * (where a reader judges it), giving the response at least half of the budget when it needs it.
   */
  encodePair(prompt: string, response: string, maxLength: number): EncodedPair {
    return this.pairFromIds(this.encodeText(prompt), this.encodeText(response), maxLength);
  }

  /** encodePair from the two texts' token ids (encodeText's), e.g. ids cached untruncated. */
  pairFromIds(promptIds: ArrayLike<number>, responseIds: ArrayLike<number>, maxLength: number): EncodedPair {
    const { cls, sep, eos, pad } = this.special;
    const closing = this.layout === 'decoder' && eos !== undefined && eos !== pad ? [eos] : [];
    const budget = maxLength - (this.layout === 'decoder' ? closing.length : 3); // [CLS], [SEP], [SEP]
    if (budget < 2)
      throw new Error(`maxLength ${maxLength} is too short: a pair needs at least ${maxLength - budget + 2} tokens`);
    let p = Array.from(promptIds);
    let r = Array.from(responseIds);
    const truncated = p.length + r.length > budget;
    const responseTokens = r.length;
    if (truncated) {
      const responseBudget = Math.max(Math.ceil(budget / 2), budget - p.length);
      r = r.slice(0, responseBudget);
      p = p.slice(Math.max(0, p.length - (budget - r.length)));
    }
    const ids = this.layout === 'decoder' ? [...p, ...r, ...closing] : [cls, ...p, sep, ...r, sep];
    return { ids: Int32Array.from(ids), truncated, responseTokens };
  }

  /** The tokenizer's own encoding of a pair, its post-processor's special tokens included (for tests and checks). */
  encodePairWithPostProcessor(prompt: string, response: string): number[] {
    return this.tokenizer.encode(prompt, { text_pair: response, add_special_tokens: true }).ids;
  }

  private requireToken(token: string, role: string): number {
    const id = this.tokenizer.token_to_id(token);
    if (id === undefined) throw new Error(`tokenizer has no ${token} token (its ${role} token)`);
    return id;
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units, as 8 hex digits: a cache key, not a checksum against tampering. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The built-in encoder's tokenizer: WordPiece over the demo corpus's words plus a character fallback (scripts/build-builtin-vocab.ts). */
export function builtinTokenizer(): PairTokenizer {
  return new PairTokenizer(builtinTokenizerJson);
}

/** The tokenizer a model reads with: the bundled one, or the files that travel with the model. */
export function tokenizerFor(spec: ModelSpec, files?: TokenizerFiles): PairTokenizer {
  if (spec.tokenizer === 'builtin') return builtinTokenizer();
  if (!files) {
    const from =
      spec.encoder === 'bert' ? `its encoder came from ${spec.source}` : 'its vocabulary was built for its run';
    throw new Error(`the model's tokenizer is missing (${from})`);
  }
  return new PairTokenizer(files.json, (files.config ?? {}) as Record<string, unknown>, pairLayoutOf(spec));
}

/** A decoder family's specs read pairs as prompt + response; every other model as BERT's segments. */
export function pairLayoutOf(spec: ModelSpec): PairLayout {
  return spec.encoder === 'bert' && DECODER_MODEL_TYPES.includes(spec.bert.modelType) ? 'decoder' : 'encoder';
}
