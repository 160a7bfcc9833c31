// Multi-tensor AdamW with global-norm clipping on WebGPU: the whole optimizer step of a model in a few
// dispatches, where tfjs's Adam and the plain clipping (../adamw.ts) take ~17 per parameter (a default
// step: ~515 of its ~908 dispatches, and 6 scalar uploads per parameter).
//
//   sumsq   up to 6 gradients a dispatch, one workgroup each: partials[slot] = sum g^2
//   finish  one workgroup: norm = sqrt(sum partials), c = min(maxNorm / (norm + 1e-6), 1)
//   update  up to 2 parameters a dispatch: decay, clip, both moments and the weight, in place
//
// It writes into the parameters' and the moments' own GPU buffers (tfjs tensors this optimizer owns or
// the model's variables), inside tfjs's command encoder so it is ordered with tfjs's own work and
// submitted with it. The moments of a parameter live in one buffer [m; v] (2n values), so a dispatch
// updating two parameters binds 7 storage buffers: within WebGPU's default limit of 8, which is the
// limit tfjs asks its device for. The numbers of a step (learning rate, bias corrections) go in one
// uniform write a step; the sizes go in uniform buffers written once. The arithmetic is ../adamw.ts's,
// in the same order, in float32; reduction order differs (tests/browser/adamw-webgpu.test.ts).
//
// This reaches into tfjs-backend-webgpu 4.22's backend object (device, tensorMap, command encoder):
// webgpuBackendOf checks the members it uses and the caller falls back to the plain composition
// when they are not there or a pipeline fails to compile.
import * as tf from '@tensorflow/tfjs';
import { ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON, CLIP_EPSILON, type AdamWStep } from '../adamw.ts';

interface TensorData {
  values: unknown;
  resource: unknown;
  refCount: number;
}

/** The parts of tfjs-backend-webgpu's WebGPUBackend this kernel uses. */
export interface WebGPUBackendInternals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): TensorData };
  commandEncoder: GPUCommandEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  makeUniforms(data: { type: 'float32' | 'uint32'; data: number[] }[]): GPUBufferBinding;
}

/** The current backend's internals when it is tfjs's WebGPU backend as this kernel knows it. */
export function webgpuBackendOf(backend: tf.KernelBackend): WebGPUBackendInternals | undefined {
  const b = backend as unknown as Partial<WebGPUBackendInternals>;
  const ok =
    b.device !== undefined &&
    typeof b.tensorMap?.get === 'function' &&
    b.commandQueueOwnedIds instanceof WeakSet &&
    typeof b.ensureCommandEncoderReady === 'function' &&
    typeof b.endComputePassEncoder === 'function' &&
    typeof b.uploadToGPU === 'function' &&
    typeof b.makeTensorInfo === 'function' &&
    typeof b.makeUniforms === 'function';
  return ok ? (b as WebGPUBackendInternals) : undefined;
}

const WG = 256;
/** Gradients a sumsq dispatch reads (+ the partials buffer: 7 storage buffers). */
const SUMSQ_PER_DISPATCH = 6;
/** Parameters an update dispatch writes (3 buffers each + the partials: 7). */
const UPDATE_PER_DISPATCH = 2;
/** Workgroups an update dispatch uses at most along x; a grid-stride loop covers the rest. */
const MAX_GROUPS = 4096;

function sumsqShader(k: number): string {
  const inputs = Array.from(
    { length: k },
    (_, j) => `@group(0) @binding(${j}) var<storage, read> g${j}: array<f32>;`,
  ).join('\n');
  const loads = Array.from({ length: k }, (_, j) => `    case ${j}u: { return g${j}[i]; }`).join('\n');
  return `${inputs}
@group(0) @binding(${k}) var<storage, read_write> partials: array<f32>;
struct Sizes { n: array<vec4<u32>, 2>, slot: u32 };
@group(0) @binding(${k + 1}) var<uniform> sizes: Sizes;
var<workgroup> acc: array<f32, ${WG}>;
fn load(j: u32, i: u32) -> f32 {
  switch j {
${loads}
    default: { return 0.0; }
  }
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x;
  let n = sizes.n[j / 4u][j % 4u];
  var s = 0.0;
  for (var i = lid; i < n; i = i + ${WG}u) {
    let x = load(j, i);
    s = s + x * x;
  }
  acc[lid] = s;
  workgroupBarrier();
  for (var w = ${WG / 2}u; w > 0u; w = w / 2u) {
    if (lid < w) { acc[lid] = acc[lid] + acc[lid + w]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[sizes.slot + j] = acc[0]; }
}`;
}

const FINISH_SHADER = `
@group(0) @binding(0) var<storage, read_write> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> norm: array<f32>;
struct Finish { count: u32, maxNorm: f32 };
@group(0) @binding(2) var<uniform> u: Finish;
var<workgroup> acc: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < u.count; i = i + ${WG}u) { s = s + partials[i]; }
  acc[lid] = s;
  workgroupBarrier();
  for (var w = ${WG / 2}u; w > 0u; w = w / 2u) {
    if (lid < w) { acc[lid] = acc[lid] + acc[lid + w]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let total = sqrt(acc[0]);
    norm[0] = total;
    // The clipping coefficient sits after the partials, where the update reads it.
    partials[u.count] = select(1.0, min(u.maxNorm / (total + ${CLIP_EPSILON}), 1.0), u.maxNorm > 0.0);
  }
}`;

