// GELU forward and backward as one kernel each on the 'wasm' backend (gelu.c), for ../gelu.ts: the
// plain composition runs op by op (tanh form: 9 ops forward, 14 backward), its Tanh, Erf and Exp
// through scalar libm calls (Tanh alone was 13-21% of a built-in transformer training step).
// Registered under RM Lab's own kernel names (tfjs has no GELU kernel), so they run through tfjs's
// engine like any op: tidy, memory accounting and the profiler see them.
import * as tf from '@tensorflow/tfjs';
import type { GeluForm } from '../gelu.ts';
import { bind, type Bound, type WasmBackend } from './module.ts';

export const GELU_KERNEL = 'RmLabGelu';
export const GELU_GRAD_KERNEL = 'RmLabGeluGrad';

const FORMS: Record<GeluForm, number> = { tanh: 0, erf: 1 };

interface Args {
  inputs: { x: tf.TensorInfo; dy?: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { form: GeluForm };
}

/** Whether GELU runs on this kernel now: the backend is wasm and RM Lab's kernels are bound to it. */
export function wasmGeluOn(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(GELU_KERNEL, 'wasm') !== undefined && bind(backend()) !== null;
}

function backend(): WasmBackend {
  return tf.backend() as unknown as WasmBackend;
}

/** GELU(x), x float32 (wasmGeluOn() must hold). */
export function geluOnWasm(x: tf.Tensor, form: GeluForm): tf.Tensor {
  return tf.engine().runKernel(GELU_KERNEL, { x }, { form }) as tf.Tensor;
}

/** dy * GELU'(x) (wasmGeluOn() must hold). */
export function geluGradOnWasm(dy: tf.Tensor, x: tf.Tensor, form: GeluForm): tf.Tensor {
  return tf.engine().runKernel(GELU_GRAD_KERNEL, { x, dy }, { form }) as tf.Tensor;
}

function run(kernel: Bound, b: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo | undefined, form: GeluForm) {
  if (x.dtype !== 'float32' || (dy && dy.dtype !== 'float32')) throw new Error('GELU: float32 tensors only');
  if (dy && dy.shape.join() !== x.shape.join()) throw new Error(`GELU's gradient: dy ${dy.shape} is not x ${x.shape}`);
  const out = b.makeOutput(x.shape, 'float32');
  const n = x.shape.reduce((p, d) => p * d, 1);
  const [xp, op] = [b.getMemoryOffset(x.dataId), b.getMemoryOffset(out.dataId)];
  if (dy) kernel.exports.gelu_grad(b.getMemoryOffset(dy.dataId), xp, op, n, FORMS[form]);
  else kernel.exports.gelu(xp, op, n, FORMS[form]);
  return out;
}

function kernelFunc(args: Args): tf.TensorInfo {
  const kernel = bind(args.backend);
  if (!kernel) throw new Error("RM Lab's WebAssembly GELU kernel is not bound to this backend");
  return run(kernel, args.backend, args.inputs.x, args.inputs.dy, args.attrs.form);
}

export const geluKernels: tf.KernelConfig[] = [GELU_KERNEL, GELU_GRAD_KERNEL].map((kernelName) => ({
  kernelName,
  backendName: 'wasm',
  kernelFunc: kernelFunc as unknown as tf.KernelFunc,
}));

/** GELU and its derivative in float64, the forms' definitions (the self-check's and the tests' reference). */
export function geluFloat64(x: number, form: GeluForm): { value: number; derivative: number } {
  if (form === 'tanh') {
    const c = Math.sqrt(2 / Math.PI);
    const t = Math.tanh(c * (x + 0.044715 * x ** 3));
    return {
      value: 0.5 * x * (1 + t),
      derivative: 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x),
    };
  }
  const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  const cdf = 0.5 * (1 + erf64(x / Math.SQRT2));
  return { value: x * cdf, derivative: cdf + x * phi };
}

/** erf to ~1e-15 (Abramowitz-Stegun 7.1.26 is not enough for a reference): its Maclaurin series, then its continued fraction. */
function erf64(z: number): number {
  const a = Math.abs(z);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return (Math.sign(z) * 2 * sum) / Math.sqrt(Math.PI);
  }
  let f = 0; // erfc(a) = exp(-a^2) / sqrt(pi) / (a + 1/2 / (a + 1 / (a + 3/2 / (a + ...))))
  for (let n = 60; n >= 1; n--) f = n / 2 / (a + f);
  return Math.sign(z) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
}

/** Both forms, forward and backward, on -8..8 against float64 (absolute error under 1e-5). */
export function geluSelfCheck(kernel: Bound, b: WasmBackend): void {
  const xs = Float32Array.from({ length: 67 }, (_, i) => -8 + (16 * i) / 66);
  const dys = Float32Array.from({ length: 67 }, (_, i) => 0.5 + i / 66);
  const x = b.makeOutput([67], 'float32', undefined, xs);
  const dy = b.makeOutput([67], 'float32', undefined, dys);
  try {
    for (const form of ['tanh', 'erf'] as const) {
      const [value, grad] = [run(kernel, b, x, undefined, form), run(kernel, b, x, dy, form)];
      const [v, g] = [b.readSync(value.dataId), b.readSync(grad.dataId)];
      b.disposeData(value.dataId);
      b.disposeData(grad.dataId);
      xs.forEach((xi, i) => {
        const want = geluFloat64(xi, form);
        const err = Math.max(Math.abs(v[i]! - want.value), Math.abs(g[i]! - dys[i]! * want.derivative));
        if (!(err < 1e-5)) throw new Error(`self-check: GELU (${form}) at ${xi} off by ${err}`);
      });
    }
  } finally {
    b.disposeData(x.dataId);
    b.disposeData(dy.dataId);
  }
}
