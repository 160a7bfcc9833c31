// Where a step's dispatches and uploads go, on the counting WebGPU device (webgpu-counting-device.ts):
// each dispatch named by the tfjs kernel that ran it (forward or backward pass) and its WebGPU
// program, each upload by the tensor's dtype and shape and the RM Lab code that made it.
// For bench/webgpu-dispatches.ts --histogram: it wraps the backend's own methods, so it is a
// diagnostic, not something to leave on while timing.
import * as tf from '@tensorflow/tfjs';
import { counts, dispatchesByLabel } from './webgpu-counting-device.ts';

interface Backend {
  runWebGPUProgram(...args: unknown[]): unknown;
  uploadToGPU(dataId: object): void;
  tensorMap: { get(dataId: object): { resource: unknown; values: unknown; dtype: string; shape: number[] } };
}

interface Engine {
  runKernelFunc(params: { kernelName?: string }): unknown;
}

/** The first frames of the stack inside src/ (not this file or the kernel runners), shortened. */
function site(frames: number): string {
  const lines = (new Error().stack ?? '').split('\n');
  return lines
    .filter((l) => /\/src\/core\//.test(l) && !/webgpu\/(program|dispatch)\.ts/.test(l))
    .slice(0, frames)
    .map((l) =>
      l
        .trim()
        .replace(/^.*\/src\//, '')
        .replace(/\)$/, ''),
    )
    .join(' < ');
}

export interface KernelHistogram {
  /** "pass kernel program @ site" -> dispatches; "dtype[shape] @ site" -> uploads. */
  dispatches: Record<string, number>;
  uploads: Record<string, number>;
  stop(): void;
}

/** Starts recording on the current (counting WebGPU) backend until `stop()`. */
export function recordKernels(): KernelHistogram {
  const backend = tf.backend() as unknown as Backend;
  const engine = tf.engine() as unknown as Engine;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  const kernels: string[] = [];
  const h: KernelHistogram = { dispatches: {}, uploads: {}, stop: () => {} };
  const { runWebGPUProgram, uploadToGPU } = backend;
  const { runKernelFunc } = engine;
  // Dispatches RM Lab records itself (multi-output kernels, AdamW) by their pipelines' labels.
  const labelsBefore = { ...dispatchesByLabel };
  engine.runKernelFunc = function (params) {
    kernels.push(params.kernelName ?? 'custom');
    try {
      return runKernelFunc.call(this, params);
    } finally {
      kernels.pop();
    }
  };
  backend.runWebGPUProgram = function (...args) {
    const before = counts.dispatches;
    const program = args[0] as { constructor: { name: string }; shaderKey?: string };
    const stack = new Error().stack ?? '';
    const pass = stack.includes('backpropagateGradients') ? 'backward' : 'forward';
    const name = program.constructor.name === 'Object' ? (program.shaderKey ?? '') : program.constructor.name;
    const out = runWebGPUProgram.apply(this, args);
    const key = `${pass} ${kernels.join('/') || '-'} ${name} @ ${site(1)}`;
    h.dispatches[key] = (h.dispatches[key] ?? 0) + counts.dispatches - before;
    return out;
  };
  backend.uploadToGPU = function (dataId) {
    const data = this.tensorMap.get(dataId);
    if (data.resource == null && data.values != null) {
      const key = `${data.dtype}[${data.shape.join(',')}] @ ${site(2)}`;
      h.uploads[key] = (h.uploads[key] ?? 0) + 1;
    }
    return uploadToGPU.call(this, dataId);
  };
  h.stop = () => {
    for (const [label, n] of Object.entries(dispatchesByLabel)) {
      if (!label.startsWith('rmlab_')) continue;
      const key = `either ${label} (direct)`;
      h.dispatches[key] = n - (labelsBefore[label] ?? 0);
    }
    // The instance's own properties shadow the prototype's methods: removing them restores those.
    for (const k of ['runWebGPUProgram', 'uploadToGPU'] as const) delete (backend as Partial<Backend>)[k];
    delete (engine as Partial<Engine>).runKernelFunc;
    Error.stackTraceLimit = limit;
  };
  return h;
}
