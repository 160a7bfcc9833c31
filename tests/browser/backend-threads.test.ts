// The WASM backend's threaded build, in a module Web Worker as the app runs it, in a cross-origin
// isolated page (vite.config.ts sends COOP/COEP to the test page too). Bundled naively its pthreads
// threw "ReferenceError: e is not defined" and the backend never started; see tfjsWasmThreads in
// vite.config.ts. A correctness test: threads start and compute right; it times nothing against a limit.
import { describe, expect, it } from 'vitest';
import type { ThreadsReport, ThreadsRequest } from './backend-threads.worker.ts';

const TINY: ThreadsRequest['model'] = {
  transformer: { vocabSize: 500, maxLength: 16, dModel: 16, nLayers: 1, nHeads: 2, dFF: 64, pooling: 'cls' },
  batchSize: 4,
};

function inWorker(request: ThreadsRequest): Promise<ThreadsReport> {
  const worker = new Worker(new URL('./backend-threads.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<ThreadsReport>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<ThreadsReport>) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

describe('WASM threads in a module worker', () => {
  it('the test page is cross-origin isolated', () => {
    expect(self.crossOriginIsolated).toBe(true);
  });

  it("runs the threaded SIMD build with tfjs's own thread count (half the logical cores)", async () => {
    const report = await inWorker({ model: TINY });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ isolated: true, backend: 'wasm', multithreadSupport: true, simdSupport: true });
    const threads = Math.min(8, Math.max(1, Math.floor(navigator.hardwareConcurrency / 2)));
    expect(report.threads).toBe(threads);
    expect(report.matmulError).toBeLessThan(1e-3);
    // RM Lab's kernel, built for a shared memory, bound to the threaded build's
    expect(report.rmlabMatMul).toBe(threads > 1 ? 'batched-or-transposed' : 'all');
    expect(report.batchedError).toBeLessThan(1e-4);
    expect(Number.isFinite(report.trainingMsPerStep)).toBe(true);
    expect(report.numTensors).toBe(0);
  });

  it('spreads work over more than one thread where the pool has them, and computes the same', async () => {
    // Reported as 4 logical cores, tfjs sizes its pool at 2 threads: pthreads must start and run kernels.
    const report = await inWorker({ cores: 4, model: TINY });
    expect(report.error).toBeUndefined();
    expect(report.threads).toBe(2);
    expect(report.matmulError).toBeLessThan(1e-3);
    // 2-D products stay with XNNPACK's threads; RM Lab's kernel takes the batched and transposed ones
    expect(report.rmlabMatMul).toBe('batched-or-transposed');
    expect(report.batchedError).toBeLessThan(1e-4);
    expect(Number.isFinite(report.trainingMsPerStep)).toBe(true);
    expect(report.numTensors).toBe(0);
  });
});
