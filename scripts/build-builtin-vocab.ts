// Builds the built-in encoder's tokenizer (src/core/model/builtin-tokenizer.json), reproducibly:
//   npx tsx scripts/build-builtin-vocab.ts [path/to/pandalm-testset-v1.json]
//
// A BERT-style WordPiece tokenizer (lower-cased, accents stripped) whose vocabulary is the most
// frequent words of the PandaLM demo corpus plus every character it contains, bare and as a
// "##" continuation. The character pieces mean any word of those scripts still tokenizes
// (into pieces) instead of becoming [UNK], so text from other datasets is not lost.
// A run can instead build its own vocabulary from its training split the same way (Vocabulary size).
// It is saved in the Hugging Face tokenizer.json layout, so the app reads it with the same
// @huggingface/tokenizers code that will read a pretrained model's tokenizer.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildVocabulary, SPECIAL_TOKENS, wordPieceTokenizerJson } from '../src/core/model/run-vocabulary.ts';

/** Words kept: enough to cover most running text of instruction data, small enough for a tiny embedding table. */
const MAX_WORDS = 8000;
const MIN_WORD_COUNT = 2;

const source = resolve(process.argv[2] ?? '../shared/data/pandalm-testset-v1.json');
const rows = JSON.parse(readFileSync(source, 'utf8')) as Record<string, string>[];
const texts = rows.flatMap((row) =>
  ['instruction', 'input', 'response1', 'response2'].map((field) => (typeof row[field] === 'string' ? row[field] : '')),
);

// The same builder a run uses for its own vocabulary (src/core/model/run-vocabulary.ts).
const vocabList = buildVocabulary(texts, { maxWords: MAX_WORDS, minCount: MIN_WORD_COUNT });
const chars = vocabList.filter((t) => t.startsWith('##')).length;
const words = vocabList.length - SPECIAL_TOKENS.length - 2 * chars;
const out = resolve('src/core/model/builtin-tokenizer.json');
writeFileSync(out, JSON.stringify(wordPieceTokenizerJson(vocabList)) + '\n');
console.log(
  `${out}: ${vocabList.length} tokens (${SPECIAL_TOKENS.length} special, ${chars * 2} character pieces, ${words} words)`,
);
