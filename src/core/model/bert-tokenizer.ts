// Many BERT checkpoints on the Hub (prajjwal1/bert-tiny among them) ship only vocab.txt, the
// original WordPiece vocabulary, and no tokenizer.json. Hugging Face's BertTokenizerFast builds the
// tokenizer.json it would have from that vocabulary (transformers' convert_slow_tokenizer.py,
// BertConverter); this does the same, so such a model tokenizes here as it does in Python.

/** The tokenizer_config.json / special_tokens_map.json entries a BERT tokenizer reads. */
export interface BertTokenizerOptions {
  /** do_lower_case (default true, as BertTokenizer's). */
  lowercase: boolean;
  /** strip_accents: null follows lowercase (BERT's rule: accents go when lowercasing). */
  stripAccents: boolean | null;
  /** tokenize_chinese_chars (default true): CJK characters become words of their own. */
  chineseChars: boolean;
  unk: string;
  cls: string;
  sep: string;
  pad: string;
  mask: string;
}

/** The vocabulary of a vocab.txt: one token a line, its id its line number (0-based). */
export function readVocabTxt(text: string): Map<string, number> {
  const vocab = new Map<string, number>();
  // BERT's load_vocab strips only the line ending; a token listed twice keeps its last line's id, as there.
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => vocab.set(line.replace(/\r$/, ''), i));
  if (vocab.size === 0) throw new Error('vocab.txt is empty');
  return vocab;
}

/** What a BERT tokenizer_config.json (and special_tokens_map.json, merged into it) says, with BertTokenizer's defaults. */
export function bertTokenizerOptions(config: Record<string, unknown> = {}): BertTokenizerOptions {
  const bool = (key: string, fallback: boolean) =>
    typeof config[key] === 'boolean' ? (config[key] as boolean) : fallback;
  return {
    lowercase: bool('do_lower_case', true),
    stripAccents: typeof config.strip_accents === 'boolean' ? config.strip_accents : null,
    chineseChars: bool('tokenize_chinese_chars', true),
    unk: specialTokenText(config.unk_token) ?? '[UNK]',
    cls: specialTokenText(config.cls_token) ?? '[CLS]',
    sep: specialTokenText(config.sep_token) ?? '[SEP]',
    pad: specialTokenText(config.pad_token) ?? '[PAD]',
    mask: specialTokenText(config.mask_token) ?? '[MASK]',
  };
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken object with `content`. */
export function specialTokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** tokenizer.json for a BERT WordPiece vocabulary, as BertConverter writes it. */
export function bertTokenizerJson(vocab: Map<string, number>, options: BertTokenizerOptions): object {
  const idOf = (token: string, role: string) => {
    const id = vocab.get(token);
    if (id === undefined) throw new Error(`vocab.txt has no ${token} token (the ${role} token)`);
    return id;
  };
  const cls = idOf(options.cls, 'classification');
  const sep = idOf(options.sep, 'separator');
  idOf(options.unk, 'unknown-word');
  const specials = [options.pad, options.unk, options.cls, options.sep, options.mask];
  const added = [...new Set(specials)]
    .filter((token) => vocab.has(token))
    .map((token) => ({
      id: vocab.get(token)!,
      content: token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }))
    .sort((a, b) => a.id - b.id);
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: options.chineseChars,
      strip_accents: options.stripAccents,
      lowercase: options.lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    // "[CLS]:0 $A:0 [SEP]:0" and "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", BertConverter's template.
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(options.cls, 0), sequence('A', 0), special(options.sep, 0)],
      pair: [
        special(options.cls, 0),
        sequence('A', 0),
        special(options.sep, 0),
        sequence('B', 1),
        special(options.sep, 1),
      ],
      special_tokens: {
        [options.cls]: { id: options.cls, ids: [cls], tokens: [options.cls] },
        [options.sep]: { id: options.sep, ids: [sep], tokens: [options.sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: options.unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab),
    },
  };
}
