// The built-in encoder's WordPiece vocabulary built from a run's own training text: the most frequent
// words plus every character seen, bare and as a '##' continuation, so any word of those scripts
// still tokenizes (into pieces) instead of becoming [UNK]. Built from the training split only, so
// held-out pairs say nothing about which words the model knows.
//
// The result is a Hugging Face tokenizer.json, so it travels with checkpoints and model files as a
// pretrained encoder's tokenizer does (TokenizerFiles, spec.tokenizer 'embedded') and is read by the
// same @huggingface/tokenizers code. scripts/build-builtin-vocab.ts builds the bundled vocabulary with it.
import { Tokenizer } from '@huggingface/tokenizers';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** A vocabulary that cannot be built (no text): said before training starts. */
export class VocabularyError extends Error {
  override name = 'VocabularyError';
}

export interface VocabularyOptions {
  /** At most this many whole words (characters, pieces and special tokens come on top). */
  maxWords: number;
  /** A word seen fewer times than this is left to character pieces. */
  minCount?: number;
}

/** A BERT-style WordPiece tokenizer.json (lower-cased, BertPreTokenizer) over a vocabulary in id order. */
export function wordPieceTokenizerJson(tokens: readonly string[]): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
    },
  };
}

/**
 * The words of a text as this tokenizer finds them before WordPiece (lower-cased, accents stripped,
 * split at spaces and punctuation): the tokenizer's own normalizer and pre-tokenizer, so a
 * vocabulary built from them matches exactly what encoding will produce.
 */
export function wordSplitter(): (text: string) => string[] {
  const splitter = new Tokenizer(wordPieceTokenizerJson(['[UNK]']), {});
  return (text) => {
    const normalized = splitter.normalizer ? splitter.normalizer.normalize(text) : text;
    return splitter.pre_tokenizer ? (splitter.pre_tokenizer.pre_tokenize_text(normalized, {}) as string[]) : [];
  };
}

/**
 * The vocabulary's tokens in id order: special tokens, the printable ASCII characters and every
 * character of the text (sorted, bare then as '##' pieces), then the words seen at least minCount
 * times, most frequent first (ties in code-unit order), at most maxWords. Deterministic: the same
 * texts in any order give the same vocabulary.
 */
export function buildVocabulary(texts: Iterable<string>, options: VocabularyOptions): string[] {
  const { maxWords, minCount = 2 } = options;
  const wordsOf = wordSplitter();
  const wordCounts = new Map<string, number>();
  const chars = new Set<string>();
  let words = 0;
  for (const text of texts) {
    if (!text) continue;
    for (const w of wordsOf(text)) {
      words++;
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      for (const ch of w) chars.add(ch);
    }
  }
  if (words === 0) {
    throw new VocabularyError(
      'the vocabulary cannot be built: the training split has no prompt or response text (check the field mapping)',
    );
  }
  for (let c = 0x21; c < 0x7f; c++) chars.add(String.fromCharCode(c));
  const tokens: string[] = [...SPECIAL_TOKENS];
  const sortedChars = [...chars].sort();
  tokens.push(...sortedChars, ...sortedChars.map((c) => `##${c}`));
  const inVocab = new Set(tokens);
  const kept = [...wordCounts.entries()]
    .filter(([w, n]) => n >= minCount && !inVocab.has(w))
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, maxWords)
    .map(([w]) => w);
  tokens.push(...kept);
  return tokens;
}

/** The run's tokenizer.json, built from its training split's prompts and responses. */
export function buildRunTokenizer(texts: Iterable<string>, options: VocabularyOptions): object {
  return wordPieceTokenizerJson(buildVocabulary(texts, options));
}
