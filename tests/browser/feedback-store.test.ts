// A feedback log's import on the browser's real IndexedDB: the derived pairs (weight, provenance),
// rejected lines, every unpaired event and the report are stored together or not at all.
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { getPairs, getRejectedLines, getUnpairedEvents, listDatasets } from '../../src/store/datasets.ts';
import { freshDatabases } from '../fresh-db.ts';
import { importPairs, ImportCancelled, NoPairsFound } from '../../src/worker/import.ts';

const openTestDB = freshDatabases('rm-lab-feedback');

/** n conversations, each a regenerated v1 answer and a kept v2 answer: n sibling pairs. */
function log(n: number, extra: string[] = []): ReadableStream<Uint8Array> {
  const lines: string[] = [];
  for (let c = 0; c < n; c++) {
    const base = { conversation_id: `c${c}`, user_id: 'bob', prompt: `prompt ${c}`, model_version: 'v1' };
    lines.push(JSON.stringify({ ...base, event_id: `r${c}`, response: `old ${c}`, action: 'regenerate' }));
    lines.push(
      JSON.stringify({ ...base, event_id: `k${c}`, response: `new ${c}`, action: 'follow_up', model_version: 'v2' }),
    );
  }
  return streamOfBytes(new TextEncoder().encode([...lines, ...extra].join('\n')), 4096);
}

const feedback = { userIds: 'drop' as const };

describe('feedback log import into IndexedDB', () => {
  it('stores the pairs with weight and provenance, the rejected lines, the unpaired events and the report', async () => {
    const { db } = await openTestDB();
    const lonely = JSON.stringify({ event_id: 'x', prompt: 'alone', response: 'r', action: 'copy' });
    const result = await importPairs(
      db,
      log(3, [lonely, '{"broken']),
      { name: 'chat', source: { kind: 'file', name: 'chat.jsonl' }, choices: { feedback } },
      () => {},
    );
    expect(result.dataset).toMatchObject({ pairCount: 3, rejectedCount: 1, lineCount: 8, format: 'rmlab-events' });
    expect(result.dataset.feedback?.report).toMatchObject({ events: 7, pairs: 3, eventsPaired: 6 });
    const pairs = await getPairs(db, result.dataset.id);
    expect(pairs[0]).toMatchObject({
      prompt: 'prompt 0',
      responseA: 'new 0',
      responseB: 'old 0',
      winner: 'a',
      weight: 1,
      provenance: [{ rule: 'siblings', events: ['r0', 'k0'] }],
      modelA: 'v2',
      modelB: 'v1',
    });
    expect(pairs.every((p) => p.annotatorId === undefined)).toBe(true);
    expect((await getRejectedLines(db, result.dataset.id)).map((r) => r.line)).toEqual([8]);
    expect(await getUnpairedEvents(db, result.dataset.id)).toEqual([
      { line: 7, eventId: 'x', action: 'copy', reason: 'copy: no other answer to this prompt in the conversation' },
    ]);
    expect((await listDatasets(db)).map((d) => d.name)).toEqual(['chat']);
  });

  it('leaves no trace of a cancelled import while its pairs are written, and keeps what was there', async () => {
    const { db } = await openTestDB();
    await importPairs(
      db,
      log(2),
      { name: 'first', source: { kind: 'file', name: 'f' }, choices: { feedback } },
      () => {},
    );
    // 1,200 conversations: 2,400 records read, then 1,200 pairs written in batches of 500; stop in the writing.
    const cancel = new AbortController();
    let written = 0;
    await expect(
      importPairs(
        db,
        log(1200),
        { name: 'second', source: { kind: 'file', name: 's' }, choices: { feedback } },
        (p) => {
          written = Math.max(written, p.pairs);
          if (p.pairs >= 500) cancel.abort();
        },
        cancel.signal,
      ),
    ).rejects.toBeInstanceOf(ImportCancelled);
    expect(written).toBe(500);
    expect((await listDatasets(db)).map((d) => d.name)).toEqual(['first']);
    expect(await db.count('pairs')).toBe(2);
    expect(await db.count('rejects')).toBe(1);
  });

  it('stores nothing when no event makes a pair, and says why', async () => {
    const { db } = await openTestDB();
    const lines = [JSON.stringify({ event_id: 'a', prompt: 'p', response: 'r', action: 'thumbs_up' })];
    const error = await importPairs(
      db,
      streamOfBytes(new TextEncoder().encode(lines.join('\n'))),
      { name: 'none', source: { kind: 'file', name: 'n' }, choices: { feedback } },
      () => {},
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoPairsFound);
    expect((error as Error).message).toBe(
      'the 1 feedback events made no preference pair (1 × siblings: no other answer to this prompt in the conversation; thumbs: no response to this prompt was rated down): nothing was stored',
    );
    expect(await db.count('datasets')).toBe(0);
  });
});