function updateShader(k: number): string {
  const bindings = Array.from(
    { length: k },
    (_, j) => `@group(0) @binding(${3 * j}) var<storage, read> g${j}: array<f32>;
@group(0) @binding(${3 * j + 1}) var<storage, read_write> w${j}: array<f32>;
@group(0) @binding(${3 * j + 2}) var<storage, read_write> mv${j}: array<f32>;`,
  ).join('\n');
  const cases = Array.from(
    { length: k },
    (_, j) => `    case ${j}u: {
      for (var i = start; i < n; i = i + stride) {
        let r = adamw(g${j}[i] * c, w${j}[i] * decay, mv${j}[i], mv${j}[n + i]);
        w${j}[i] = r.x; mv${j}[i] = r.y; mv${j}[n + i] = r.z;
      }
    }`,
  ).join('\n');
  return `${bindings}
@group(0) @binding(${3 * k}) var<storage, read> partials: array<f32>;
struct Sizes { n: vec4<u32>, decays: vec4<u32>, coefficientAt: u32 };
@group(0) @binding(${3 * k + 1}) var<uniform> sizes: Sizes;
// One step's numbers, the same for every dispatch of the step.
struct Numbers { lr: f32, keep: f32, oneMinusAcc1: f32, oneMinusAcc2: f32 };
@group(0) @binding(${3 * k + 2}) var<uniform> numbers: Numbers;
// ../adamw.ts's update, op for op: returns (w, m, v).
fn adamw(g: f32, w: f32, m: f32, v: f32) -> vec3<f32> {
  let m1 = m * ${ADAM_BETA1} + g * ${1 - ADAM_BETA1};
  let v1 = v * ${ADAM_BETA2} + (g * g) * ${1 - ADAM_BETA2};
  let mHat = m1 / numbers.oneMinusAcc1;
  let vHat = v1 / numbers.oneMinusAcc2;
  return vec3<f32>((mHat / (sqrt(vHat) + ${ADAM_EPSILON})) * -numbers.lr + w, m1, v1);
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = gid.y;
  let n = sizes.n[j];
  let decay = select(1.0, numbers.keep, sizes.decays[j] == 1u);
  let c = partials[sizes.coefficientAt];
  let start = gid.x;
  let stride = groups.x * ${WG}u;
  switch j {
${cases}
    default: {}
  }
}`;
}

/** A uniform buffer written once, at creation. */
function constantUniform(device: GPUDevice, words: ArrayLike<number>, asFloat: boolean[] = []): GPUBuffer {
  const size = Math.ceil((words.length * 4) / 16) * 16;
  const buffer = device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
  const range = buffer.getMappedRange();
  const u32 = new Uint32Array(range);
  const f32 = new Float32Array(range);
  for (let i = 0; i < words.length; i++) {
    if (asFloat[i]) f32[i] = words[i]!;
    else u32[i] = words[i]!;
  }
  buffer.unmap();
  return buffer;
}

