// A WebGPU device lost mid-run (driver reset, GPU unplugged, the browser reclaiming it): the run
// stops at its last checkpoint, says so in plain words, and goes on on another backend.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/worker/wasm-setup.ts';
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { parseTrainConfig } from '../../src/core/train/config.ts';
import { openLabDB } from '../../src/store/db.ts';
import { getCheckpoint, isResumable } from '../../src/store/runs.ts';
import { importPairs } from '../../src/worker/import.ts';
import { resumeRun, runTraining } from '../../src/worker/train-run.ts';

describe('a lost WebGPU device', () => {
  it('pauses the run at its checkpoint and lets it resume on WebAssembly', async () => {
    const db = await openLabDB(`rm-lab-test-gpu-lost-${Date.now()}`);
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ prompt: `question ${i}`, chosen: `a kind answer ${i}`, rejected: `no ${i}` }),
    );
    const { dataset } = await importPairs(
      db,
      streamOfBytes(new TextEncoder().encode(lines.join('\n'))),
      { name: 'lost', source: { kind: 'file', name: 'lost.jsonl' } },
      () => {},
    );
    const config = parseTrainConfig({
      dModel: 16,
      nLayers: 1,
      nHeads: 2,
      maxLength: 16,
      batchSize: 4,
      maxSteps: 30,
      // Enough epochs that maxSteps ends the run (the default is 1 epoch).
      epochs: 10,
      evalEvery: 1000,
      checkpointEvery: 2,
      maxHeldOutPairs: 4,
      backend: 'webgpu',
    });
    let destroyed = false;
    const run = await runTraining(
      db,
      dataset,
      config,
      (u) => {
        // After the checkpoint of step 4 is written and step 5 reported, the GPU goes away.
        if (!destroyed && u.type === 'train' && u.event.type === 'steps' && u.event.step >= 5) {
          destroyed = true;
          (tf.backend() as unknown as { device: GPUDevice }).device.destroy();
        }
      },
      () => false,
    );
    expect(destroyed).toBe(true);
    expect(run.status).toBe('interrupted');
    expect(run.error).toMatch(
      /^The GPU stopped working during training \(.+\)\. It is paused at its last checkpoint \(step \d+\)/,
    );
    const checkpoint = await getCheckpoint(db, run.id);
    expect(checkpoint?.step).toBeGreaterThanOrEqual(4);
    expect(isResumable(run)).toBe(true);

    const resumed = await resumeRun(
      db,
      run.id,
      () => {},
      () => false,
      undefined,
      'wasm',
    );
    expect(resumed.backend?.name).toBe('wasm');
    expect(resumed.status).toBe('done');
    expect(resumed.steps.at(-1)?.step).toBe(30);
    expect(resumed.steps.every((p) => Number.isFinite(p.loss))).toBe(true);
    db.close();
  });
});
