// RM Lab's WebAssembly kernels in Node (the SIMD module's: matrix product, column sums, row gather,
// GELU; and the sharing Identity): the .wasm files are read from beside their source (the browser's
// worker fetches the same files, src/worker/wasm-setup.ts). Call after importing
// @tensorflow/tfjs-backend-wasm and before training; see src/core/model/ops/wasm/kernels.ts.
import { readFile } from 'node:fs/promises';
import { installWasmSimdKernels } from '../core/model/ops/wasm/kernels.ts';
import { installWasmIdentity } from '../core/model/ops/wasm/identity.ts';

/** Resolves to whether the SIMD module's kernels installed (the Identity override always does). */
export function installWasmKernels(): Promise<boolean> {
  installWasmIdentity();
  return installWasmSimdKernels((file) => readFile(new URL(`../core/model/ops/wasm/${file}`, import.meta.url)));
}
