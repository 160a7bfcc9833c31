// The worker half of backend-threads.test.ts: starts the WASM backend the way the lab worker does
// (src/worker/wasm-setup.ts) and reports how it runs. `cores` stands in for navigator.hardwareConcurrency
// before the backend starts: tfjs sizes its thread pool at half the logical cores, 1 on a 2-core machine.
import * as tf from '@tensorflow/tfjs';
import { wasmThreads } from '../../src/worker/wasm-setup.ts';
import { timeTrainingSteps, type ProbeModel } from '../../src/core/train/backend-probe.ts';
import { wasmBatchMatMulMode } from '../../src/core/model/ops/wasm/batch-matmul.ts';
import { wasmSimdKernelsReady } from '../../src/core/model/ops/wasm/kernels.ts';

export interface ThreadsRequest {
  cores?: number;
  model: ProbeModel;
}

export interface ThreadsReport {
  isolated: boolean;
  backend: string;
  multithreadSupport: boolean;
  simdSupport: boolean;
  threads?: number;
  /** max |wasm - float64 reference| of a 96 x 80 x 72 matmul (XNNPACK's, over its threads, where it has some). */
  matmulError: number;
  /** Which products RM Lab's wasm kernel runs (src/core/model/ops/wasm/), in the threaded build's shared memory. */
  rmlabMatMul: ReturnType<typeof wasmBatchMatMulMode>;
  /** The same for a batched product with both operands transposed (attention's kind), RM Lab's kernel. */
  batchedError: number;
  trainingMsPerStep: number;
  numTensors: number;
  error?: string;
}

self.onmessage = async ({ data }: MessageEvent<ThreadsRequest>) => {
  try {
    if (data.cores) Object.defineProperty(self.navigator, 'hardwareConcurrency', { value: data.cores });
    await wasmSimdKernelsReady(); // wasm-setup.ts started installing RM Lab's kernel; the lab worker awaits it in selectBackend
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not start');
    const [M, K, N] = [96, 80, 72];
    const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [M, K]), tf.tensor2d(b, [K, N])));
    const got = await product.data();
    product.dispose();
    let matmulError = 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += a[i * K + k]! * b[k * N + j]!;
        matmulError = Math.max(matmulError, Math.abs(sum - got[i * N + j]!));
      }
    }
    const [n, m, k, p] = [3, 17, 33, 9]; // a [n, k, m] read transposed, b [n, p, k] read transposed
    const x = Float32Array.from({ length: n * k * m }, (_, i) => Math.sin(0.3 * i));
    const y = Float32Array.from({ length: n * p * k }, (_, i) => Math.cos(0.7 * i));
    const batched = tf.tidy(() => tf.matMul(tf.tensor3d(x, [n, k, m]), tf.tensor3d(y, [n, p, k]), true, true));
    const gotBatched = await batched.data();
    batched.dispose();
    let batchedError = 0;
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < p; j++) {
          let sum = 0;
          for (let t = 0; t < k; t++) sum += x[s * k * m + t * m + i]! * y[s * p * k + j * k + t]!;
          batchedError = Math.max(batchedError, Math.abs(sum - gotBatched[(s * m + i) * p + j]!));
        }
      }
    }
    const before = tf.memory().numTensors;
    const timing = await timeTrainingSteps(data.model, { steps: 2 });
    const report: ThreadsReport = {
      isolated: self.crossOriginIsolated,
      backend: tf.getBackend(),
      multithreadSupport: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      simdSupport: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads: wasmThreads(),
      matmulError,
      rmlabMatMul: wasmBatchMatMulMode(),
      batchedError,
      trainingMsPerStep: timing.msPerStep,
      numTensors: tf.memory().numTensors - before,
    };
    self.postMessage(report);
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
