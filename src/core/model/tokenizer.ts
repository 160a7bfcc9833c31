// Turns (prompt, response) into the token ids an encoder reads, laid out as the tokenizer's own
// post-processor lays out a text pair:
//   [CLS] prompt [SEP] response [SEP]        BERT, DistilBERT, ELECTRA, the built-in encoder
//   <s> prompt </s></s> response </s>        RoBERTa, XLM-RoBERTa
//   prompt response <eos>                     GPT-2, Llama, Qwen2 (decoders)
//   <s> prompt response <eos>                 Llama-2-style tokenizers, which put a BOS first
// Text is tokenized by @huggingface/tokenizers from a tokenizer.json, the same code path a
// pretrained model's tokenizer will take. The special tokens are placed here rather than by the
// tokenizer's post-processor because truncation must treat the two segments differently; the
// layout is read from the post-processor (pairLayout), so the two agree.
// A decoder's layout is what TRL's reward trainer feeds one, prompt + response, then eos where eos is
// not also the pad token (decoderLayout). With eos as pad (GPT-2's reward models), HF's
// *ForSequenceClassification would take a final eos for padding and score the token before it; so
// the sequence ends at the response's last token, which both RM Lab and HF then read.
import { Tokenizer } from '@huggingface/tokenizers';
import { specialTokenText } from './bert-tokenizer.ts';
import builtinTokenizerJson from './builtin-tokenizer.json';
import { DECODER_MODEL_TYPES } from './encoders/decoder-config.ts';
import type { ModelSpec, TokenizerFiles } from './reward-model.ts';

/** What reads the pairs: an encoder (its post-processor's segments) or a decoder (prompt + response + eos). */
export type PairReader = 'encoder' | 'decoder';

export interface EncodedPair {
  /** The pair as its layout places it ([CLS] prompt [SEP] response [SEP] for BERT), unpadded. */
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

/** The special tokens around a pair: before the prompt, between prompt and response, after the response. */
export interface PairLayout {
  start: number[];
  middle: number[];
  end: number[];
}

export class PairTokenizer {
  readonly vocabSize: number;
  readonly special: SpecialTokens;
  readonly layout: PairLayout;
  /**
   * A stable name for what this tokenizer does (a hash of its tokenizer.json and config): token ids
   * cached under one identity are valid for every tokenizer with the same identity.
   */
  readonly identity: string;
  private readonly tokenizer: Tokenizer;