const chunks = <T>(xs: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

/** The multi-tensor AdamW step on one model's parameters; build with `compile`. */
export class AdamWKernel {
  private readonly partials: GPUBuffer;
  private readonly sumsqSizes: GPUBuffer[];
  private readonly updateSizes: GPUBuffer[];
  private readonly finishUniform: GPUBuffer;

  private constructor(
    private readonly backend: WebGPUBackendInternals,
    private readonly params: tf.Variable[],
    private readonly decays: boolean[],
    private readonly sumsq: Map<number, GPUComputePipeline>,
    private readonly finish: GPUComputePipeline,
    private readonly update: Map<number, GPUComputePipeline>,
    maxGradNorm: number,
  ) {
    const device = backend.device;
    const N = params.length;
    this.partials = device.createBuffer({ size: Math.max(16, 4 * (N + 1)), usage: GPUBufferUsage.STORAGE });
    const sizes = params.map((p) => p.size);
    this.sumsqSizes = chunks([...sizes.keys()], SUMSQ_PER_DISPATCH).map((idx) => {
      const words = new Array<number>(9).fill(0);
      idx.forEach((p, j) => (words[j] = sizes[p]!));
      words[8] = idx[0]!; // slot of the chunk's first partial
      return constantUniform(device, words);
    });
    this.updateSizes = chunks([...sizes.keys()], UPDATE_PER_DISPATCH).map((idx) => {
      const words = new Array<number>(9).fill(0);
      idx.forEach((p, j) => {
        words[j] = sizes[p]!;
        words[4 + j] = decays[p] ? 1 : 0;
      });
      words[8] = N;
      return constantUniform(device, words);
    });
    this.finishUniform = constantUniform(device, [N, maxGradNorm], [false, true]);
  }

  /**
   * Compiles the pipelines (awaited, so a shader the device refuses is known before the first step).
   * Throws what the device said when it refuses one.
   */
  static async compile(
    backend: WebGPUBackendInternals,
    params: tf.Variable[],
    decays: boolean[],
    maxGradNorm: number,
  ): Promise<AdamWKernel> {
    const device = backend.device;
    const pipeline = (label: string, code: string) =>
      device.createComputePipelineAsync({
        label: `rmlab_adamw_${label}`,
        layout: 'auto',
        compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
      });
    const N = params.length;
    const sumsqKs = new Set(chunks([...params.keys()], SUMSQ_PER_DISPATCH).map((c) => c.length));
    const updateKs = new Set(chunks([...params.keys()], UPDATE_PER_DISPATCH).map((c) => c.length));
    const [finish, ...rest] = await Promise.all([
      pipeline('finish', FINISH_SHADER),
      ...[...sumsqKs].map((k) => pipeline(`sumsq_${k}`, sumsqShader(k))),
      ...[...updateKs].map((k) => pipeline(`update_${k}`, updateShader(k))),
    ]);
    const sumsq = new Map([...sumsqKs].map((k, i) => [k, rest[i]!]));
    const update = new Map([...updateKs].map((k, i) => [k, rest[sumsqKs.size + i]!]));
    if (N === 0) throw new Error('no parameters');
    return new AdamWKernel(backend, params, decays, sumsq, finish!, update, maxGradNorm);
  }

  /** A tensor's GPU buffer, uploading it first if it is still on the CPU. */
  private bufferOf(t: tf.TensorInfo): GPUBuffer {
    this.backend.uploadToGPU(t.dataId);
    this.backend.commandQueueOwnedIds.add(t.dataId);
    return this.backend.tensorMap.get(t.dataId).resource as GPUBuffer;
  }

  /**
   * One step: clips `grads` by their global norm and updates the parameters and `moments` (one
   * [2n] tensor per parameter: m then v) in place. Returns the norm before clipping.
   */
  step(grads: tf.Tensor[], moments: tf.Tensor[], s: AdamWStep): tf.Scalar {
    const backend = this.backend;
    const device = backend.device;
    // Written in place: a parameter or moment sharing its buffer with another tensor is given its own first.
    for (const [i, p] of this.params.entries()) {
      if (backend.tensorMap.get(p.dataId).refCount > 1) {
        const own = tf.mul(p, 1);
        p.assign(own);
        own.dispose(); // the variable holds its own reference
      }
      if (backend.tensorMap.get(moments[i]!.dataId).refCount > 1) throw new Error('AdamW moments must not be shared');
    }
    const normInfo = backend.makeTensorInfo([], 'float32');
    const gBuf = grads.map((g) => this.bufferOf(g));
    const wBuf = this.params.map((p) => this.bufferOf(p));
    const mvBuf = moments.map((m) => this.bufferOf(m));
    const normBuf = this.bufferOf(normInfo);
    const stepUniform = backend.makeUniforms([
      {
        type: 'float32',
        data: [
          s.learningRate,
          1 - s.learningRate * s.weightDecay,
          Math.fround(1 - Math.fround(s.accBeta1)),
          Math.fround(1 - Math.fround(s.accBeta2)),
        ],
      },
    ]);
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    const pass = backend.commandEncoder!.beginComputePass();
    const bind = (pipeline: GPUComputePipeline, resources: GPUBindingResource[]) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: resources.map((resource, binding) => ({ binding, resource })),
        }),
      );
    };
    const indices = [...this.params.keys()];
    chunks(indices, SUMSQ_PER_DISPATCH).forEach((idx, c) => {
      bind(this.sumsq.get(idx.length)!, [
        ...idx.map((i) => ({ buffer: gBuf[i]! })),
        { buffer: this.partials },
        { buffer: this.sumsqSizes[c]! },
      ]);
      pass.dispatchWorkgroups(idx.length);
    });
    bind(this.finish, [{ buffer: this.partials }, { buffer: normBuf }, { buffer: this.finishUniform }]);
    pass.dispatchWorkgroups(1);
    chunks(indices, UPDATE_PER_DISPATCH).forEach((idx, c) => {
      bind(this.update.get(idx.length)!, [
        ...idx.flatMap((i) => [{ buffer: gBuf[i]! }, { buffer: wBuf[i]! }, { buffer: mvBuf[i]! }]),
        { buffer: this.partials },
        { buffer: this.updateSizes[c]! },
        stepUniform,
      ]);
      const largest = Math.max(...idx.map((i) => this.params[i]!.size));
      pass.dispatchWorkgroups(Math.min(MAX_GROUPS, Math.ceil(largest / WG)), idx.length);
    });
    pass.end();
    // Values read back earlier are cached on the CPU by tfjs: they are stale now.
    for (const t of [...this.params, ...moments]) backend.tensorMap.get(t.dataId).values = null;
    return tf.engine().makeTensorFromTensorInfo(normInfo) as tf.Scalar;
  }

  dispose(): void {
    this.partials.destroy();
    for (const b of [...this.sumsqSizes, ...this.updateSizes, this.finishUniform]) b.destroy();
  }
}
