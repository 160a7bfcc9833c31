// Each pair rule on hand-made event logs: which pairs it makes, their weight and provenance, and the
// reason given for every event that makes none; then the rules meeting (agreement merged,
// contradiction dropped), and the reading of RM Lab's event record with its rejections.
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { readRecords } from '../../src/core/data/records.ts';
import { defaultRuleSettings, derivePairs, type RuleSettings } from '../../src/core/data/implicit/derive.ts';
import type { FeedbackEvent } from '../../src/core/data/implicit/events.ts';
import { readFeedbackLog } from '../../src/core/data/implicit/feedback.ts';

/** RM Lab event records, one a line, read through the real import path. */
async function eventsOf(rows: Record<string, unknown>[]) {
  const text = rows.map((r) => JSON.stringify(r)).join('\n');
  return readFeedbackLog(readRecords(streamOfBytes(new TextEncoder().encode(text))));
}

function only(rule: keyof RuleSettings['rules']): RuleSettings {
  const s = defaultRuleSettings();
  for (const r of Object.keys(s.rules) as (keyof RuleSettings['rules'])[]) s.rules[r].on = r === rule;
  return s;
}

const ev = (id: string, action: string, response: string, more: Record<string, unknown> = {}) => ({
  event_id: id,
  conversation_id: 'c1',
  prompt: 'How do I reverse a list in Python?',
  response,
  action,
  model_version: 'v1',
  ...more,
});

const reasonOf = (report: { unpaired: { eventId: string; reason: string }[] }, id: string) =>
  report.unpaired.find((u) => u.eventId === id)?.reason;

describe('edit: edited > original', () => {
  it('makes one pair per edit, the edit chosen, weight 1, provenance the edit event', async () => {
    const log = await eventsOf([
      ev('e1', 'edit', 'Use list.reverse()', { edited_text: 'Use lst[::-1] or lst.reverse()' }),
    ]);
    expect(log.rejected).toEqual([]);
    const { pairs, report } = derivePairs(log.events, only('edit'));
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({
      responseA: 'Use lst[::-1] or lst.reverse()',
      responseB: 'Use list.reverse()',
      winner: 'a',
      weight: 1,
      provenance: [{ rule: 'edit', events: ['e1'] }],
      modelB: 'v1',
    });
    expect(pairs[0]!.modelA).toBeUndefined();
    expect(report.rules.find((r) => r.rule === 'edit')).toMatchObject({ events: 1, pairs: 1 });
  });

  it('rejects an edit identical to the original, or without text, with the line and reason', async () => {
    const log = await eventsOf([
      ev('e1', 'edit', 'Same text', { edited_text: '  Same text ' }),
      ev('e2', 'edit', 'Some text'),
    ]);
    expect(log.events).toEqual([]);
    expect(log.rejected.map((r) => [r.line, r.reason])).toEqual([
      [1, '"edited_text" is identical to the response: the edit changed nothing'],
      [2, 'an "edit" event needs "edited_text"'],
    ]);
  });
});

describe('siblings: rated-up or kept > the other answers to the prompt in the conversation', () => {
  it('a regenerated answer loses to the one kept', async () => {
    const log = await eventsOf([
      ev('r1', 'regenerate', 'first answer', { model_version: 'v1' }),
      ev('f1', 'follow_up', 'second answer', { model_version: 'v2' }),
    ]);
    const { pairs, report } = derivePairs(log.events, only('siblings'));
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({
      responseA: 'second answer',
      responseB: 'first answer',
      modelA: 'v2',
      modelB: 'v1',
      weight: 1,
      provenance: [{ rule: 'siblings', events: ['r1', 'f1'] }],
    });
    expect(report.unpaired).toEqual([]);
  });

  it('without a follow-up, the answer not regenerated is the kept one', async () => {
    const log = await eventsOf([
      ev('r1', 'regenerate', 'A'),
      ev('r2', 'regenerate', 'B'),
      ev('u1', 'copy', 'C'), // C exists, was never regenerated
    ]);
    const { pairs } = derivePairs(log.events, only('siblings'));
    expect(pairs.map((p) => [p.responseA, p.responseB])).toEqual([
      ['C', 'A'],
      ['C', 'B'],
    ]);
  });

  it('a thumbs-up beats keeping; two thumbs-ups conflict; a lone answer has no sibling', async () => {
    const rated = await eventsOf([ev('r1', 'follow_up', 'A'), ev('t1', 'thumbs_up', 'B')]);
    expect(derivePairs(rated.events, only('siblings')).pairs.map((p) => p.responseA)).toEqual(['B']);

    const two = await eventsOf([ev('t1', 'thumbs_up', 'A'), ev('t2', 'thumbs_up', 'B')]);
    const conflict = derivePairs(two.events, only('siblings'));
    expect(conflict.pairs).toEqual([]);
    expect(reasonOf(conflict.report, 't1')).toBe(
      'siblings: conflicting signals (several answers rated up); thumbs: the rule is off',
    );

    const alone = await eventsOf([ev('f1', 'follow_up', 'A')]);
    expect(reasonOf(derivePairs(alone.events, only('siblings')).report, 'f1')).toBe(
      'siblings: no other answer to this prompt in the conversation',
    );
  });

  it('answers in different conversations are not siblings', async () => {
    const log = await eventsOf([ev('r1', 'regenerate', 'A'), ev('f1', 'follow_up', 'B', { conversation_id: 'c2' })]);
    expect(derivePairs(log.events, only('siblings')).pairs).toEqual([]);
  });
});