  /**
   * `tokenizerConfig` is tokenizer_config.json with special_tokens_map.json merged in: its cls_token,
   * sep_token and pad_token name the special tokens ([CLS], [SEP], [PAD] when it does not); a
   * decoder's, its eos_token and pad_token (eos pads where it names none, as GPT-2's reward models do).
   */
  constructor(
    tokenizerJson: object,
    tokenizerConfig: Record<string, unknown> = {},
    readonly reader: PairReader = 'encoder',
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.vocabSize = this.tokenizer.get_vocab(true).size;
    this.identity = `tok-${fnv1a(JSON.stringify(tokenizerJson))}-${fnv1a(JSON.stringify(tokenizerConfig))}`;
    if (reader === 'decoder') {
      const eos = this.requireToken(specialTokenText(tokenizerConfig.eos_token) ?? '<|endoftext|>', 'end-of-sequence');
      const pad = specialTokenText(tokenizerConfig.pad_token);
      this.special = { pad: pad ? this.requireToken(pad, 'padding') : eos, cls: -1, sep: -1, eos };
      const first = decoderStart(tokenizerJson, tokenizerConfig, (t) => this.requireToken(t, 'beginning-of-sequence'));
      this.layout = decoderLayout(this.special, first);
      return;
    }
    const processor = postProcessorTokens(tokenizerJson);
    const padding = (tokenizerJson as { padding?: { pad_token?: unknown } | null }).padding?.pad_token;
    // tokenizer_config.json names them; else the post-processor and padding of tokenizer.json do;
    // else BERT's names, then RoBERTa's, whichever the vocabulary has.
    const named = (key: string, ...fallbacks: (string | undefined)[]) => {
      const given = specialTokenText(tokenizerConfig[key]);
      if (given !== undefined) return given;
      const known = fallbacks.filter((t): t is string => t !== undefined);
      return known.find((t) => this.tokenizer.token_to_id(t) !== undefined) ?? known[0]!;
    };
    this.special = {
      pad: this.requireToken(
        named('pad_token', typeof padding === 'string' ? padding : undefined, '[PAD]', '<pad>'),
        'padding',
      ),
      cls: this.requireToken(named('cls_token', processor.cls, '[CLS]', '<s>'), 'classification'),
      sep: this.requireToken(named('sep_token', processor.sep, '[SEP]', '</s>'), 'separator'),
    };
    this.layout = pairLayout(tokenizerJson, this.special);
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
    const { start, middle, end } = this.layout;
    const specials = start.length + middle.length + end.length;
    const budget = maxLength - specials; // [CLS], [SEP], [SEP] for BERT
    if (budget < 2) {
      throw new Error(`maxLength ${maxLength} is too short: a pair needs at least ${specials + 2} tokens`);
    }
    let p = Array.from(promptIds);
    let r = Array.from(responseIds);
    const truncated = p.length + r.length > budget;
    const responseTokens = r.length;
    if (truncated) {
      const responseBudget = Math.max(Math.ceil(budget / 2), budget - p.length);
      r = r.slice(0, responseBudget);
      p = p.slice(Math.max(0, p.length - (budget - r.length)));
    }
    return { ids: Int32Array.from([...start, ...p, ...middle, ...r, ...end]), truncated, responseTokens };
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

type TemplatePiece = { SpecialToken?: { id: string } } | { Sequence?: { id: string } };

interface ProcessorJson {
  type?: string;
  cls?: [string, number];
  sep?: [string, number];
  single?: TemplatePiece[];
  pair?: TemplatePiece[];
  special_tokens?: Record<string, { ids?: number[] }>;
  processors?: ProcessorJson[];
}

/** The post-processor that places special tokens (inside a Sequence of processors, when it is one). */
function placingProcessor(tokenizerJson: object): ProcessorJson | undefined {
  const top = (tokenizerJson as { post_processor?: ProcessorJson | null }).post_processor ?? undefined;
  const placing = (p: ProcessorJson | undefined) =>
    p && ['BertProcessing', 'RobertaProcessing', 'TemplateProcessing'].includes(p.type ?? '');
  if (top?.type === 'Sequence') return top.processors?.find(placing);
  return placing(top) ? top : undefined;
}

/** The classification and separator tokens a Bert/Roberta post-processor names. */
function postProcessorTokens(tokenizerJson: object): { cls?: string; sep?: string } {
  const p = placingProcessor(tokenizerJson);
  return { cls: p?.cls?.[0], sep: p?.sep?.[0] };
}

/**
 * Where the special tokens go around a pair, as the tokenizer's post-processor puts them:
 * BertProcessing [CLS] A [SEP] B [SEP]; RobertaProcessing <s> A </s></s> B </s>; TemplateProcessing
 * as its pair template says. A tokenizer without one (the built-in encoder's) takes BERT's.
 */
export function pairLayout(tokenizerJson: object, special: SpecialTokens): PairLayout {
  const p = placingProcessor(tokenizerJson);
  const { cls, sep } = special;
  if (p?.type === 'RobertaProcessing') return { start: [cls], middle: [sep, sep], end: [sep] };
  if (p?.type !== 'TemplateProcessing' || !p.pair) return { start: [cls], middle: [sep], end: [sep] };
  const parts: number[][] = [[], [], []];
  let part = 0;
  for (const piece of p.pair) {
    if ('Sequence' in piece && piece.Sequence) {
      part = piece.Sequence.id === 'A' ? 1 : 2;
      continue;
    }
    parts[part]!.push(...templateIds(p, piece));
  }
  return { start: parts[0]!, middle: parts[1]!, end: parts[2]! };
}

/**
 * A decoder's pair: the tokens its tokenizer puts before a text (`start`: a BOS for Llama-2-style
 * tokenizers, none for GPT-2 or Qwen2), nothing between the texts, eos after them unless eos is
 * also the pad token.
 */
export function decoderLayout(special: SpecialTokens, start: number[] = []): PairLayout {
  const { eos, pad } = special;
  return { start, middle: [], end: eos !== undefined && eos !== pad ? [eos] : [] };
}

/**
 * The tokens a decoder's tokenizer puts before a text, as Hugging Face's does: tokenizer_config.json's
 * add_bos_token where it is given (LlamaTokenizerFast rebuilds its post-processor from it, so it
 * wins), else the special tokens before $A in tokenizer.json's single-text template (Llama 2's
 * "<s> $A"); none where neither says so (GPT-2's ByteLevel post-processor, Qwen2's).
 */
function decoderStart(
  tokenizerJson: object,
  tokenizerConfig: Record<string, unknown>,
  idOf: (token: string) => number,
): number[] {
  if (typeof tokenizerConfig.add_bos_token === 'boolean') {
    return tokenizerConfig.add_bos_token ? [idOf(specialTokenText(tokenizerConfig.bos_token) ?? '<s>')] : [];
  }
  const p = placingProcessor(tokenizerJson);
  if (p?.type !== 'TemplateProcessing' || !p.single) return [];
  const start: number[] = [];
  for (const piece of p.single) {
    if ('Sequence' in piece && piece.Sequence) break;
    start.push(...templateIds(p, piece));
  }
  return start;
}

/** A template's special token piece as its ids. */
function templateIds(p: ProcessorJson, piece: TemplatePiece): number[] {
  const id = 'SpecialToken' in piece ? piece.SpecialToken?.id : undefined;
  const ids = id === undefined ? undefined : p.special_tokens?.[id]?.ids;
  if (!ids) throw new Error(`tokenizer.json's template names a special token ${JSON.stringify(id)} it does not define`);
  return ids;
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
  return new PairTokenizer(files.json, (files.config ?? {}) as Record<string, unknown>, pairReaderOf(spec));
}

/** A decoder family's specs read pairs as prompt + response (+ eos); every other model as its segments. */
export function pairReaderOf(spec: ModelSpec): PairReader {
  return spec.encoder === 'bert' && DECODER_MODEL_TYPES.includes(spec.bert.modelType) ? 'decoder' : 'encoder';
}
