// The hostile fuzz file (tests/hostile-files.ts) imported into the browser's real IndexedDB stores
// exactly the pairs the core reads from it (the count the CLI gets in Node, tests/unit/
// hostile-import.test.ts): records nested thousands of levels deep used to overflow structured
// clone's stack and fail the whole import, storing 0 pairs; now each is a rejected line.
import { afterEach, describe, expect, it } from 'vitest';
import { hostileFile } from '../hostile-files.ts';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { parseRecords } from '../../src/core/data/parse.ts';
import { readRecords } from '../../src/core/data/records.ts';
import { getPairs, getRejectedLines } from '../../src/store/datasets.ts';
import { openLabDB, type RMLabDatabase } from '../../src/store/db.ts';
import { importPairs } from '../../src/worker/import.ts';

const opened: RMLabDatabase[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

describe('hostile import into IndexedDB', () => {
  it('stores the same pairs as the core reads, and rejects the deep records by line', async () => {
    const { bytes, lines } = hostileFile(11);
    let expected = 0;
    const deepLines: number[] = [];
    for await (const p of parseRecords(readRecords(streamOfBytes(bytes)))) {
      if (p.kind === 'pair') expected++;
      else if (/nested more than/.test(p.rejected.reason)) deepLines.push(p.rejected.line);
    }
    expect(deepLines.length).toBeGreaterThan(50);

    const db = await openLabDB(`rm-lab-hostile-${Date.now()}`);
    opened.push(db);
    const result = await importPairs(
      db,
      streamOfBytes(bytes, 4096),
      { name: 'hostile', source: { kind: 'file', name: 'hostile.jsonl' } },
      () => {},
    );
    expect(result.dataset.pairCount).toBe(expected);
    expect(result.dataset.pairCount + result.dataset.rejectedCount).toBe(lines);
    expect((await getPairs(db, result.dataset.id)).length).toBe(expected);
    const rejected = await getRejectedLines(db, result.dataset.id);
    expect(rejected.filter((r) => /nested more than/.test(r.reason)).map((r) => r.line)).toEqual(deepLines);
  });
});
