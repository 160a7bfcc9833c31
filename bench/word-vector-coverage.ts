// How many running tokens start from a bundled word vector, as a default run counts them (the run
// details' and the CLI's "word vectors cover" figure): the run's own vocabulary built from the
// training split of the default split, the training split's prompts and responses tokenized with it.
//   npx tsx bench/word-vector-coverage.ts
// Datasets: the demo (PandaLM), the English pair files of tests/fixtures/formats (HH-RLHF, SHP,
// UltraFeedback, Chatbot Arena, arena-55k: small), and, as plain English prose rather than pairs,
// Debian's GPL-3 text (/usr/share/common-licenses/GPL-3, its paragraphs as texts, all of them read).
// Tables compared: the bundled one (with and without its aliases), and the earlier table (vectors of
// the bundled vocabulary's words only, what public/builtin held before: rebuilt here from the package).
// Results: bench/results/word-vector-coverage.json. Figures, not tests: it asserts nothing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSource } from '../scripts/build-word-vectors.ts';
import { readPairFile } from '../src/cli/data-file.ts';
import { readLinesFromText } from '../src/core/data/jsonl.ts';
import { parsePairs } from '../src/core/data/parse.ts';
import type { Pair } from '../src/core/data/pair.ts';
import { buildRunTokenizer, wordSplitter } from '../src/core/model/run-vocabulary.ts';
import { builtinTokenizer, PairTokenizer } from '../src/core/model/tokenizer.ts';
import {
  builtinVocabulary,
  loadWordVectorTable,
  wordVectorCoverage,
  wordVectorsFor,
  type WordVectors,
  type WordVectorTable,
} from '../src/core/model/word-vectors.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';
import { trainingSplitTexts } from '../src/core/train/data.ts';

const GPL = '/usr/share/common-licenses/GPL-3';

async function datasets(): Promise<{ name: string; texts: string[] }[]> {
  const demo: Pair[] = [];
  const text = readFileSync('public/demo/pandalm-testset.jsonl', 'utf8');
  for await (const p of parsePairs(readLinesFromText(text))) if (p.kind === 'pair') demo.push(p.pair as Pair);
  const fixtures: Pair[] = [];
  const dir = 'tests/fixtures/formats';
  for (const file of readdirSync(dir).sort()) {
    if (file === 'shp.tsv' || file === 'ultrafeedback-binarized.csv') continue; // the same pairs as their .jsonl
    fixtures.push(...(await readPairFile(join(dir, file))).pairs);
  }
  const out = [
    { name: 'demo (PandaLM), training split', texts: trainingSplitTexts(demo, DEFAULT_TRAIN_CONFIG) },
    {
      name: 'tests/fixtures/formats (5 English pair files), training split',
      texts: trainingSplitTexts(fixtures, DEFAULT_TRAIN_CONFIG),
    },
  ];
  if (existsSync(GPL))
    out.push({ name: 'GPL-3 text (English prose)', texts: readFileSync(GPL, 'utf8').split(/\n\s*\n/) });
  return out;
}

function measure(texts: string[], tokenizer: PairTokenizer, vectors: WordVectors, vocab: string[]) {
  const { tokens, covered } = wordVectorCoverage(texts, (t) => tokenizer.encodeText(t), vectors);
  const has = new Set(vectors.ids);
  const missing = new Map<string, number>();
  for (const t of texts)
    for (const id of tokenizer.encodeText(t))
      if (!has.has(id)) missing.set(vocab[id]!, (missing.get(vocab[id]!) ?? 0) + 1);
  const top = [...missing].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return { tokens, covered, share: covered / tokens, mostFrequentWithout: Object.fromEntries(top) };
}

/**
 * The share of the running words (as the tokenizer splits them, before WordPiece) that the table
 * holds or aliases, whatever the run's vocabulary keeps: what the table covers of the language.
 */
function wordsInTable(texts: string[], table: WordVectorTable) {
  const has = new Set([...table.words, ...Object.keys(table.header.aliases)]);
  const wordsOf = wordSplitter();
  let words = 0;
  let covered = 0;
  for (const t of texts)
    for (const w of wordsOf(t)) {
      words++;
      if (has.has(w)) covered++;
    }
  return { words, covered, share: covered / words };
}

async function main() {
  const table = await loadWordVectorTable();
  const bare: WordVectorTable = { ...table, header: { ...table.header, aliases: {} } };
  // The earlier table: the package's vectors of the bundled vocabulary's whole words (no '##' piece, no special token).
  const { source } = readSource();
  const bundled = builtinVocabulary();
  const earlierIds = bundled.flatMap((t, id) =>
    !t.startsWith('##') && !/^\[[A-Z]+\]$/.test(t) && Object.hasOwn(source.vectors, t) ? [id] : [],
  );
  const results = [];
  for (const { name, texts } of await datasets()) {
    const runJson = buildRunTokenizer(texts, { maxWords: DEFAULT_TRAIN_CONFIG.vocabularySize });
    const runTokenizer = new PairTokenizer(runJson);
    const runVocab = builtinVocabulary(runJson);
    const earlierWords = new Set(earlierIds.map((id) => bundled[id]!));
    const earlier: WordVectors = {
      ids: Uint16Array.from(runVocab.flatMap((t, id) => (earlierWords.has(t) ? [id] : []))),
      vectors: new Float32Array(0),
      dims: 100,
      vocabSize: runVocab.length,
    };
    const row = {
      dataset: name,
      runVocabulary: runVocab.length,
      wordsInTable: wordsInTable(texts, table),
      table: measure(texts, runTokenizer, wordVectorsFor(table, runVocab), runVocab),
      tableWithoutAliases: measure(texts, runTokenizer, wordVectorsFor(bare, runVocab), runVocab),
      earlierTable: measure(texts, runTokenizer, earlier, runVocab),
      tableWithBundledVocabulary: measure(texts, builtinTokenizer(), wordVectorsFor(table, bundled), bundled),
    };
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log(
      `${name}: ${row.table.tokens} tokens; ${pct(row.wordsInTable.share)} of its ${row.wordsInTable.words} running words in the table; ` +
        `run vocabulary ${row.runVocabulary} tokens; table ${pct(row.table.share)}, without aliases ${pct(row.tableWithoutAliases.share)}, ` +
        `earlier table ${pct(row.earlierTable.share)}, table with the bundled vocabulary ${pct(row.tableWithBundledVocabulary.share)}\n` +
        `  most frequent without a vector: ${Object.entries(row.table.mostFrequentWithout)
          .map(([w, n]) => `${w} ${n}`)
          .join(', ')}`,
    );
    results.push(row);
  }
  const out = {
    date: new Date().toISOString(),
    table: {
      source: table.header.source,
      rows: table.header.rows,
      dims: table.header.dims,
      sha256: table.header.sha256,
    },
    vocabulary: `the run's own, ${DEFAULT_TRAIN_CONFIG.vocabularySize} words at most, from the training split (split seed ${DEFAULT_TRAIN_CONFIG.splitSeed}, ${DEFAULT_TRAIN_CONFIG.heldOutFraction} held out)`,
    results,
  };
  writeFileSync('bench/results/word-vector-coverage.json', JSON.stringify(out, null, 2) + '\n');
}

await main();
