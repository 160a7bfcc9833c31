// A month of chat logs through the feedback path, in Node: how long reading the events and making
// the pairs take next to only reading the file's records (the floor every import pays).
//   nice -n 10 npx tsx bench/feedback-log.ts
// The log is synthetic and seeded: 20,000 conversations over 30 days, 300 distinct prompts shared
// across users, 1-3 answers each from three model versions, 1-3 events per answer of every action.
// Timed, best of REPEATS: (a) readRecords alone; (b) readFeedbackLog (records -> events, user ids
// hashed); (c) feedbackPairs (the five rules, merging, the report and the analysis) on the events.
// Results go to bench/results/feedback-log.json with the machine's load. It asserts nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { feedbackPairs, readFeedbackLog } from '../src/core/data/implicit/feedback.ts';
import { streamOfBytes } from '../src/core/data/jsonl.ts';
import { readRecords } from '../src/core/data/records.ts';
import { mulberry32 } from '../src/core/train/shuffle.ts';

const REPEATS = 3;
const CONVERSATIONS = 20_000;
const ACTIONS = ['thumbs_up', 'thumbs_down', 'rating', 'copy', 'edit', 'regenerate', 'follow_up'];

function chatLog(): Uint8Array {
  const r = mulberry32(7);
  const int = (n: number) => Math.floor(r() * n);
  const lines: string[] = [];
  let id = 0;
  for (let c = 0; c < CONVERSATIONS; c++) {
    const prompt = `Question ${int(300)}: how do I do the thing in the tool, step by step?`;
    for (let k = 1 + int(3); k > 0; k--) {
      const version = `v${1 + int(3)}`;
      const response = `Answer ${int(50)} from ${version}: ${'some words of a reasonable answer '.repeat(8)}`;
      for (let e = 1 + int(3); e > 0; e--) {
        const action = ACTIONS[int(ACTIONS.length)]!;
        const row: Record<string, unknown> = {
          event_id: `e${id++}`,
          conversation_id: `c${c}`,
          user_id: `user-${int(2000)}`,
          timestamp: new Date(Date.UTC(2026, 10, 1) + int(30 * 86_400_000)).toISOString(),
          prompt,
          response,
          model_version: version,
          task_type: ['code', 'chat', 'writing'][int(3)],
          action,
        };
        if (action === 'rating') row.value = 1 + int(5);
        if (action === 'edit') row.edited_text = `${response} (edited)`;
        lines.push(JSON.stringify(row));
      }
    }
  }
  return new TextEncoder().encode(lines.join('\n'));
}

async function best<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let out: { ms: number; value: T } | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const value = await f();
    const ms = performance.now() - t0;
    if (out === undefined || ms < out.ms) out = { ms, value };
  }
  return out!;
}

const bytes = chatLog();
const records = await best(async () => {
  let n = 0;
  for await (const _ of readRecords(streamOfBytes(bytes, 1 << 16))) n++;
  return n;
});
const read = await best(() => readFeedbackLog(readRecords(streamOfBytes(bytes, 1 << 16)), { userIds: 'hash' }));
const derive = await best(async () => feedbackPairs(read.value));
const { report } = derive.value;
const result = {
  machine: { loadavg: loadavg().map((x) => Number(x.toFixed(2))), cpus: 'shared 2-core machine' },
  log: { bytes: bytes.length, records: records.value, events: report.events, conversations: CONVERSATIONS },
  pairs: report.pairs,
  eventsPaired: report.eventsPaired,
  rules: report.rules.map(({ rule, pairs, shared, conflicting }) => ({ rule, pairs, shared, conflicting })),
  ms: { readRecords: Math.round(records.ms), readEvents: Math.round(read.ms), derivePairs: Math.round(derive.ms) },
  eventsPerSecond: Math.round(report.events / ((read.ms + derive.ms) / 1000)),
  ratioToReadingRecords: Number(((read.ms + derive.ms) / records.ms).toFixed(2)),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/feedback-log.json', JSON.stringify(result, null, 2) + '\n');
