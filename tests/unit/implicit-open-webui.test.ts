// Open WebUI's feedback export, written here from its schema (the admin Evaluations page's JSON:
// rating records with data, meta and a snapshot of the chat's message tree), with a regeneration, an
// arena battle, a multi-turn chat and broken records, read through the real import path.
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { readRecords } from '../../src/core/data/records.ts';
import { feedbackPairs, readFeedbackLog } from '../../src/core/data/implicit/feedback.ts';
import { EXPORT, arena, feedback, haiku } from '../open-webui-export.ts';

async function readExport(value: unknown) {
  const bytes = new TextEncoder().encode(JSON.stringify(value, null, 2));
  return readFeedbackLog(readRecords(streamOfBytes(bytes)));
}

describe("Open WebUI's feedback export", () => {
  it('is recognised, and every record becomes its events or a rejected line naming the record', async () => {
    const log = await readExport(EXPORT);
    expect(log.format).toBe('open-webui');
    expect(log.records).toBe(6);
    expect(log.rejected.map((r) => r.reason)).toEqual([
      'record [4] (id "f5"): message "zzz" is not in snapshot.chat.chat.history.messages',
      'record [5] (id "f6"): this record is not an Open WebUI feedback record (type "rating" with data and meta), but the file is an Open WebUI export',
    ]);
    expect(log.events.map((e) => [e.id, e.action, e.value])).toEqual([
      ['f1', 'thumbs_up', undefined],
      ['f1:details', 'rating', 8],
      ['owui:chat-haiku:a1:regenerate', 'regenerate', undefined],
      ['owui:chat-haiku:a2:follow_up', 'follow_up', undefined],
      ['f2', 'thumbs_down', undefined],
      ['f2:details', 'rating', 3],
      // f2's siblings (a2 kept, a1 left) were read with f1: not counted twice
      ['f3', 'thumbs_up', undefined],
      // the answers under one user message, in the tree's order
      ['owui:chat-arena:b1:follow_up', 'follow_up', undefined],
      ['owui:chat-arena:b2:regenerate', 'regenerate', undefined],
      ['f4', 'thumbs_down', undefined],
    ]);
    const f4 = log.events.find((e) => e.id === 'f4')!;
    expect(f4.prompt).toEqual([
      { role: 'user', content: 'I have a table of orders' },
      { role: 'assistant', content: 'Sure, what would you like to know?' },
      { role: 'user', content: 'Total per customer?' },
    ]);
    expect(f4).toMatchObject({ modelVersion: 'llama3:8b', userId: 'user-7f3a', conversationId: 'chat-multi' });
    expect(f4.extra).toMatchObject({ source: 'open-webui', comment: 'wrong' });
  });

  it('makes the regeneration, arena and rating pairs, and says why the rest made none', async () => {
    const log = await readExport(EXPORT);
    const { pairs, report, summary } = feedbackPairs(log);
    const shown = pairs.map((p) => [
      p.responseA,
      p.responseB,
      p.modelA,
      p.modelB,
      p.weight,
      p.provenance!.map((x) => x.rule),
    ]);
    expect(shown).toEqual([
      [
        haiku.chat.history.messages.a2!.content,
        haiku.chat.history.messages.a1!.content,
        'llama3:8b',
        'llama3:8b',
        1,
        ['siblings', 'ratings', 'thumbs'],
      ],
      [
        arena.chat.history.messages.b1!.content,
        arena.chat.history.messages.b2!.content,
        'gpt-4o',
        'mistral:7b',
        1,
        ['siblings'],
      ],
    ]);
    expect(pairs[0]!.prompt).toBe('Write a haiku about autumn');
    expect(report.events).toBe(10);
    expect(report.eventsPaired + report.unpaired.length).toBe(report.events);
    expect(report.unpaired).toEqual([
      {
        line: expect.any(Number),
        eventId: 'f4',
        action: 'thumbs_down',
        reason:
          'siblings: no other answer to this prompt in the conversation; thumbs: no response to this prompt was rated up',
      },
    ]);
    expect(summary.analysis.byModelVersion.map((r) => [r.key, r.ups, r.downs])).toEqual([
      ['llama3:8b', 1, 2],
      ['gpt-4o', 1, 0],
    ]);
    expect(summary.analysis.winRates).toMatchObject([{ x: 'gpt-4o', y: 'mistral:7b', n: 1, wins: 1, rate: 1 }]);
  });

  it('names the first record that does not fit in a malformed file', async () => {
    const bad = structuredClone(EXPORT.slice(0, 2)) as ReturnType<typeof feedback>[];
    (bad[1]!.data as { rating: unknown }).rating = 5;
    const log = await readExport(bad);
    expect(log.rejected.map((r) => r.reason)).toEqual(['record [1] (id "f2"): "data.rating" must be 1 or -1 (got 5)']);
    const cycle = structuredClone(EXPORT.slice(0, 1)) as ReturnType<typeof feedback>[];
    cycle[0]!.snapshot.chat.chat.history.messages.u1!.parentId = 'a2';
    expect((await readExport(cycle)).rejected[0]!.reason).toBe(
      'record [0] (id "f1"): the message history has a cycle at message "u1"',
    );
  });

  it('hashes or drops user ids before anything else sees them', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(EXPORT.slice(0, 4)));
    const hashed = await readFeedbackLog(readRecords(streamOfBytes(bytes)), { userIds: 'hash' });
    const ids = new Set(hashed.events.map((e) => e.userId));
    expect(ids.size).toBe(1);
    const [pseudonym] = ids;
    expect(pseudonym).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(hashed.events)).not.toContain('user-7f3a');
    const dropped = await readFeedbackLog(readRecords(streamOfBytes(bytes)), { userIds: 'drop' });
    expect(dropped.events.every((e) => e.userId === undefined)).toBe(true);
    const pairs = feedbackPairs(dropped).pairs;
    expect(pairs.every((p) => p.annotatorId === undefined)).toBe(true);
  });
});
