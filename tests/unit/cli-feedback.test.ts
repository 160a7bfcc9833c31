// `rmlab feedback` and `rmlab train --data <feedback log>` as a user runs them (a child process
// through the bin launcher): a small event log in, weighted pairs with provenance out, every line and
// event accounted for, user ids hashed; a log in another layout through --log-map; mistakes named.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/rmlab.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rmlab-feedback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rmlab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Ten conversations where the kept answer is polite; one edit; one bad line (line 32). */
function eventLog(): string {
  const rows: unknown[] = [];
  for (let c = 0; c < 10; c++) {
    const base = { conversation_id: `c${c}`, user_id: `alice${c % 3}`, prompt: `question ${c} about the weather` };
    rows.push({
      ...base,
      event_id: `r${c}`,
      response: 'no. look outside yourself',
      model_version: 'v1',
      action: 'regenerate',
    });
    rows.push({
      ...base,
      event_id: `f${c}`,
      response: 'thank you for asking, here is a careful answer',
      model_version: 'v2',
      action: 'follow_up',
    });
    rows.push({
      ...base,
      event_id: `d${c}`,
      response: 'no. look outside yourself',
      model_version: 'v1',
      action: 'thumbs_down',
    });
  }
  rows.push({
    event_id: 'e1',
    prompt: 'question 0 about the weather',
    response: 'sunny',
    action: 'edit',
    edited_text: 'sunny, 21 °C',
  });
  rows.push({ event_id: 'bad', prompt: 'q', response: 'r', action: 'thumbs_sideways' });
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

describe('rmlab feedback', () => {
  it('writes weighted pairs with provenance and reports every rule, event and rejected line', async () => {
    writeFileSync(join(dir, 'log.jsonl'), eventLog());
    const run = await rmlab([
      'feedback',
      '--data',
      'log.jsonl',
      '--out',
      'pairs.jsonl',
      '--report',
      'report.json',
      '--user-ids',
      'hash',
    ]);
    expect(run.stderr).toContain('line 32: unknown action "thumbs_sideways"');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      type: 'feedback',
      records: 32,
      rejected: 1,
      events: 31,
      pairs: 11,
      eventsPaired: 31,
    });
    const pairs = readFileSync(join(dir, 'pairs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(pairs).toHaveLength(11);
    expect(pairs[0]).toMatchObject({
      response_a: 'sunny, 21 °C',
      response_b: 'sunny',
      winner: 'response_a',
      weight: 1,
      provenance: [{ rule: 'edit', events: ['e1'] }],
    });
    expect(pairs[1]).toMatchObject({ model_a_version: 'v2', model_b_version: 'v1', weight: 1 });
    expect(pairs[1].provenance.map((p: { rule: string }) => p.rule)).toEqual(['siblings']);
    expect(pairs[1].annotator_id).toMatch(/^[0-9a-f]{16}$/);
    expect(readFileSync(join(dir, 'pairs.jsonl'), 'utf8')).not.toContain('alice');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.report.unpaired).toEqual([]);
    expect(report.analysis.winRates[0]).toMatchObject({ x: 'v2', y: 'v1', n: 10, wins: 10 });
  });

  it('reads another layout through --log-map and names a wrong option', async () => {
    const csv = ['question,answer,event,model', 'q1,good,like,v2', 'q1,bad,dislike,v1', 'q2,meh,shrug,v1'].join('\n');
    writeFileSync(join(dir, 'log.csv'), csv);
    const run = await rmlab([
      'feedback',
      '--data',
      'log.csv',
      '--out',
      'mapped.jsonl',
      '--rules',
      'thumbs',
      '--log-map',
      'prompt=question,response=answer,action=event,model_version=model',
      '--log-actions',
      'like=thumbs_up,dislike=thumbs_down',
    ]);
    expect(run.stderr).toContain('line 4: unknown action "shrug"');
    expect(JSON.parse(run.stdout)).toMatchObject({ pairs: 1, rejected: 1 });
    const bad = await rmlab(['feedback', '--data', 'log.csv', '--out', 'x.jsonl', '--rules', 'thumbs,vibes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rules: unknown rule "vibes"');
  });

  it('rmlab train takes a feedback log as --data and trains on its weighted pairs', async () => {
    const run = await rmlab([
      'train',
      '--data',
      'log.jsonl',
      '--out',
      'run',
      '--d-model',
      '16',
      '--n-layers',
      '1',
      '--n-heads',
      '2',
      '--max-length',
      '32',
      '--batch-size',
      '4',
      '--max-steps',
      '2',
      '--held-out-fraction',
      '0.2',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/feedback: 31 events -> 11 weighted pairs \(edit 1 x 1, siblings 10 x 1/);
    const data = JSON.parse(run.stdout.split('\n')[0]!);
    expect(data).toMatchObject({ type: 'data', pairs: 11, feedback: { events: 31, pairs: 11 } });
  });
});
