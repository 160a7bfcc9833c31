// tfjs's BatchMatMul on the 'wasm' backend, replaced by RM Lab's SIMD kernel (batch-matmul.c).
//
// tfjs-backend-wasm 4.22 runs batched or transposed products in a scalar loop (~1.3 GFLOP/s): that is
// attention's q kᵀ and p v and every matrix product of a gradient (tfjs differentiates matMul with
// transposed products). It sends 2-D untransposed products to XNNPACK, but builds an XNNPACK operator
// (packing the right-hand matrix) per call and per new matrix, and training changes its weights every
// step: measured side by side on the linear layers' shapes on one thread, this kernel was faster there
// too (bench/wasm-matmul.ts). So it takes every float32 product whose batches are equal or 1, except
// where tfjs runs a thread pool (its threaded build, in a cross-origin isolated page on a machine
// with 4+ logical cores): there XNNPACK spreads 2-D products over the threads and keeps them, and this
// single-threaded kernel takes the batched and transposed ones.
//
// The module imports the backend's own WebAssembly.Memory and works on tensors where tfjs keeps
// them (their byte offsets), so nothing is copied in or out: the output is allocated by tfjs
// (makeOutput) and written in place. tfjs's single-threaded builds export a plain memory; its
// threaded build (a cross-origin isolated page) creates a shared one, which a module can only import
// if it declares it shared: hence two builds of the same source (scripts/build-kernels.ts).
//
// Failure: if the module cannot be loaded or compiled, or (per backend) cannot be instantiated or
// disagrees with tfjs's kernel on a small product, tfjs's own kernel runs, with one console warning.
// The entry point loads the bytes (src/worker/wasm-setup.ts fetches them; src/cli/wasm-kernels.ts
// reads them from disk) and calls installWasmBatchMatMul before training.
import * as tf from '@tensorflow/tfjs';

export const WASM_KERNEL_FILES = ['batch-matmul.wasm', 'batch-matmul-shared.wasm'] as const;
export type WasmKernelFile = (typeof WASM_KERNEL_FILES)[number];
export type WasmMatMulMode = 'all' | 'batched-or-transposed' | 'none';

/** tfjs-backend-wasm's BackendWasm and its Emscripten module: the members used here. */
interface WasmBackend {
  wasm: {
    _malloc(bytes: number): number;
    tfjs: { getThreadsCount(): number };
    /** The threaded build's memory (shared). */
    wasmMemory?: WebAssembly.Memory;
    /** The single-threaded builds' exports, their memory among them. */
    asm?: { memory?: WebAssembly.Memory };
  };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
  readSync(dataId: object): Float32Array;
  disposeData(dataId: object): void;
}

interface KernelExports {
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
}

interface Bound {
  exports: KernelExports;
  scratch: number;
  /** tfjs's thread pool has more than one thread: XNNPACK keeps the 2-D untransposed products. */
  threaded: boolean;
}

interface Installed {
  modules: Record<WasmKernelFile, WebAssembly.Module>;
  /** tfjs's own kernel: the fallback. */
  plain: tf.KernelConfig;
  /** Per Emscripten module (one per backend instance): the bound kernel, or null if it failed there. */
  bound: WeakMap<object, Bound | null>;
}

let installed: Installed | undefined;
/** The install under way or done (the worker starts it at load and awaits it when it picks a backend). */
let installing: Promise<boolean> | undefined;
let warned = false;

function warnOnce(why: unknown): void {
  if (warned) return;
  warned = true;
  console.warn(`RM Lab's WebAssembly matrix-product kernel is off, tfjs's own runs instead: ${String(why)}`);
}

/**
 * Compiles the kernel's two builds and puts it in place of tfjs's BatchMatMul for the 'wasm' backend
 * (tfjs-backend-wasm must be imported first). Resolves to whether it did; on any failure tfjs's
 * kernel stays, with one console warning. Calling it again does nothing.
 */
