// RM Lab's WebAssembly kernels in Node: their .wasm files are read from beside their source (the
// browser's worker fetches the same files, src/worker/wasm-setup.ts). Call after importing
// @tensorflow/tfjs-backend-wasm and before training; see src/core/model/ops/wasm/batch-matmul.ts.
import { readFile } from 'node:fs/promises';
import { installWasmBatchMatMul } from '../core/model/ops/wasm/batch-matmul.ts';

export function installWasmKernels(): Promise<boolean> {
  return installWasmBatchMatMul((file) => readFile(new URL(`../core/model/ops/wasm/${file}`, import.meta.url)));
}
