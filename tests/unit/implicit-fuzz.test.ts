// Seeded fuzz of event logs: random conversations with every action, regenerations, shared prompts
// across users, and broken lines of known kinds mixed in, through the real import path. The counts
// must reconcile: every line is events or a rejected line (exactly the broken ones), every event is in
// a kept pair's provenance or listed as unpaired with a reason, and the pairs, weights and rule
// counts agree with each other.
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { readRecords } from '../../src/core/data/records.ts';
import { PAIR_RULES, defaultRuleSettings } from '../../src/core/data/implicit/derive.ts';
import { feedbackPairs, readFeedbackLog } from '../../src/core/data/implicit/feedback.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const int = (r: Random, n: number) => Math.floor(r() * n);

const PROMPTS = [
  'Sort a list in Python',
  'sort a list in python!',
  'What is a monad?',
  'Write a limerick',
  '<b>hi</b>',
];
const VERSIONS = ['v1', 'v2', 'v3'];
const ACTIONS = ['thumbs_up', 'thumbs_down', 'rating', 'copy', 'edit', 'regenerate', 'follow_up'];
const BROKEN: [string, (r: Random) => string][] = [
  ['no prompt', () => JSON.stringify({ response: 'x', action: 'copy' })],
  ['unknown action', () => JSON.stringify({ prompt: 'p', response: 'x', action: 'love' })],
  ['bad timestamp', () => JSON.stringify({ prompt: 'p', response: 'x', action: 'copy', timestamp: '31/31/2026' })],
  ['identical edit', () => JSON.stringify({ prompt: 'p', response: 'same', action: 'edit', edited_text: 'same' })],
  ['not JSON', () => '{"prompt": "p", "response": '],
  ['not an object', (r) => JSON.stringify([int(r, 9)])],
];

function randomLog(seed: number) {
  const r = mulberry32(seed);
  const lines: string[] = [];
  let broken = 0;
  let id = 0;
  for (let c = 0; c < 40; c++) {
    const conversation = `conv-${c}`;
    const prompt = pick(r, PROMPTS);
    const answers = 1 + int(r, 3);
    for (let k = 0; k < answers; k++) {
      const response = `answer ${int(r, 6)} to ${prompt}`;
      const events = 1 + int(r, 3);
      for (let e = 0; e < events; e++) {
        const action = pick(r, ACTIONS);
        const row: Record<string, unknown> = {
          event_id: `e${id++}`,
          conversation_id: conversation,
          user_id: `user-${int(r, 5)}`,
          timestamp: new Date(Date.UTC(2026, 10, 1 + int(r, 30), int(r, 24))).toISOString(),
          prompt,
          response,
          model_version: pick(r, VERSIONS),
          task_type: pick(r, ['code', 'chat']),
          action,
        };
        if (action === 'rating') row.value = 1 + int(r, 5);
        if (action === 'edit') row.edited_text = `${response} (fixed ${int(r, 3)})`;
        lines.push(JSON.stringify(row));
      }
    }
    if (r() < 0.3) {
      lines.push(pick(r, BROKEN)[1](r));
      broken++;
    }
  }
  return { text: lines.join(r() < 0.5 ? '\n' : '\r\n'), lines: lines.length, broken };
}

describe('seeded fuzz of event logs', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: every line, event and pair is accounted for', async (seed) => {
    const { text, lines, broken } = randomLog(seed);
    const settings = defaultRuleSettings();
    if (seed % 2 === 0) settings.promptMatch = 'normalized';
    if (seed % 3 === 0) settings.rules.copy.on = false;
    const log = await readFeedbackLog(readRecords(streamOfBytes(new TextEncoder().encode(text))));
    expect(log.records).toBe(lines);
    expect(log.rejected).toHaveLength(broken);
    expect(log.events).toHaveLength(lines - broken);
    expect(log.rejected.every((x) => x.reason !== '' && x.line >= 1)).toBe(true);

    const { pairs, report, summary } = feedbackPairs(log, settings);
    expect(report.events).toBe(log.events.length);
    expect(report.eventsPaired + report.unpaired.length).toBe(report.events);
    expect(report.reasons.reduce((n, x) => n + x.count, 0)).toBe(report.unpaired.length);
    expect(report.pairs).toBe(pairs.length);

    const ids = new Set(log.events.map((e) => e.id));
    const inPairs = new Set(pairs.flatMap((p) => p.provenance!.flatMap((x) => x.events)));
    const unpaired = new Set(report.unpaired.map((u) => u.eventId));
    for (const id of inPairs) expect(ids.has(id)).toBe(true);
    for (const id of unpaired) expect(inPairs.has(id)).toBe(false);
    expect(inPairs.size + unpaired.size).toBe(ids.size);
    expect(report.unpaired.every((u) => u.reason.length > 0)).toBe(true);

    const weightOf = new Map(Object.entries(settings.rules).map(([k, v]) => [k, v.weight]));
    const seen = new Set<string>();
    for (const p of pairs) {
      expect(p.responseA).not.toEqual(p.responseB);
      expect(p.provenance!.every((x) => settings.rules[x.rule as keyof typeof settings.rules].on)).toBe(true);
      expect(p.weight).toBe(Math.max(...p.provenance!.map((x) => weightOf.get(x.rule)!)));
      const key = JSON.stringify([p.prompt, p.responseA, p.responseB]);
      const reverse = JSON.stringify([p.prompt, p.responseB, p.responseA]);
      expect(seen.has(key)).toBe(false);
      expect(seen.has(reverse)).toBe(false);
      seen.add(key);
    }
    // Each kept pair is counted once by the first rule that made it; later ones count it as shared.
    expect(report.rules.reduce((n, x) => n + x.pairs - x.shared, 0)).toBe(pairs.length);
    for (const rule of PAIR_RULES) {
      const made = pairs.filter((p) => p.provenance!.some((x) => x.rule === rule.id)).length;
      expect(report.rules.find((x) => x.rule === rule.id)!.pairs).toBe(made);
      expect(report.rules.find((x) => x.rule === rule.id)!.events).toBe(
        log.events.filter((e) => rule.actions.includes(e.action)).length,
      );
    }
    const thumbs = log.events.filter((e) => e.action === 'thumbs_up' || e.action === 'thumbs_down').length;
    expect(summary.analysis.thumbs).toBe(thumbs);
    expect(summary.analysis.byModelVersion.reduce((n, x) => n + x.ups + x.downs, 0)).toBe(thumbs);
    expect(summary.analysis.overTime.reduce((n, x) => n + x.ups + x.downs, 0)).toBe(thumbs);
    expect(pairs.length).toBeGreaterThan(0);
  });
});
