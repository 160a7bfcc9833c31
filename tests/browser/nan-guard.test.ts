// The NaN guard in Chromium, through the worker's run driver and the real IndexedDB: a loss that
// overflows stops the run in plain words, marks it failed, and never checkpoints the bad state.
import '../../src/worker/wasm-setup.ts';
import { expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { parseTrainConfig } from '../../src/core/train/config.ts';
import { openLabDB } from '../../src/store/db.ts';
import { getCheckpoint, isResumable } from '../../src/store/runs.ts';
import { importPairs } from '../../src/worker/import.ts';
import { runTraining } from '../../src/worker/train-run.ts';

it('stops a run whose loss becomes infinite, and keeps only good checkpoints', async () => {
  const db = await openLabDB(`rm-lab-test-nan-${Date.now()}`);
  // A margin of 1e39 is a finite number in the file but overflows float32: from the pair whose
  // batch holds it on, the loss is Infinity.
  const lines = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ prompt: `q${i}`, chosen: `good ${i}`, rejected: `bad ${i}`, margin: i === 39 ? 1e39 : 0 }),
  );
  const { dataset } = await importPairs(
    db,
    streamOfBytes(new TextEncoder().encode(lines.join('\n'))),
    { name: 'overflow', source: { kind: 'file', name: 'overflow.jsonl' } },
    () => {},
  );
  const config = parseTrainConfig({
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    maxLength: 16,
    batchSize: 2,
    epochs: 3,
    evalEvery: 1000,
    checkpointEvery: 1,
    backend: 'wasm',
    heldOutFraction: 0.01,
  });
  const run = await runTraining(
    db,
    dataset,
    config,
    () => {},
    () => false,
  );
  expect(run.status).toBe('failed');
  expect(run.error).toMatch(/^the loss became (Infinity|NaN) at step (\d+): lower the learning rate/);
  const badStep = Number(/at step (\d+)/.exec(run.error!)![1]);
  expect(run.divergedAt).toBe(badStep);
  const checkpoint = await getCheckpoint(db, run.id);
  if (checkpoint) expect(checkpoint.step).toBeLessThan(badStep);
  expect(isResumable(run)).toBe(false); // resumed, it would diverge again
  db.close();
});
