// Running RM Lab's own WGSL programs through tfjs-backend-webgpu (its WebGPUProgram interface, as
// tfjs's own kernels and knicos/genai-nanogpt's do), and deciding once per device whether they may.
//
// tfjs compiles a program's pipeline synchronously and without an error scope: a shader the device
// refuses would fail at its first dispatch, after the model had started. So before training, each
// op's kernel is run once on a small input against its plain-tfjs composition (checkKernels), inside
// a validation error scope; the kernels run only on a backend where all of them compiled and agreed.
// Otherwise the plain compositions run, with one console warning.
import * as tf from '@tensorflow/tfjs';

/** tfjs-backend-webgpu's WebGPUProgram, the members a simple program sets. */
export interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Adds `size` (the output's element count) to the uniforms. */
  size?: boolean;
  /** Extra uniform fields, WGSL struct members, e.g. 'D : i32, eps : f32,'. */
  uniforms?: string;
  getUserCode(): string;
}

interface Backend {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    uniforms?: { type: 'int32' | 'float32'; data: number[] }[],
  ): tf.TensorInfo;
  device: GPUDevice;
}

const WORKGROUP = 64;

/** A program with one thread per `threads` (an element, or a row), output `outputShape`. */
export function program(
  key: string,
  variableNames: string[],
  outputShape: number[],
  threads: number,
  userCode: string,
  uniforms?: string,
): Program {
  return {
    variableNames,
    outputShape,
    shaderKey: `rmlab_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(threads / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms,
    getUserCode: () => userCode,
  };
}

/** Runs `p` on the current (WebGPU) backend; the result is a tensor of the current scope. */
export function run(
  p: Program,
  inputs: tf.Tensor[],
  uniforms: { type: 'int32' | 'float32'; data: number[] }[] = [],
): tf.Tensor {
  const backend = tf.backend() as unknown as Backend;
  const info = backend.runWebGPUProgram(p, inputs, 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** A kernel's self-check: its result and the plain composition's on the same small input. */
export type KernelProbe = () => { name: string; kernel: tf.Tensor; plain: tf.Tensor; tolerance: number };

const probes: KernelProbe[] = [];
const verdicts = new WeakMap<object, boolean>();
let warned = false;

/** Called by each op module that has a WebGPU kernel. */
export function registerProbe(probe: KernelProbe): void {
  probes.push(probe);
}

/** Whether the ops may use their WebGPU kernels now: the backend is WebGPU and checkKernels passed on it. */
export function kernelsOn(): boolean {
  return tf.getBackend() === 'webgpu' && verdicts.get(tf.backend()) === true;
}

/**
 * Runs every registered kernel once on the current backend, if it is WebGPU and not yet checked, and
 * records whether they compiled and agree with their compositions. Returns kernelsOn().
 */
export async function checkKernels(): Promise<boolean> {
  if (tf.getBackend() !== 'webgpu') return false;
  const backend = tf.backend();
  if (verdicts.has(backend)) return kernelsOn();
  const problems = await runProbes(probes);
  verdicts.set(backend, problems.length === 0);
  if (problems.length > 0 && !warned) {
    warned = true;
    console.warn(`RM Lab's WebGPU kernels are off on this device; plain tfjs ops run instead: ${problems.join('; ')}`);
  }
  return kernelsOn();
}

/**
 * Runs `checks` once each on the current WebGPU backend inside a validation error scope, and returns
 * what went wrong: a probe that threw, a shader the device refused, a result off its composition.
 * checkKernels runs every registered kernel's; an optional group of kernels (f16 weights) its own.
 */
export async function runProbes(checks: readonly KernelProbe[]): Promise<string[]> {
  const device = (tf.backend() as unknown as Backend).device;
  const problems: string[] = [];
  device.pushErrorScope('validation');
  const results: { name: string; kernel: tf.Tensor; plain: tf.Tensor; tolerance: number }[] = [];
  for (const probe of checks) {
    try {
      results.push(probe());
    } catch (error) {
      problems.push(String(error));
    }
  }
  const scopeError = await device.popErrorScope();
  if (scopeError) problems.push(scopeError.message);
  for (const r of results) {
    const [k, p] = await Promise.all([r.kernel.data(), r.plain.data()]);
    let worst = 0;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(k[i]! - p[i]!));
    if (!(worst <= r.tolerance)) problems.push(`${r.name} differs from its composition by ${worst}`);
    tf.dispose([r.kernel, r.plain]);
  }
  return problems;
}

/** For tests: forget the verdicts, so the next checkKernels runs the probes again. */
export function resetKernelChecks(): void {
  for (const b of [tf.backend()]) verdicts.delete(b);
  warned = false;
}