export function installWasmBatchMatMul(load: (file: WasmKernelFile) => Promise<BufferSource>): Promise<boolean> {
  if (installed) return Promise.resolve(true);
  installing = install(load);
  return installing;
}

/**
 * Resolves once an install started by installWasmBatchMatMul has finished (to whether it succeeded;
 * false if none was started). Whoever picks the wasm backend awaits it, so that the first step, and
 * the backend probe's timing, already run on the kernel that training will use.
 */
export function wasmBatchMatMulReady(): Promise<boolean> {
  return installing ?? Promise.resolve(false);
}

async function install(load: (file: WasmKernelFile) => Promise<BufferSource>): Promise<boolean> {
  try {
    const plain = tf.getKernel(tf.BatchMatMul, 'wasm');
    if (!plain) throw new Error("tfjs's wasm backend is not registered (import @tensorflow/tfjs-backend-wasm first)");
    const [single, shared] = await Promise.all(WASM_KERNEL_FILES.map(async (f) => WebAssembly.compile(await load(f))));
    installed = {
      modules: { 'batch-matmul.wasm': single!, 'batch-matmul-shared.wasm': shared! },
      plain,
      bound: new WeakMap(),
    };
  } catch (e) {
    warnOnce(e);
    return false;
  }
  const plain = installed.plain;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    // tfjs runs a kernel's setup when a backend starts, for the kernels registered then: tfjs's own
    // kernel needs its (it binds its C function), whether it runs first or as the fallback.
    setupFunc: plain.setupFunc,
    kernelFunc: batchMatMul as unknown as tf.KernelFunc,
  });
  return true;
}

/** Puts tfjs's own kernel back (tests compare the two). */
export function uninstallWasmBatchMatMul(): void {
  installing = undefined;
  if (!installed) return;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(installed.plain);
  installed = undefined;
}

/**
 * Which of this (wasm) backend's matrix products RM Lab's kernel runs: 'all', 'batched-or-transposed'
 * (tfjs runs threads, which XNNPACK uses for 2-D products), or 'none' (not installed, or it failed).
 */
export function wasmBatchMatMulMode(backend: tf.KernelBackend = tf.backend()): WasmMatMulMode {
  const bound = bind(backend as unknown as WasmBackend);
  return !bound ? 'none' : bound.threaded ? 'batched-or-transposed' : 'all';
}

/** Whether RM Lab's kernel runs (some of) this backend's matrix products. */
export function wasmBatchMatMulActive(backend: tf.KernelBackend = tf.backend()): boolean {
  return wasmBatchMatMulMode(backend) !== 'none';
}

interface Args {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { transposeA: boolean; transposeB: boolean };
}

function batchMatMul(args: Args): tf.TensorInfo {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  const shape = productShape(a.shape, b.shape, transposeA, transposeB);
  const kernel = a.dtype === 'float32' && b.dtype === 'float32' && shape ? bind(args.backend) : null;
  const xnnpack = kernel?.threaded && shape!.batch === 1 && !transposeA && !transposeB;
  if (!kernel || !shape || xnnpack)
    return (installed!.plain.kernelFunc as unknown as (args: Args) => tf.TensorInfo)(args);
  return run(kernel, args.backend, a, b, shape, transposeA, transposeB);
}

interface ProductShape {
  /** Output shape: the broadcast batch dimensions, then [M, N]. */
  out: number[];
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
}

