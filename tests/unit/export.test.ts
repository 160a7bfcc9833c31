// Dataset export: RM Lab records (lossless) and TRL records (decisive pairs only, counted).
import { describe, expect, it } from 'vitest';
import type { PairInput } from '../../src/core/data/pair.ts';
import { pairToTrl, trlToPair } from '../../src/core/data/formats/trl.ts';
import { exportJsonl, exportJsonlLines, exportJsonlStream } from '../../src/core/data/export.ts';
import { parseRecords } from '../../src/core/data/parse.ts';
import { readRecords } from '../../src/core/data/records.ts';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

const pairs: PairInput[] = [
  {
    prompt: 'Capital of France?',
    responseA: 'Paris.',
    responseB: 'Lyon.',
    winner: 'a',
    margin: 1.5,
    extra: { id: 'q1' },
  },
  { prompt: [user('Hi')], responseA: 'Go away.', responseB: 'Hello!', winner: 'b', modelA: 'm1', modelB: 'm2' },
  { prompt: 'p', responseA: 'x', responseB: 'y', winner: 'tie' },
  { prompt: 'p', responseA: 'x', responseB: 'y', winner: 'both_bad' },
  { prompt: '', responseA: 'x', responseB: 'y', winner: 'a', extra: { chosen: 'old', score: 3 } },
];

describe('pairToTrl', () => {
  it('writes the winner as chosen, standard when all is text, conversational otherwise', () => {
    expect(pairs.map(pairToTrl)).toEqual([
      { id: 'q1', prompt: 'Capital of France?', chosen: 'Paris.', rejected: 'Lyon.', margin: 1.5 },
      { prompt: [user('Hi')], chosen: [assistant('Hello!')], rejected: [assistant('Go away.')] },
      undefined,
      undefined,
      // An empty prompt is TRL's implicit prompt; an extra field named like a TRL field is renamed.
      { extra_chosen: 'old', score: 3, chosen: 'x', rejected: 'y' },
    ]);
  });

  it('reads back as the pair, chosen first, for text and for conversations', () => {
    expect(trlToPair(pairToTrl(pairs[0]!)!)).toStrictEqual(pairs[0]);
    expect(trlToPair(pairToTrl(pairs[1]!)! as Record<string, unknown>)).toStrictEqual({
      prompt: [user('Hi')],
      responseA: [assistant('Hello!')],
      responseB: [assistant('Go away.')],
      winner: 'a',
    });
  });
});

describe('exportJsonl', () => {
  it('writes one line per pair it can hold and counts the ones it skips', () => {
    const trl = exportJsonl(pairs, 'trl');
    expect([trl.written, trl.skipped]).toEqual([3, 2]);
    expect(trl.text).toBe(
      [
        '{"id":"q1","prompt":"Capital of France?","chosen":"Paris.","rejected":"Lyon.","margin":1.5}',
        '{"prompt":[{"role":"user","content":"Hi"}],"chosen":[{"role":"assistant","content":"Hello!"}],"rejected":[{"role":"assistant","content":"Go away."}]}',
        '{"extra_chosen":"old","score":3,"chosen":"x","rejected":"y"}',
        '',
      ].join('\n'),
    );
    const rmlab = exportJsonl(pairs, 'rmlab');
    expect([rmlab.written, rmlab.skipped, rmlab.text.split('\n').length]).toEqual([5, 0, 6]);
  });

  it('streams a file that imports back to the same pairs (RM Lab) ', async () => {
    const counts = { written: 0, skipped: 0 };
    const stream = exportJsonlStream(pairs, 'rmlab', counts);
    const back: PairInput[] = [];
    for await (const parsed of parseRecords(readRecords(stream))) {
      if (parsed.kind === 'pair') back.push(parsed.pair);
    }
    expect(back).toStrictEqual(pairs);
    expect(counts).toEqual({ written: 5, skipped: 0 });
  });

  it('streams lines from an async source', async () => {
    async function* source() {
      yield* pairs;
    }
    const counts = { written: 0, skipped: 0 };
    const lines: string[] = [];
    for await (const line of exportJsonlLines(source(), 'trl', counts)) lines.push(line);
    expect(lines.length).toBe(3);
    expect(lines.every((l) => l.endsWith('}\n'))).toBe(true);
    expect(counts).toEqual({ written: 3, skipped: 2 });
  });
});
