// Builds the bundled demo dataset: PandaLM's human-annotated test set (a JSON array) converted
// to RM Lab's own JSONL record, with its attribution and license beside it in public/demo/.
//
//   npx tsx scripts/build-demo-dataset.ts [path/to/pandalm-testset-v1.json]
//
// The source defaults to ../shared/data/ next to the repository; the license is read from
// pandalm-LICENSE.txt in the same folder as the source.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expectRecord } from '../src/core/data/formats/fields.ts';
import { pandalmToPair } from '../src/core/data/formats/pandalm.ts';
import { pairToRmlab } from '../src/core/data/formats/rmlab.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SOURCE = resolve(repoRoot, '../shared/data/pandalm-testset-v1.json');
const OUT_DIR = join(repoRoot, 'public/demo');

const COMMIT = '3871806e72b4832f815ecafd24d3503c73403f48';

/** The JSONL text of the demo file: one RM Lab record a line, PandaLM's idx kept as source_id. */
export function buildDemoJsonl(rows: unknown): string {
  if (!Array.isArray(rows)) throw new Error('the PandaLM test set should be a JSON array of rows');
  const lines = rows.map((row, i) => {
    const pair = pandalmToPair(expectRecord(row));
    const { idx, ...rest } = pair.extra ?? {};
    if (idx === undefined) throw new Error(`row ${i} has no idx`);
    // source_id first, so that a reader of the file sees which PandaLM row each line is.
    pair.extra = { source_id: String(idx), ...rest };
    return JSON.stringify(pairToRmlab(pair));
  });
  return `${lines.join('\n')}\n`;
}

const README = `# Demo dataset

\`pandalm-testset.jsonl\` is the human-annotated test set of **PandaLM**
(https://github.com/WeOpenML/PandaLM, file \`data/testset-v1.json\` at commit
\`${COMMIT}\`), by the PandaLM authors, licensed under the Apache License 2.0
(\`PandaLM-LICENSE.txt\` in this folder).

Changes made here: each of the 999 rows is converted to RM Lab's own record (one JSON object a line)
by \`scripts/build-demo-dataset.ts\`:

- \`prompt\` is the instruction, followed by a blank line and the input when there is one;
- \`response_a\` / \`response_b\` are \`response1\` / \`response2\`; the six responses that the source
  stores as the JSON value \`true\` are written as the text \`"true"\`;
- \`model_a_version\` / \`model_b_version\` come from \`cmp_key\`, \`task_type\` from \`motivation_app\`;
- \`votes\` counts the three annotators (1 = response_a, 2 = response_b, 0 = tie), and \`winner\` is
  their strict majority, or \`tie\` when there is none;
- \`source_id\` is the row's \`idx\`.
`;

function main(): void {
  const source = resolve(process.argv[2] ?? DEFAULT_SOURCE);
  const license = join(dirname(source), 'pandalm-LICENSE.txt');
  for (const path of [source, license]) {
    if (!existsSync(path)) {
      console.error(`not found: ${path}`);
      process.exit(1);
    }
  }
  const jsonl = buildDemoJsonl(JSON.parse(readFileSync(source, 'utf8')));
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'pandalm-testset.jsonl'), jsonl);
  writeFileSync(join(OUT_DIR, 'README.md'), README);
  // Read and written rather than copied: a copy keeps the source's read-only mode, and the next run could not overwrite it.
  writeFileSync(join(OUT_DIR, 'PandaLM-LICENSE.txt'), readFileSync(license));
  console.log(`wrote ${jsonl.split('\n').length - 1} records to ${join(OUT_DIR, 'pandalm-testset.jsonl')}`);
}

// Tests import buildDemoJsonl; only running the file itself writes the files.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