/** The product's dimensions, or null where this kernel does not apply (batches that are neither equal nor 1). */
function productShape(a: number[], b: number[], transA: boolean, transB: boolean): ProductShape | null {
  const [ra, rb] = [a.length, b.length];
  const m = transA ? a[ra - 1]! : a[ra - 2]!;
  const k = transA ? a[ra - 2]! : a[ra - 1]!;
  const kb = transB ? b[rb - 1]! : b[rb - 2]!;
  const n = transB ? b[rb - 2]! : b[rb - 1]!;
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a} and ${b} must match.`,
    );
  }
  const outerA = a.slice(0, -2);
  const outerB = b.slice(0, -2);
  const batchA = outerA.reduce((x, y) => x * y, 1);
  const batchB = outerB.reduce((x, y) => x * y, 1);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = outer.reduce((x, y) => x * y, 1);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  return { out: [...outer, m, n], batch, batchA, batchB, m, n, k };
}

function run(
  kernel: Bound,
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  s: ProductShape,
  transA: boolean,
  transB: boolean,
): tf.TensorInfo {
  const out = backend.makeOutput(s.out, 'float32');
  if (s.batch * s.m * s.n === 0) return out;
  kernel.exports.batch_matmul(
    backend.getMemoryOffset(a.dataId),
    backend.getMemoryOffset(b.dataId),
    backend.getMemoryOffset(out.dataId),
    kernel.scratch,
    s.batch,
    s.batchA,
    s.batchB,
    s.m,
    s.n,
    s.k,
    transA ? 1 : 0,
    transB ? 1 : 0,
  );
  return out;
}

/** The kernel bound to this backend's memory, made on first use; null where it failed (and warned). */
function bind(backend: WasmBackend): Bound | null {
  if (!installed || !backend.wasm) return null; // not installed, or not a wasm backend
  const key = backend.wasm;
  if (installed.bound.has(key)) return installed.bound.get(key)!;
  let bound: Bound | null;
  try {
    bound = instantiate(installed, backend);
  } catch (e) {
    warnOnce(e);
    bound = null;
  }
  installed.bound.set(key, bound);
  return bound;
}

function instantiate(kernel: Installed, backend: WasmBackend): Bound {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("tfjs's wasm backend does not expose its memory");
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = kernel.modules[shared ? 'batch-matmul-shared.wasm' : 'batch-matmul.wasm'];
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const scratch = backend.wasm._malloc(exports.scratch_floats() * 4);
  const bound = { exports, scratch, threaded: backend.wasm.tfjs.getThreadsCount() > 1 };
  selfCheck(bound, backend);
  return bound;
}

/**
 * One small product per transpose combination, against tfjs's kernel on the same backend: a kernel
 * that computes wrong numbers here (a changed tfjs memory layout, say) must not train a model.
 */
function selfCheck(kernel: Bound, backend: WasmBackend): void {
  const [batch, m, n, k] = [2, 5, 11, 7];
  const values = (size: number, seed: number) => Float32Array.from({ length: size }, (_, i) => Math.sin(seed + i));
  const a = backend.makeOutput([batch, m * k], 'float32', undefined, values(batch * m * k, 1));
  const b = backend.makeOutput([batch, k * n], 'float32', undefined, values(batch * k * n, 2));
  try {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const ai = { ...a, shape: transA ? [batch, k, m] : [batch, m, k] };
        const bi = { ...b, shape: transB ? [batch, n, k] : [batch, k, n] };
        const shape = productShape(ai.shape, bi.shape, transA, transB)!;
        const ours = run(kernel, backend, ai, bi, shape, transA, transB);
        const attrs = { transposeA: transA, transposeB: transB };
        const theirs = (installed!.plain.kernelFunc as unknown as (args: Args) => tf.TensorInfo)({
          inputs: { a: ai, b: bi },
          backend,
          attrs,
        });
        const [x, y] = [backend.readSync(ours.dataId), backend.readSync(theirs.dataId)];
        backend.disposeData(ours.dataId);
        backend.disposeData(theirs.dataId);
        const worst = x.reduce((w, v, i) => Math.max(w, Math.abs(v - y[i]!)), 0);
        if (!(worst < 1e-5)) throw new Error(`self-check (transposeA ${transA}, transposeB ${transB}) off by ${worst}`);
      }
    }
  } finally {
    backend.disposeData(a.dataId);
    backend.disposeData(b.dataId);
  }
}