describe('thumbs: up > down for the same prompt', () => {
  it('pairs every liked with every disliked response across conversations, weight 0.5', async () => {
    const log = await eventsOf([
      ev('u1', 'thumbs_up', 'good', { conversation_id: 'a', user_id: 'alice' }),
      ev('d1', 'thumbs_down', 'bad', { conversation_id: 'b', model_version: 'v2' }),
      ev('d2', 'thumbs_down', 'worse', { conversation_id: 'c' }),
    ]);
    const { pairs, report } = derivePairs(log.events, only('thumbs'));
    expect(pairs.map((p) => [p.responseA, p.responseB, p.weight])).toEqual([
      ['good', 'bad', 0.5],
      ['good', 'worse', 0.5],
    ]);
    expect(pairs[0]!.provenance).toEqual([{ rule: 'thumbs', events: ['u1', 'd1'] }]);
    expect(pairs[0]!.annotatorId).toBe('alice');
    expect(report.unpaired).toEqual([]);
  });

  it('matches prompts exactly by default, normalised on request', async () => {
    const log = await eventsOf([
      ev('u1', 'thumbs_up', 'good', { prompt: 'How do I sort a list?' }),
      ev('d1', 'thumbs_down', 'bad', { prompt: '  how do i SORT a list ' }),
    ]);
    const exact = derivePairs(log.events, only('thumbs'));
    expect(exact.pairs).toEqual([]);
    expect(reasonOf(exact.report, 'u1')).toContain('thumbs: no response to this prompt was rated down');
    expect(reasonOf(exact.report, 'd1')).toContain('thumbs: no response to this prompt was rated up');
    const settings = only('thumbs');
    settings.promptMatch = 'normalized';
    expect(derivePairs(log.events, settings).pairs).toHaveLength(1);
  });

  it('pairs each disliked response with at most three liked ones, taken in turn, and says so for the rest', async () => {
    const rows = [
      ...['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((r, i) => ev(`u${i}`, 'thumbs_up', r, { conversation_id: `a${i}` })),
      ev('d0', 'thumbs_down', 'X', { conversation_id: 'x0' }),
      ev('d1', 'thumbs_down', 'Y', { conversation_id: 'x1' }),
    ];
    const { pairs, report } = derivePairs((await eventsOf(rows)).events, only('thumbs'));
    expect(pairs.map((p) => `${p.responseA as string}>${p.responseB as string}`)).toEqual([
      'A>X',
      'B>X',
      'C>X',
      'D>Y',
      'E>Y',
      'F>Y',
    ]);
    expect(reasonOf(report, 'u6')).toBe(
      'siblings: the rule is off; thumbs: this prompt already has 3 pairs for each response rated down',
    );
  });

  it('a response with as many ups as downs is a conflict, not a pair', async () => {
    const log = await eventsOf([
      ev('u1', 'thumbs_up', 'meh', { conversation_id: 'a' }),
      ev('d1', 'thumbs_down', 'meh', { conversation_id: 'b' }),
    ]);
    const { pairs, report } = derivePairs(log.events, only('thumbs'));
    expect(pairs).toEqual([]);
    expect(reasonOf(report, 'u1')).toBe(
      'siblings: the rule is off; thumbs: conflicting signals (as many ups as downs on the same response)',
    );
  });
});

describe('ratings: higher > lower for the same prompt', () => {
  it('orders responses by their mean rating; equal means make no pair', async () => {
    const log = await eventsOf([
      ev('a1', 'rating', 'A', { value: 9, conversation_id: 'x' }),
      ev('a2', 'rating', 'A', { value: 7, conversation_id: 'y' }), // A's mean 8
      ev('b1', 'rating', 'B', { value: 3, conversation_id: 'z' }),
      ev('c1', 'rating', 'C', { value: 8, conversation_id: 'w' }), // C ties A
    ]);
    const { pairs, report } = derivePairs(log.events, only('ratings'));
    expect(pairs.map((p) => [p.responseA, p.responseB, p.weight])).toEqual([
      ['A', 'B', 0.8],
      ['C', 'B', 0.8],
    ]);
    expect(report.unpaired).toEqual([]);
  });

  it('a rating needs a numeric value', async () => {
    const log = await eventsOf([ev('a1', 'rating', 'A'), ev('a2', 'rating', 'A', { value: 'five' })]);
    expect(log.rejected.map((r) => r.reason)).toEqual([
      'a "rating" event needs a numeric "value"',
      '"value" must be a finite number (got "five")',
    ]);
  });
});

describe('copy: copied > not copied among siblings', () => {
  it('pairs the copied answer over each sibling not copied, weight 0.3', async () => {
    const log = await eventsOf([ev('r1', 'regenerate', 'A'), ev('k1', 'copy', 'B'), ev('x', 'follow_up', 'C')]);
    const { pairs } = derivePairs(log.events, only('copy'));
    expect(pairs.map((p) => [p.responseA, p.responseB, p.weight])).toEqual([
      ['B', 'A', 0.3],
      ['B', 'C', 0.3],
    ]);
  });

  it('says why when every answer was copied', async () => {
    const log = await eventsOf([ev('k1', 'copy', 'A'), ev('k2', 'copy', 'B')]);
    const { pairs, report } = derivePairs(log.events, only('copy'));
    expect(pairs).toEqual([]);
    expect(reasonOf(report, 'k1')).toBe('copy: every answer was copied');
  });
});

describe('rules together', () => {
  it('the same pair from two rules is kept once, with the larger weight and both provenances', async () => {
    const log = await eventsOf([ev('d1', 'thumbs_down', 'A'), ev('u1', 'thumbs_up', 'B')]);
    const { pairs, report } = derivePairs(log.events);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.weight).toBe(1);
    expect(pairs[0]!.provenance).toEqual([
      { rule: 'siblings', events: ['d1', 'u1'] },
      { rule: 'thumbs', events: ['d1', 'u1'] },
    ]);
    expect(report.rules.find((r) => r.rule === 'thumbs')).toMatchObject({ pairs: 1, shared: 1 });
  });

  it('contradicting rules drop the pair and say so', async () => {
    // B is kept (a follow-up) but A was copied: siblings says B > A, copy says A > B.
    const log = await eventsOf([ev('r1', 'regenerate', 'A'), ev('k1', 'copy', 'A'), ev('f1', 'follow_up', 'B')]);
    const { pairs, report } = derivePairs(log.events);
    expect(pairs).toEqual([]);
    expect(reasonOf(report, 'k1')).toContain('conflicting signals');
    expect(report.rules.find((r) => r.rule === 'copy')).toMatchObject({ pairs: 0, conflicting: 1 });
  });

  it('a rule turned off says so for its events', async () => {
    const settings = defaultRuleSettings();
    settings.rules.edit.on = false;
    const log = await eventsOf([ev('e1', 'edit', 'A', { edited_text: 'B' })]);
    const { pairs, report } = derivePairs(log.events, settings);
    expect(pairs).toEqual([]);
    expect(report.unpaired).toEqual([{ line: 1, eventId: 'e1', action: 'edit', reason: 'edit: the rule is off' }]);
  });

  it('a user-set weight is the pairs weight', async () => {
    const settings = defaultRuleSettings();
    settings.rules.edit.weight = 2.5;
    const log = await eventsOf([ev('e1', 'edit', 'A', { edited_text: 'B' })]);
    expect(derivePairs(log.events, settings).pairs[0]!.weight).toBe(2.5);
  });
});

