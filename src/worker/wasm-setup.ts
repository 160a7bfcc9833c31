// Registers tfjs's WebAssembly backend and tells it where Vite put its .wasm binaries. Imported
// for its side effects, once, by the entry point that trains (the lab worker, the benchmark page).
//
// Which binary runs is the backend's choice: in a cross-origin isolated page (COOP/COEP headers,
// see vite.config.ts) the threaded SIMD build, whose XNNPACK thread pool uses every logical core;
// otherwise the single-threaded SIMD build. The threaded build starts its pthreads from a copy of
// its own JavaScript, which the `tfjsWasmThreads` plugin in vite.config.ts keeps out of the
// minifier (a minified copy throws "ReferenceError: e is not defined" in every pthread).
//
// It also starts putting RM Lab's WebAssembly kernels in place of tfjs's (see
// src/core/model/ops/wasm/kernels.ts); selectBackend awaits it before it picks a backend (or,
// if they failed to load, tfjs's kernels run, after one warning). Not awaited here: a module worker
// whose imports await at the top level misses the messages the page sends it meanwhile.
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url';
import { installWasmSimdKernels, type WasmKernelFile } from '../core/model/ops/wasm/kernels.ts';
import kernelsUrl from '../core/model/ops/wasm/kernels.wasm?url';
import kernelsSharedUrl from '../core/model/ops/wasm/kernels-shared.wasm?url';
import { installWasmIdentity } from '../core/model/ops/wasm/identity.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
});

const KERNEL_URLS: Record<WasmKernelFile, string> = {
  'kernels.wasm': kernelsUrl,
  'kernels-shared.wasm': kernelsSharedUrl,
};

installWasmIdentity(); // shares saved tensors' memory instead of copying it (see identity.ts)
void installWasmSimdKernels(async (file) => {
  const response = await fetch(KERNEL_URLS[file]);
  if (!response.ok) throw new Error(`${KERNEL_URLS[file]}: HTTP ${response.status}`);
  return response.arrayBuffer();
});

/** Threads the WASM backend's kernels run on, once it has started; undefined before. */
export function wasmThreads(): number | undefined {
  try {
    return getThreadsCount();
  } catch {
    return undefined; // "WASM backend not initialized"
  }
}
