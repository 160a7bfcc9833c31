// The store on the browser's real IndexedDB: imports are complete or invisible, never half.
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import {
  getPairs,
  getRejectedLines,
  listDatasets,
  removeUnfinishedImports,
  beginDataset,
  addPairs,
} from '../../src/store/datasets.ts';
import { freshDatabases } from '../fresh-db.ts';
import { appendRunPoints, getRun, listRuns, markInterruptedRuns, putRun } from '../../src/store/runs.ts';
import { DEFAULT_TRAIN_CONFIG } from '../../src/core/train/config.ts';
import { importPairs, ImportCancelled, NoPairsFound } from '../../src/worker/import.ts';
import { holding, isHeld } from '../../src/store/liveness.ts';

const openTestDB = freshDatabases('rm-lab-test');

const encoder = new TextEncoder();
const record = (i: number, winner = 'response_a') =>
  JSON.stringify({
    prompt: `prompt ${i}`,
    response_a: `a${i}`,
    response_b: `b${i}`,
    winner,
    task_type: 'qa',
    source: 'kept',
  });
const jsonl = (lines: string[]) => streamOfBytes(encoder.encode(lines.join('\n')), 256);

describe('import into IndexedDB', () => {
  it('stores every good line as a pair and every bad line as a numbered reject, and keeps them across a reopen', async () => {
    const { db, name } = await openTestDB();
    const lines = [
      record(0),
      '{"prompt": "broken',
      record(1, 'tie'),
      '',
      record(2, 'response_b'),
      '[1,2]',
      record(3, 'A'),
    ];
    const progress: number[] = [];
    const result = await importPairs(
      db,
      jsonl(lines),
      { name: 'mixed', source: { kind: 'file', name: 'mixed.jsonl' } },
      (p) => progress.push(p.pairs),
    );
    expect(result.dataset).toMatchObject({
      status: 'ready',
      pairCount: 3,
      rejectedCount: 3,
      lineCount: 6,
      winners: { a: 1, b: 1, tie: 1, both_bad: 0 },
    });
    expect(result.rejected.map((r) => r.line)).toEqual([2, 6, 7]);
    expect(result.rejected[0]!.reason).toMatch(/^not valid JSON/);
    expect(result.rejected[2]!.reason).toContain('"winner" must be one of');
    expect(progress.at(-1)).toBe(3);

    db.close();
    const { db: again } = await openTestDB(name);
    const [dataset] = await listDatasets(again);
    expect(dataset!.name).toBe('mixed');
    const pairs = await getPairs(again, dataset!.id);
    expect(pairs.map((p) => p.prompt)).toEqual(['prompt 0', 'prompt 1', 'prompt 2']);
    expect(pairs[0]!.extra).toEqual({ source: 'kept' });
    expect(pairs[1]!.winner).toBe('tie');
    expect((await getRejectedLines(again, dataset!.id)).map((r) => r.line)).toEqual([2, 6, 7]);
  });

  it('leaves no trace of a cancelled import, and what was stored before is untouched', async () => {
    const { db } = await openTestDB();
    const first = await importPairs(
      db,
      jsonl([record(0), record(1)]),
      { name: 'first', source: { kind: 'file', name: 'f' } },
      () => {},
    );
    const big = Array.from({ length: 1200 }, (_, i) => record(i));
    // Cancelled once the first batch of 500 is stored.
    const cancel = new AbortController();
    await expect(
      importPairs(
        db,
        jsonl(big),
        { name: 'second', source: { kind: 'file', name: 's' } },
        (p) => p.pairs >= 500 && cancel.abort(),
        cancel.signal,
      ),
    ).rejects.toBeInstanceOf(ImportCancelled);
    expect((await listDatasets(db)).map((d) => d.name)).toEqual(['first']);
    expect(await db.count('pairs')).toBe(2);
    expect(await db.count('datasets')).toBe(1);
    expect((await getPairs(db, first.dataset.id)).length).toBe(2);
  });

  it('leaves no trace when the file fails mid-way', async () => {
    const { db } = await openTestDB();
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 3)
          controller.enqueue(encoder.encode(Array.from({ length: 300 }, (_, i) => record(i)).join('\n') + '\n'));
        else controller.error(new Error('disk went away'));
      },
    });
    await expect(
      importPairs(db, failing, { name: 'broken', source: { kind: 'file', name: 'b' } }, () => {}),
    ).rejects.toThrow('disk went away');
    expect(await db.count('pairs')).toBe(0);
    expect(await db.count('datasets')).toBe(0);
  });

  it('stores nothing for a file with no pair, and says which lines failed', async () => {
    const { db } = await openTestDB();
    const error = await importPairs(
      db,
      jsonl(['nope', '{"x": 1}']),
      // As the preview passes it for a .jsonl file (by content alone, 'nope' would read as a CSV header).
      { name: 'junk', source: { kind: 'file', name: 'junk.jsonl' }, choices: { container: 'jsonl' } },
      () => {},
    ).catch((e) => e);
    expect(error).toBeInstanceOf(NoPairsFound);
    expect((error as NoPairsFound).rejected.map((r) => r.line)).toEqual([1, 2]);
    expect(await db.count('datasets')).toBe(0);
  });

  it('stops with a plain message when storage is full, and keeps what was stored before', async () => {
    const { db } = await openTestDB();
    await importPairs(db, jsonl([record(0)]), { name: 'kept', source: { kind: 'file', name: 'k' } }, () => {});
    // The browser's quota cannot be filled in a test; a database whose pair writes fail as a
    // full quota makes them fail does the same to the importer.
    let writes = 0;
    const full = new Proxy(db, {
      get(target, key, receiver) {
        if (key !== 'transaction') return Reflect.get(target, key, receiver);
        return (stores: string | string[], mode?: IDBTransactionMode) => {
          if (stores === 'pairs' && mode === 'readwrite' && ++writes > 1) {
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          }
          return target.transaction(stores as 'pairs', mode);
        };
      },
    });
    const big = Array.from({ length: 1500 }, (_, i) => record(i));
    await expect(
      importPairs(full, jsonl(big), { name: 'too big', source: { kind: 'file', name: 'b' } }, () => {}),
    ).rejects.toThrow(
      "The browser's storage for this site is full, so this file was not stored (nothing already stored was changed).",
    );
    expect((await listDatasets(db)).map((d) => d.name)).toEqual(['kept']);
    expect(await db.count('pairs')).toBe(1);
  });

  it('removes an import a closed tab left unfinished', async () => {
    const { db } = await openTestDB();
    const stale = await beginDataset(db, 'half', { kind: 'file', name: 'h' });
    await addPairs(db, [
      { id: `${stale.id}:0`, datasetId: stale.id, prompt: 'p', responseA: 'a', responseB: 'b', winner: 'a' },
    ]);
    expect(await listDatasets(db)).toEqual([]); // never visible while importing
    expect(await removeUnfinishedImports(db)).toBe(1);
    expect(await db.count('pairs')).toBe(0);
  });
});

