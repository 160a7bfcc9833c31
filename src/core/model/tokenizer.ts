// Turns (prompt, response) into the token ids a BERT-style encoder reads:
//   [CLS] prompt [SEP] response [SEP]
// Text is tokenized by @huggingface/tokenizers from a tokenizer.json, the same code path a
// pretrained model's tokenizer will take. The special tokens are placed here rather than by the
// tokenizer's post-processor because truncation must treat the two segments differently.
import { Tokenizer } from '@huggingface/tokenizers';
import { specialTokenText } from './bert-tokenizer.ts';
import builtinTokenizerJson from './builtin-tokenizer.json';
import type { ModelSpec, TokenizerFiles } from './reward-model.ts';

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
  cls: number;
  sep: number;
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
  constructor(tokenizerJson: object, tokenizerConfig: Record<string, unknown> = {}) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.vocabSize = this.tokenizer.get_vocab(true).size;
    const named = (key: string, fallback: string) => specialTokenText(tokenizerConfig[key]) ?? fallback;
    this.special = {
      pad: this.requireToken(named('pad_token', '[PAD]'), 'padding'),
      cls: this.requireToken(named('cls_token', '[CLS]'), 'classification'),
      sep: this.requireToken(named('sep_token', '[SEP]'), 'separator'),
    };
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
    const budget = maxLength - 3; // [CLS], [SEP], [SEP]
    if (budget < 2) throw new Error(`maxLength ${maxLength} is too short: a pair needs at least 5 tokens`);
    let p = Array.from(promptIds);
    let r = Array.from(responseIds);
    const truncated = p.length + r.length > budget;
    const responseTokens = r.length;
    if (truncated) {
      const responseBudget = Math.max(Math.ceil(budget / 2), budget - p.length);
      r = r.slice(0, responseBudget);
      p = p.slice(Math.max(0, p.length - (budget - r.length)));
    }
    const { cls, sep } = this.special;
    return { ids: Int32Array.from([cls, ...p, sep, ...r, sep]), truncated, responseTokens };
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
  if (spec.tokenizer === 'hub') {
    throw new Error(
      `a quick head reads with its encoder's own tokenizer (${spec.embedding.model}), through Transformers.js`,
    );
  }
  if (!files) {
    const from =
      spec.encoder === 'bert' ? `its encoder came from ${spec.source}` : 'its vocabulary was built for its run';
    throw new Error(`the model's tokenizer is missing (${from})`);
  }
  return new PairTokenizer(files.json, (files.config ?? {}) as Record<string, unknown>);
}
