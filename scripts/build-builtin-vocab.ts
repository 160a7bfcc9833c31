// Builds the built-in encoder's tokenizer (src/core/model/builtin-tokenizer.json), reproducibly:
//   npx tsx scripts/build-builtin-vocab.ts [path/to/pandalm-testset-v1.json]
//
// A BERT-style WordPiece tokenizer (lower-cased, accents stripped) whose vocabulary is the most
// frequent words of the PandaLM demo corpus plus every character it contains, bare and as a
// "##" continuation. The character pieces mean any word of those scripts still tokenizes
// (into pieces) instead of becoming [UNK], so text from other datasets is not lost.
// It is saved in the Hugging Face tokenizer.json layout, so the app reads it with the same
// @huggingface/tokenizers code that will read a pretrained model's tokenizer.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
/** Words kept: enough to cover most running text of instruction data, small enough for a tiny embedding table. */
const MAX_WORDS = 8000;
const MIN_WORD_COUNT = 2;

const source = resolve(process.argv[2] ?? '../shared/data/pandalm-testset-v1.json');
const rows = JSON.parse(readFileSync(source, 'utf8')) as Record<string, string>[];

function tokenizerJson(vocab: Record<string, number>) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content, id) => ({
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
      vocab,
    },
  };
}

// Reuse the tokenizer's own normalizer and pre-tokenizer to find words, so the vocabulary
// matches exactly what encoding will produce.
const splitter = new Tokenizer(tokenizerJson({ '[UNK]': 0 }), {});
const wordCounts = new Map<string, number>();
const chars = new Set<string>();
for (let c = 0x20; c < 0x7f; c++) chars.add(String.fromCharCode(c));
chars.delete(' ');
for (const row of rows) {
  for (const field of ['instruction', 'input', 'response1', 'response2']) {
    const text = typeof row[field] === 'string' ? row[field] : '';
    const normalized = splitter.normalizer ? splitter.normalizer.normalize(text) : text;
    const words = splitter.pre_tokenizer ? (splitter.pre_tokenizer.pre_tokenize_text(normalized, {}) as string[]) : [];
    for (const w of words) {
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      for (const ch of w) chars.add(ch);
    }
  }
}

const vocabList: string[] = [...SPECIAL];
const sortedChars = [...chars].sort();
vocabList.push(...sortedChars, ...sortedChars.map((c) => `##${c}`));
const inVocab = new Set(vocabList);
const words = [...wordCounts.entries()]
  .filter(([w, n]) => n >= MIN_WORD_COUNT && !inVocab.has(w))
  .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
  .slice(0, MAX_WORDS)
  .map(([w]) => w);
vocabList.push(...words);

const vocab = Object.fromEntries(vocabList.map((t, i) => [t, i]));
const out = resolve('src/core/model/builtin-tokenizer.json');
writeFileSync(out, JSON.stringify(tokenizerJson(vocab)) + '\n');
console.log(
  `${out}: ${vocabList.length} tokens (${SPECIAL.length} special, ${sortedChars.length * 2} character pieces, ${words.length} words)`,
);
