import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_DATASET } from '../../src/core/data/demo.ts';
import { readLines } from '../../src/core/data/jsonl.ts';
import type { PairInput, RejectedLine } from '../../src/core/data/pair.ts';
import { parsePairs } from '../../src/core/data/parse.ts';
import { winnerCounts } from '../../src/core/data/stats/index.ts';
import { DEFAULT_SOURCE, buildDemoJsonl } from '../../scripts/build-demo-dataset.ts';

const demoFile = fileURLToPath(new URL(`../../public/${DEMO_DATASET.path}`, import.meta.url));

async function parseDemo(): Promise<{ pairs: PairInput[]; rejected: RejectedLine[]; formats: Set<string> }> {
  // A small highWaterMark: records cross chunk boundaries, as they do when a browser reads the file.
  const stream = Readable.toWeb(createReadStream(demoFile, { highWaterMark: 4096 })) as ReadableStream<Uint8Array>;
  const pairs: PairInput[] = [];
  const rejected: RejectedLine[] = [];
  const formats = new Set<string>();
  for await (const parsed of parsePairs(readLines(stream))) {
    if (parsed.kind === 'pair') {
      pairs.push(parsed.pair);
      formats.add(parsed.format);
    } else rejected.push(parsed.rejected);
  }
  return { pairs, rejected, formats };
}

const MODELS = ['bloom-7b', 'cerebras-gpt-6.7B', 'llama-7b', 'opt-7b', 'pythia-6.9b'];

describe('bundled demo dataset', () => {
  it('reads as 999 RM Lab pairs and nothing rejected', async () => {
    const { pairs, rejected, formats } = await parseDemo();
    expect(rejected).toEqual([]);
    expect(pairs).toHaveLength(999);
    expect(DEMO_DATASET.pairs).toBe(999);
    expect([...formats]).toEqual(['rmlab']);
    expect(winnerCounts(pairs)).toEqual({ a: 422, b: 472, tie: 105, both_bad: 0, total: 999 });
  });

  it('keeps models, task types, votes and source ids', async () => {
    const { pairs } = await parseDemo();
    expect(pairs.every((p) => MODELS.includes(p.modelA!) && MODELS.includes(p.modelB!) && p.modelA !== p.modelB)).toBe(
      true,
    );
    expect(pairs.every((p) => typeof p.taskType === 'string' && p.taskType.length > 0)).toBe(true);
    expect(new Set(pairs.map((p) => p.taskType)).size).toBe(50);
    expect(
      pairs.every((p) => p.votes !== undefined && p.votes.a + p.votes.b + p.votes.tie === 3 && p.votes.both_bad === 0),
    ).toBe(true);
    expect(pairs.map((p) => p.extra?.source_id)).toEqual(Array.from({ length: 999 }, (_, i) => String(i)));
    expect(pairs[0]).toStrictEqual({
      prompt:
        'The sentence you are given might be too wordy, complicated, or unclear. Rewrite the sentence and make your ' +
        'writing clearer by keeping it concise. Whenever possible, break complex sentences into multiple sentences and ' +
        'eliminate unnecessary words.\n\nIf you have any questions about my rate or if you find it necessary to increase ' +
        'or decrease the scope for this project, please let me know.',
      responseA: 'If you have any questions about my rate, please let me know.',
      responseB: 'If you have any questions, please let me know.',
      winner: 'b',
      votes: { a: 0, b: 3, tie: 0, both_bad: 0 },
      modelA: 'bloom-7b',
      modelB: 'llama-7b',
      taskType: 'Grammarly',
      extra: { source_id: '0' },
    });
    // Row 157's response1 is the JSON value true in the source.
    expect(pairs[157]).toMatchObject({
      responseA: 'true',
      responseB: 'True.',
      modelA: 'bloom-7b',
      modelB: 'cerebras-gpt-6.7B',
    });
  });

  it('ships its license and attribution', () => {
    const dir = fileURLToPath(new URL('../../public/', import.meta.url));
    expect(readFileSync(dir + DEMO_DATASET.licensePath, 'utf8')).toContain('Apache License');
    const readme = readFileSync(dir + DEMO_DATASET.readmePath, 'utf8');
    expect(readme).toContain('https://github.com/WeOpenML/PandaLM');
    expect(readme).toContain('3871806e72b4832f815ecafd24d3503c73403f48');
    expect(readme).toContain('Apache License 2.0');
  });

  // The raw PandaLM file lives outside the repository (../shared/data); without it these checks are skipped.
  describe.skipIf(!existsSync(DEFAULT_SOURCE))('against the raw PandaLM file', () => {
    const raw = (): Record<string, unknown>[] => JSON.parse(readFileSync(DEFAULT_SOURCE, 'utf8'));

    it('has the winners a majority count of the raw annotators gives', async () => {
      const expected = { a: 0, b: 0, tie: 0, both_bad: 0, total: 0 };
      for (const row of raw()) {
        const labels = [row.annotator1, row.annotator2, row.annotator3].map(String);
        const ones = labels.filter((l) => l === '1').length;
        const twos = labels.filter((l) => l === '2').length;
        expected[ones >= 2 ? 'a' : twos >= 2 ? 'b' : 'tie']++;
        expected.total++;
      }
      const { pairs } = await parseDemo();
      expect(winnerCounts(pairs)).toEqual(expected);
      expect(pairs.map((p) => `${p.modelA}_${p.modelB}`)).toEqual(raw().map((r) => r.cmp_key));
      expect(pairs.map((p) => p.taskType)).toEqual(raw().map((r) => r.motivation_app));
    });

    it('is what the build script makes from it today', () => {
      expect(readFileSync(demoFile, 'utf8') === buildDemoJsonl(raw())).toBe(true);
    });
  });
});
