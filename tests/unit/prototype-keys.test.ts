// Names from the user's data that Object.prototype also has (issue 13): model versions called
// "constructor", "toString" or "__proto__", a task type "__proto__", a share-link key "toString".
// Each is data like any other name: kept, counted, reported, or (for a link) refused as unknown.
import { describe, expect, it } from 'vitest';
import { describeRejected } from '../../src/cli/data-file.ts';
import { sliceByTaskType } from '../../src/cli/eval.ts';
import {
  collectPrompts,
  promptsFromPairs,
  regressionReport,
  responsesToScore,
} from '../../src/core/eval/regression.ts';
import { parseRegressionRow } from '../../src/core/eval/score-rows.ts';
import type { Pair } from '../../src/core/data/pair.ts';
import { linkFileName } from '../../src/core/share/fetch-url.ts';
import { decodeSetup } from '../../src/core/share/setup-link.ts';

const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('versions named like Object.prototype', () => {
  it('a regression file with such versions keeps every one, and scores them', () => {
    const rows = [
      { responses: Object.fromEntries(NAMES.map((n, i) => [n, `answer ${i}`])) },
      { responses: { constructor: 'again', v1: 'plain' } },
    ].map((record, i) => {
      const parsed = parseRegressionRow({ line: i + 1, text: JSON.stringify({ prompt: `q${i}`, ...record }) });
      if (!parsed.ok) throw new Error(parsed.rejected.reason);
      return parsed.row;
    });
    expect(Object.keys(rows[0]!.responses).sort()).toEqual([...NAMES].sort());
    const prompts = collectPrompts(rows);
    expect(Object.keys(prompts[0]!.responses).sort()).toEqual([...NAMES].sort());
    const { items, attach } = responsesToScore(prompts);
    const scored = attach(items.map((_, i) => i));
    const report = regressionReport(scored);
    expect(report.versions.map((v) => v.version).sort()).toEqual([...NAMES, 'v1'].sort());
    // "toString" never answered q1: no win rate of it against v1 on a prompt it did not answer.
    const w = report.winRates.find((r) => [r.x, r.y].includes('toString') && [r.x, r.y].includes('v1'));
    expect(w?.n).toBe(0);
  });

  it('pairs whose model versions are such names become prompts answered by them', () => {
    const pair = (a: string, b: string, i: number): Pair => ({
      id: `p${i}`,
      datasetId: 'd',
      prompt: `q${i}`,
      responseA: `a${i}`,
      responseB: `b${i}`,
      winner: 'a',
      modelA: a,
      modelB: b,
    });
    const { prompts } = promptsFromPairs([pair('toString', 'constructor', 0), pair('__proto__', 'v1', 1)]);
    expect(prompts.map((p) => Object.keys(p.responses).sort())).toEqual([
      ['constructor', 'toString'],
      ['__proto__', 'v1'],
    ]);
  });
});

describe('task types named like Object.prototype', () => {
  it("rmlab eval's breakdown keeps a task type __proto__", () => {
    const slices = sliceByTaskType(
      ['__proto__', 'qa', '__proto__', 'constructor'],
      [1, 1, 0, 1],
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    );
    const back = JSON.parse(JSON.stringify(slices)) as Record<string, { pairs: number }>;
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'constructor', 'qa']);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value.pairs).toBe(2);
  });
});

describe('share-link keys named like Object.prototype', () => {
  it('are unknown settings, said by name', () => {
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(() => decodeSetup(`#${key}=1`)).toThrow(`the link has an unknown setting "${key}"`);
    }
  });

  it('a malformed %-escape in a dataset link is kept as written, not "URI malformed"', () => {
    const link = decodeSetup('#dataset-url=https://a.org/data/%25E0%25A4%25A.jsonl');
    expect(linkFileName(link.datasetUrl!)).toBe('%E0%A4%A.jsonl');
    expect(linkFileName('https://a.org/data/caf%C3%A9.jsonl')).toBe('café.jsonl');
    expect(linkFileName('https://a.org/')).toBe('https://a.org/');
  });
});

describe('terminal output', () => {
  it("rejected lines' reasons and excerpts print control characters by name, never raw", () => {
    const [line] = describeRejected([
      { line: 3, reason: 'bad \u001b[2J', excerpt: '\u001b]0;owned\u0007 \u009b31m \u202e' },
    ]);
    expect(line).toBe('  line 3: bad <U+001B>[2J (<U+001B>]0;owned<U+0007> <U+009B>31m <U+202E>)');
  });
});