describe("reading RM Lab's event record", () => {
  it('rejects missing prompt or response, unknown actions, bad timestamps and repeated ids, with line and reason', async () => {
    const log = await eventsOf([
      { event_id: 'a', response: 'r', action: 'copy' },
      { event_id: 'b', prompt: 'p', response: '', action: 'copy' },
      { event_id: 'c', prompt: 'p', response: 'r', action: 'star' },
      { event_id: 'd', prompt: 'p', response: 'r', action: 'copy', timestamp: 'last tuesday' },
      { event_id: 'e', prompt: 'p', response: 'r', action: 'Thumbs-Up', timestamp: 1764000000 },
      { event_id: 'e', prompt: 'p', response: 'r', action: 'copy' },
    ]);
    expect(log.rejected.map((r) => [r.line, r.reason])).toEqual([
      [1, '"prompt" is missing'],
      [2, '"response" is empty'],
      [3, 'unknown action "star": expected one of thumbs_up, thumbs_down, rating, copy, edit, regenerate, follow_up'],
      [4, '"timestamp" does not parse as a date and time (got "last tuesday"): use ISO 8601 or epoch seconds'],
      [6, 'event id "e" repeats the event on line 5'],
    ]);
    expect(log.events).toHaveLength(1);
    expect(log.events[0]).toMatchObject({ action: 'thumbs_up', time: 1764000000 * 1000 });
    expect(log.records).toBe(6);
  });

  it('keeps unknown fields and reads a conversation as the prompt', async () => {
    const log = await eventsOf([
      {
        prompt: [{ role: 'user', content: 'hi' }],
        response: 'hello',
        action: 'copy',
        latency_ms: 420,
        timestamp: '2026-11-02T10:00:00Z',
      },
    ]);
    const e: FeedbackEvent = log.events[0]!;
    expect(e.id).toBe('line-1');
    expect(e.prompt).toEqual([{ role: 'user', content: 'hi' }]);
    expect(e.extra).toEqual({ latency_ms: 420 });
    expect(e.time).toBe(Date.parse('2026-11-02T10:00:00Z'));
  });
});
