// RM Lab's WebAssembly kernels' module (built from this folder's C sources by scripts/build-kernels.ts),
// bound to tfjs-backend-wasm's own memory.
//
// The module imports the backend's WebAssembly.Memory and works on tensors where tfjs keeps them
// (their byte offsets), so nothing is copied in or out: outputs are allocated by tfjs (makeOutput)
// and written in place. tfjs's single-threaded builds export a plain memory; its threaded build (a
// cross-origin isolated page) creates a shared one, which a module can only import if it declares
// it shared: hence two builds of the same sources.
//
// Failure: if the module cannot be loaded or compiled, or (per backend) cannot be instantiated or
// one of its kernels disagrees with tfjs's on a small input (the self-checks), tfjs's own kernels
// run, with one console warning. kernels.ts installs the kernels; the entry point loads the bytes
// (src/worker/wasm-setup.ts fetches them; src/cli/wasm-kernels.ts reads them from disk).
import type * as tf from '@tensorflow/tfjs';

export const WASM_KERNEL_FILES = ['kernels.wasm', 'kernels-shared.wasm'] as const;
export type WasmKernelFile = (typeof WASM_KERNEL_FILES)[number];

/** tfjs-backend-wasm's BackendWasm and its Emscripten module: the members used here. */
export interface WasmBackend {
  wasm: {
    _malloc(bytes: number): number;
    tfjs: { getThreadsCount(): number };
    /** The threaded build's memory (shared). */
    wasmMemory?: WebAssembly.Memory;
    /** The single-threaded builds' exports, their memory among them. */
    asm?: { memory?: WebAssembly.Memory };
  };
  getMemoryOffset(dataId: object): number;
  makeOutput(
    shape: number[],
    dtype: 'float32' | 'int32',
    memoryOffset?: number,
    values?: Float32Array | Int32Array,
  ): tf.TensorInfo;
  readSync(dataId: object): Float32Array | Int32Array;
  disposeData(dataId: object): void;
}

/** The module's exports (each documented in its C source). Pointers are byte offsets in tfjs's memory. */
export interface KernelExports {
  batch_matmul(
    a: number,
    b: number,
    c: number,
    scratch: number,
    batch: number,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
  ): void;
  scratch_floats(): number;
  column_sum(x: number, out: number, rows: number, cols: number): void;
  gather_rows(table: number, indices: number, out: number, n: number, rowLength: number, tableRows: number): number;
  gelu(x: number, out: number, n: number, form: number): void;
  adamw(
    w: number,
    g: number,
    m: number,
    v: number,
    coefficient: number,
    wOut: number,
    mOut: number,
    vOut: number,
    n: number,
    keep: number,
    negLr: number,
    oneMinusAcc1: number,
    oneMinusAcc2: number,
  ): void;
  gelu_grad(dy: number, x: number, out: number, n: number, form: number): void;
}

/** The module instantiated on one backend's memory. */
export interface Bound {
  exports: KernelExports;
  /** batch_matmul's scratch memory (scratch_floats() floats), allocated once per backend. */
  scratch: number;
  /** tfjs's thread pool has more than one thread: XNNPACK keeps the 2-D untransposed products. */
  threaded: boolean;
}

/** A kernel's check on a freshly bound module: throws if it computes wrong numbers there. */
export type SelfCheck = (kernel: Bound, backend: WasmBackend) => void;

interface Compiled {
  modules: Record<WasmKernelFile, WebAssembly.Module>;
  checks: SelfCheck[];
  /** Per Emscripten module (one per backend instance): the bound module, or null if it failed there. */
  bound: WeakMap<object, Bound | null>;
}

let compiled: Compiled | undefined;
/** tfjs's own kernels that RM Lab's replace: the fallbacks. */
const plainKernels = new Map<string, tf.KernelConfig>();
let warned = false;

export function warnOnce(why: unknown): void {
  if (warned) return;
  warned = true;
  console.warn(`RM Lab's WebAssembly kernels are off, tfjs's own run instead: ${String(why)}`);
}

/** Compiles both builds (throws on failure); `checks` run on each backend the module binds to. */
export async function compileModule(
  load: (file: WasmKernelFile) => Promise<BufferSource>,
  checks: SelfCheck[],
): Promise<void> {
  const [single, shared] = await Promise.all(WASM_KERNEL_FILES.map(async (f) => WebAssembly.compile(await load(f))));
  compiled = {
    modules: { 'kernels.wasm': single!, 'kernels-shared.wasm': shared! },
    checks,
    bound: new WeakMap(),
  };
}

export function forgetModule(): void {
  compiled = undefined;
}

/** Remembers tfjs's kernel `config` replaces (the fallback); plainKernel(name) runs it. */
export function keepPlainKernel(config: tf.KernelConfig): void {
  plainKernels.set(config.kernelName, config);
}

/** tfjs's own kernel for `name` on 'wasm', as saved at install. */
export function plainKernel<A>(name: string): (args: A) => tf.TensorInfo {
  const config = plainKernels.get(name);
  if (!config) throw new Error(`no tfjs kernel ${name} kept for the wasm backend`);
  return config.kernelFunc as unknown as (args: A) => tf.TensorInfo;
}

/** The module bound to this backend's memory, made on first use; null where it is not installed or failed (and warned). */
export function bind(backend: WasmBackend): Bound | null {
  if (!compiled || !backend.wasm) return null; // not installed, or not a wasm backend
  const key = backend.wasm;
  if (compiled.bound.has(key)) return compiled.bound.get(key)!;
  let bound: Bound | null;
  try {
    bound = instantiate(compiled, backend);
  } catch (e) {
    warnOnce(e);
    bound = null;
  }
  compiled.bound.set(key, bound);
  return bound;
}

function instantiate(kernel: Compiled, backend: WasmBackend): Bound {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("tfjs's wasm backend does not expose its memory");
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = kernel.modules[shared ? 'kernels-shared.wasm' : 'kernels.wasm'];
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const scratch = backend.wasm._malloc(exports.scratch_floats() * 4);
  const bound = { exports, scratch, threaded: backend.wasm.tfjs.getThreadsCount() > 1 };
  for (const check of kernel.checks) check(bound, backend);
  return bound;
}