describe('runs in IndexedDB', () => {
  it('marks a run left running by a closed page as interrupted, keeping its curves', async () => {
    const { db } = await openTestDB();
    await putRun(db, {
      id: 'r1',
      datasetId: 'd',
      datasetName: 'd',
      config: DEFAULT_TRAIN_CONFIG,
      createdAt: 1,
      status: 'running',
      steps: [],
      evals: [],
    });
    await appendRunPoints(db, 'r1', { steps: [{ step: 1, epoch: 0.1, loss: 0.69, accuracy: 0.5 }] }); // as training reports it
    await putRun(db, {
      id: 'r2',
      datasetId: 'd',
      datasetName: 'd',
      config: DEFAULT_TRAIN_CONFIG,
      createdAt: 2,
      status: 'done',
      steps: [],
      evals: [],
    });
    expect(await markInterruptedRuns(db)).toBe(1);
    expect((await getRun(db, 'r1'))!).toMatchObject({ status: 'interrupted', steps: [{ step: 1 }] });
    expect((await listRuns(db)).map((r) => r.id)).toEqual(['r2', 'r1']);
  });
});

describe('liveness locks', () => {
  it('say a writer is alive exactly while it works', async () => {
    const name = `rm-lab-test-lock-${Date.now()}`;
    expect(await isHeld(name)).toBe(false);
    let inside = false;
    await holding(name, async () => {
      inside = await isHeld(name);
    });
    expect(inside).toBe(true);
    expect(await isHeld(name)).toBe(false);
  });
});
