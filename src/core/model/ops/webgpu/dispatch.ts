// WGSL programs with several outputs (or that write into a tensor another program made), recorded
// into tfjs-backend-webgpu's own compute pass so they are ordered and submitted with its work.
//
// tfjs's WebGPUProgram has exactly one output. A fused attention needs two (the heads' output and
// the probabilities its backward pass reads), and its backward pass writes the gradients of q, k and
// v in two dispatches: one a query row, one a key row. This runner binds every input read-only and
// every output read-write, in that order, then one uniform struct; it reaches into the same backend
// members the multi-tensor AdamW does (./adamw.ts webgpuBackendOf), and falls back (throws) where they
// are missing. Its pipelines compile synchronously, like tfjs's: checkKernels' probes (./program.ts)
// run each of them once inside a validation error scope before training, so a shader the device
// refuses turns the kernels off with one warning instead of failing mid-run.
import * as tf from '@tensorflow/tfjs';
import { webgpuBackendOf, type WebGPUBackendInternals } from './adamw.ts';

interface PassState {
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  submitQueue(): void;
}

/** A uniform field: its WGSL name and value (i32 or f32). */
export type UniformField = [name: string, type: 'i32' | 'f32', value: number];

export interface MultiProgram {
  /** Unique per shader text: pipelines are cached by it. */
  key: string;
  inputs: { name: string; tensor: tf.Tensor }[];
  /** New outputs (`shape`) or an existing tensor written in place (`into`, which must be this program's own). */
  outputs: { name: string; shape?: number[]; into?: tf.Tensor }[];
  uniforms: UniformField[];
  /** The WGSL after the bindings: must define `@compute ... fn main` and use every binding. */
  code: string;
  workgroupSize: number;
  workgroups: number;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function internals(): WebGPUBackendInternals & PassState {
  const b = webgpuBackendOf(tf.backend());
  const pass = b as unknown as Partial<PassState> | undefined;
  if (!b || typeof pass?.submitQueue !== 'function' || typeof pass.dispatchCountInPass !== 'number') {
    throw new Error("tfjs's WebGPU backend does not have the members RM Lab's multi-output kernels use");
  }
  return b as WebGPUBackendInternals & PassState;
}

function shaderOf(p: MultiProgram): string {
  const lines: string[] = [];
  let binding = 0;
  for (const { name, tensor } of p.inputs) {
    const type = tensor.dtype === 'int32' ? 'i32' : 'f32';
    lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${name}: array<${type}>;`);
  }
  for (const { name } of p.outputs) {
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${name}: array<f32>;`);
  }
  const fields = p.uniforms.map(([name, type]) => `${name}: ${type},`).join(' ');
  lines.push(`struct Uniforms { ${fields} };`, `@group(0) @binding(${binding}) var<uniform> u: Uniforms;`);
  return `${lines.join('\n')}\n${p.code}`;
}

function pipelineFor(device: GPUDevice, p: MultiProgram): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(p.key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: shaderOf(p), label: `rmlab_${p.key}` });
    pipeline = device.createComputePipeline({
      label: `rmlab_${p.key}`,
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    cache.set(p.key, pipeline);
  }
  return pipeline;
}

/** Runs `p` on the current (WebGPU) backend; returns its outputs (the `into` tensors as given). */
export function runMulti(p: MultiProgram): tf.Tensor[] {
  const backend = internals();
  const pipeline = pipelineFor(backend.device, p);
  const bufferOf = (dataId: object): GPUBuffer => {
    backend.uploadToGPU(dataId);
    backend.commandQueueOwnedIds.add(dataId);
    return backend.tensorMap.get(dataId).resource as GPUBuffer;
  };
  const inputBuffers = p.inputs.map(({ tensor }) => bufferOf(tensor.dataId));
  const outputs = p.outputs.map(({ shape, into }) => {
    if (into) return { info: into as tf.TensorInfo, made: false };
    return { info: backend.makeTensorInfo(shape!, 'float32'), made: true };
  });
  const outputBuffers = outputs.map(({ info }) => bufferOf(info.dataId));
  const uniform = backend.makeUniforms(
    p.uniforms.map(([, type, value]) => ({ type: type === 'i32' ? 'int32' : 'float32', data: [value] })) as {
      type: 'float32' | 'uint32';
      data: number[];
    }[],
  );
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...inputBuffers, ...outputBuffers]
      .map((buffer, binding): GPUBindGroupEntry => ({ binding, resource: { buffer } }))
      .concat([{ binding: inputBuffers.length + outputBuffers.length, resource: uniform }]),
  });
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(p.workgroups);
  // As tfjs's own recordAndSubmit: a submit every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches.
  if (++backend.dispatchCountInPass >= Number(tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'))) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  // A value read back earlier is cached on the CPU by tfjs: stale once written here.
  for (const { info } of outputs) backend.tensorMap.get(info.dataId).values = null;
  return outputs.map(({ info, made }) =>
    made ? tf.engine().makeTensorFromTensorInfo(info) : (info as unknown as tf.Tensor),
  );
}

/** Workgroups of `size` threads to cover `threads` threads. */
export const groupsFor = (threads: number, size: number): number => Math.max(1, Math.ceil(threads / size));
