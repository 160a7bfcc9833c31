// The preview: the first bytes of a file -> container, format, candidates, fields and sample rows.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PREVIEW_BYTES, previewSource } from '../../src/core/data/preview.ts';
import { gzipBytes } from '../../src/core/data/source.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/formats/${name}`, import.meta.url)));
// PandaLM's raw file lives in the workspace's shared/ folder, beside the repository (CI has it);
// a clone on its own skips the tests that need it.
const PANDALM_PATH = new URL('../../../shared/data/pandalm-testset-v1.json', import.meta.url);
const HAVE_PANDALM = existsSync(PANDALM_PATH);
const PANDALM = HAVE_PANDALM ? new Uint8Array(readFileSync(PANDALM_PATH)) : new Uint8Array();

describe('previewSource', () => {
  it('shows an HH-RLHF file: its format, the override it allows, its fields and pairs', async () => {
    const preview = await previewSource(fixture('hh-rlhf.jsonl'));
    expect({ ...preview, sample: preview.sample.map((r) => [r.line, r.pair?.responseB, r.reason]) }).toEqual({
      container: 'jsonl',
      gzip: false,
      format: 'hh-rlhf',
      detected: 'hh-rlhf',
      candidates: ['hh-rlhf', 'trl'],
      fields: ['chosen', 'rejected'],
      sample: [
        [1, 'All plants need sun.', undefined],
        [2, 'Stay in bed.', undefined],
        [3, '', undefined],
      ],
    });
    // The override: read as TRL, the transcripts stay whole.
    const asTrl = await previewSource(fixture('hh-rlhf.jsonl'), { format: 'trl' });
    expect([asTrl.format, asTrl.detected]).toEqual(['trl', 'hh-rlhf']);
    expect(asTrl.sample[2]?.pair).toStrictEqual({
      prompt: '',
      responseA:
        '\n\nHuman: How long should I boil an egg?\n\nAssistant: About nine minutes for a firm yolk, then cool it in cold water.',
      responseB: '\n\nHuman: How long should I boil an egg?\n\nAssistant:',
      winner: 'a',
    });
  });

  it('shows a CSV file with its text cells as records', async () => {
    const preview = await previewSource(fixture('arena-55k.csv'), { rows: 2 });
    expect([preview.container, preview.format, preview.candidates, preview.fields]).toEqual([
      'csv',
      'arena-55k',
      ['arena-55k', 'rmlab'],
      [
        'id',
        'model_a',
        'model_b',
        'prompt',
        'response_a',
        'response_b',
        'winner_model_a',
        'winner_model_b',
        'winner_tie',
      ],
    ]);
    expect(preview.sample.map((r) => [r.line, r.pair?.winner])).toEqual([
      [2, 'a'],
      [3, 'b'],
    ]);
    expect((preview.sample[0]?.record as Record<string, unknown>).winner_model_a).toBe('1');
  });

  it('leaves out the line that the end of the sample cuts, when the sample is not the whole file', async () => {
    const line = (i: number) => JSON.stringify({ prompt: `p${i}`, response_a: 'x', response_b: 'y', winner: 'a' });
    const text = `${[1, 2, 3].map(line).join('\n')}\n`;
    const cut = encode(text).slice(0, text.indexOf(line(3)) + 10);
    expect((await previewSource(cut, { complete: false })).sample.map((r) => r.line)).toEqual([1, 2]);
    // The whole file: its last line counts even without a final line break.
    expect((await previewSource(encode(text.trimEnd()))).sample.map((r) => r.line)).toEqual([1, 2, 3]);
    // Cut right after a line break: every line is whole.
    const atBreak = encode(text).slice(0, text.indexOf(line(3)));
    expect((await previewSource(atBreak, { complete: false })).sample.map((r) => r.line)).toEqual([1, 2]);
  });

  it.skipIf(!HAVE_PANDALM)('previews the first bytes of the gzipped PandaLM file', async () => {
    const gz = await gzipBytes(PANDALM);
    const head = gz.slice(0, 20_000);
    const preview = await previewSource(head, { complete: false, rows: 5 });
    expect([preview.container, preview.gzip, preview.format, preview.candidates]).toEqual([
      'json',
      true,
      'pandalm',
      ['pandalm'],
    ]);
    expect(preview.sample.map((r) => [r.line, r.index, r.pair?.winner, r.duplicateOf])).toEqual([
      [2, 0, 'b', undefined],
      [14, 1, 'a', undefined],
      [26, 2, 'b', 2],
      [38, 3, 'a', 14],
      [50, 4, 'b', undefined],
    ]);
    expect(preview.fields).toEqual([
      'idx',
      'motivation_app',
      'cmp_key',
      'instruction',
      'input',
      'response1',
      'response2',
      'annotator1',
      'annotator2',
      'annotator3',
    ]);
  });

  it.skipIf(!HAVE_PANDALM)('leaves out a JSON element cut by the end of the sample, and reports none', async () => {
    const cut = PANDALM.slice(0, 4000); // element [5] starts on line 62 and is cut on line 64
    const preview = await previewSource(cut);
    // Shorter than a preview's bytes, so taken for the whole file unless the caller says it is not.
    expect(cut.length).toBeLessThan(PREVIEW_BYTES);
    const sample = (await previewSource(cut, { complete: false })).sample;
    expect(sample.every((r) => r.pair !== undefined)).toBe(true);
    expect(sample.map((r) => r.line)).toEqual([2, 14, 26, 38, 50]);
    // Taken for the whole file, the cut element is reported as the file ending inside it.
    expect(preview.sample.map((r) => r.line)).toEqual([2, 14, 26, 38, 50, 62]);
    expect(preview.sample.at(-1)?.reason).toBe('element [5]: not valid JSON: the file ends before this element does');
  });

  it('shows what a field mapping makes of an unknown schema, and why rows would be rejected', async () => {
    const csv = encode('q,r1,r2,pref\nWhy?,Because.,No.,1\nHow?,Like so.,Somehow.,9\n');
    const unknown = await previewSource(csv);
    expect([unknown.format, unknown.detected, unknown.candidates, unknown.fields]).toEqual([
      undefined,
      undefined,
      [],
      ['q', 'r1', 'r2', 'pref'],
    ]);
    expect(unknown.sample[0]?.reason).toMatch(/^unknown record: /);
    const mapped = await previewSource(csv, {
      mapping: { prompt: 'q', responseA: 'r1', responseB: 'r2', label: { field: 'pref', a: ['1'], b: ['2'] } },
    });
    expect(mapped.format).toBe('custom');
    expect(mapped.sample).toEqual([
      {
        line: 2,
        record: { q: 'Why?', r1: 'Because.', r2: 'No.', pref: '1' },
        pair: { prompt: 'Why?', responseA: 'Because.', responseB: 'No.', winner: 'a' },
      },
      {
        line: 3,
        record: { q: 'How?', r1: 'Like so.', r2: 'Somehow.', pref: '9' },
        reason: '"pref" must be one of "1", "2" (got "9")',
      },
    ]);
  });

  it('previews an empty file as an empty JSONL file', async () => {
    expect(await previewSource(new Uint8Array(0))).toEqual({
      container: 'jsonl',
      gzip: false,
      candidates: [],
      fields: [],
      sample: [],
    });
  });

  it("reads a log in another layout as feedback events through the user's event mapping, bad rows with their reason", async () => {
    const csv = [
      'chat,question,answer,engine,signal',
      'c1,How do I sort?,Use sorted().,v2,like',
      'c1,How do I sort?,Not sure.,v1,regen',
      'c2,Hi,Hello,v1,shrug',
      'c3,,Hello,v1,like',
    ].join('\n');
    const mapping = {
      fields: {
        conversation_id: 'chat',
        prompt: 'question',
        response: 'answer',
        model_version: 'engine',
        action: 'signal',
      },
      actions: { like: 'thumbs_up' as const, regen: 'regenerate' as const },
    };
    // Without the mapping nothing says it is a feedback log; with it, the sample is read as events.
    expect((await previewSource(encode(csv))).feedback).toBeUndefined();
    const preview = await previewSource(encode(csv), { eventMapping: mapping });
    expect(preview.fields).toEqual(['chat', 'question', 'answer', 'engine', 'signal']);
    expect(preview.feedback?.format).toBe('custom');
    const rows = preview.feedback!.sample;
    expect(rows.map((r) => [r.line, r.events.map((e) => `${e.action} ${e.modelVersion}`)])).toEqual([
      [2, ['thumbs_up v2']],
      [3, ['regenerate v1']],
      [4, []],
      [5, []],
    ]);
    expect(rows[2]!.reason).toMatch(/unknown action "shrug"/);
    expect(rows[3]!.reason).toMatch(/prompt/);
  });
});
