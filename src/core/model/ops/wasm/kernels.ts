// Puts RM Lab's WebAssembly kernels (module.ts) in place on tfjs's 'wasm' backend: its own
// BatchMatMul, Sum and GatherV2 replaced where RM Lab's are faster (each falls back to tfjs's for
// the cases it does not take), and the GELU and AdamW kernels ../gelu.ts and ../adamw.ts call. The Identity override
// (identity.ts) needs no module and is installed on its own.
import * as tf from '@tensorflow/tfjs';
import { adamwKernel } from './adamw.ts';
import { batchMatMul, batchMatMulSelfCheck } from './batch-matmul.ts';
import { columnSum, columnSumSelfCheck } from './column-sum.ts';
import { gatherRows, gatherRowsSelfCheck } from './gather-rows.ts';
import { geluKernels, geluSelfCheck } from './gelu.ts';
import {
  bind,
  compileModule,
  forgetModule,
  keepPlainKernel,
  warnOnce,
  type WasmBackend,
  type WasmKernelFile,
} from './module.ts';

export { WASM_KERNEL_FILES, type WasmKernelFile } from './module.ts';

/** tfjs's kernels that RM Lab's replace, by name. */
const REPLACING: Record<string, (args: never) => tf.TensorInfo> = {
  [tf.BatchMatMul]: batchMatMul,
  [tf.Sum]: columnSum,
  [tf.GatherV2]: gatherRows,
};
/** RM Lab's own kernels (no tfjs kernel of the name). */
const ADDED = [...geluKernels, adamwKernel];
const SELF_CHECKS = [batchMatMulSelfCheck, columnSumSelfCheck, gatherRowsSelfCheck, geluSelfCheck];

let installed: tf.KernelConfig[] | undefined;
/** The install under way or done (the worker starts it at load and awaits it when it picks a backend). */
let installing: Promise<boolean> | undefined;

/**
 * Compiles the module's two builds and puts its kernels in place for the 'wasm' backend
 * (tfjs-backend-wasm must be imported first). Resolves to whether it did; on any failure tfjs's
 * kernels stay, with one console warning. Calling it again does nothing.
 */
export function installWasmSimdKernels(load: (file: WasmKernelFile) => Promise<BufferSource>): Promise<boolean> {
  if (installed) return Promise.resolve(true);
  installing = install(load);
  return installing;
}

/**
 * Resolves once an install started by installWasmSimdKernels has finished (to whether it succeeded;
 * false if none was started). Whoever picks the wasm backend awaits it, so that the first step, and
 * the backend probe's timing, already run on the kernels that training will use.
 */
export function wasmSimdKernelsReady(): Promise<boolean> {
  return installing ?? Promise.resolve(false);
}

async function install(load: (file: WasmKernelFile) => Promise<BufferSource>): Promise<boolean> {
  const plain = Object.keys(REPLACING).map((name) => tf.getKernel(name, 'wasm'));
  try {
    if (plain.some((k) => !k)) {
      throw new Error("tfjs's wasm backend is not registered (import @tensorflow/tfjs-backend-wasm first)");
    }
    await compileModule(load, SELF_CHECKS);
  } catch (e) {
    warnOnce(e);
    return false;
  }
  installed = plain as tf.KernelConfig[];
  for (const config of installed) {
    keepPlainKernel(config);
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      kernelName: config.kernelName,
      backendName: 'wasm',
      // tfjs runs a kernel's setup when a backend starts, for the kernels registered then: tfjs's own
      // kernel needs its (it binds its C function), whether it runs first or as the fallback.
      setupFunc: config.setupFunc,
      kernelFunc: REPLACING[config.kernelName] as unknown as tf.KernelFunc,
    });
  }
  for (const config of ADDED) tf.registerKernel(config);
  return true;
}

/** Whether RM Lab's kernels run on this (wasm) backend: installed, bound to its memory, every self-check passed. */
export function wasmSimdKernelsActive(backend: tf.KernelBackend = tf.backend()): boolean {
  return installed !== undefined && bind(backend as unknown as WasmBackend) !== null;
}

/** Puts tfjs's own kernels back and removes RM Lab's (tests and benchmarks compare the two). */
export function uninstallWasmSimdKernels(): void {
  installing = undefined;
  if (!installed) return;
  for (const config of installed) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  for (const config of ADDED) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
  }
  forgetModule();
  installed = undefined;
}
