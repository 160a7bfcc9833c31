// tfjs's real WebGPU backend over a GPUDevice that does nothing but count, in Node: no GPU needed.
//
// Every op tfjs runs still goes through the backend's own code (shader generation, pipeline cache,
// uniform packing, buffer pool, command encoding, deferred submits), so the numbers counted here are
// the calls a real GPU would receive. Nothing is computed: read-backs return zeros. So this measures
// how many GPU operations a training step costs and the host (JS) time it takes to issue them, never
// whether the numbers are right (that is the browser reference tests' job, on a real adapter).
//
// What is counted, per the WebGPU calls tfjs makes (tfjs-backend-webgpu 4.22, backend_webgpu.ts):
//   dispatches     computePass.dispatchWorkgroups: one per tfjs program run
//   uploads        CPU-to-GPU tensor uploads: getMappedRange on a buffer mapped at creation
//                  (a fresh storage buffer or a MAP_WRITE staging buffer: uploadToGPU)
//   uniformWrites  queue.writeBuffer: the per-dispatch uniform buffer
//   computePasses  commandEncoder.beginComputePass (an upload or a read-back ends the open pass)
//   submits        queue.submit
//   readBacks      buffer.mapAsync(READ): GPU-to-CPU reads (each one waits for the GPU)
//   pipelines      createComputePipeline(Async): shader compilations
//   bindGroups     createBindGroup
export interface GpuCounts {
  dispatches: number;
  uploads: number;
  uniformWrites: number;
  computePasses: number;
  submits: number;
  readBacks: number;
  pipelines: number;
  bindGroups: number;
}

export const zeroCounts = (): GpuCounts => ({
  dispatches: 0,
  uploads: 0,
  uniformWrites: 0,
  computePasses: 0,
  submits: 0,
  readBacks: 0,
  pipelines: 0,
  bindGroups: 0,
});

/** b - a, field by field. */
export function countsBetween(a: GpuCounts, b: GpuCounts): GpuCounts {
  const out = zeroCounts();
  for (const k of Object.keys(out) as (keyof GpuCounts)[]) out[k] = b[k] - a[k];
  return out;
}

/** The counters, live: read a copy with `{ ...counts }`. */
export const counts: GpuCounts = zeroCounts();

/** Dispatches by the label of the pipeline they ran (tfjs labels a pipeline with its program's class name). */
export const dispatchesByLabel: Record<string, number> = {};

// The WebGPU flag constants (WebGPU spec values); Node has none of these globals.
const BUFFER_USAGE = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
};
const MAP_MODE = { READ: 0x0001, WRITE: 0x0002 };
const SHADER_STAGE = { VERTEX: 0x1, FRAGMENT: 0x2, COMPUTE: 0x4 };
const TEXTURE_USAGE = { COPY_SRC: 1, COPY_DST: 2, TEXTURE_BINDING: 4, STORAGE_BINDING: 8, RENDER_ATTACHMENT: 16 };

/** Dawn's default limits on a desktop GPU (what tfjs gets when it asks for none beyond its own list). */
const LIMITS = {
  maxBufferSize: 2 ** 31,
  maxStorageBufferBindingSize: 2 ** 31 - 4,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
  maxUniformBufferBindingSize: 65536,
  minStorageBufferOffsetAlignment: 256,
  minUniformBufferOffsetAlignment: 256,
  maxBindGroups: 4,
};

class CountingBuffer {
  mapState: 'unmapped' | 'mapped' | 'pending';
  private range: ArrayBuffer | undefined;
  constructor(
    readonly size: number,
    readonly usage: number,
    private mappedAtCreation: boolean,
  ) {
    this.mapState = mappedAtCreation ? 'mapped' : 'unmapped';
  }
  async mapAsync(mode: number): Promise<void> {
    if (mode & MAP_MODE.READ) counts.readBacks++;
    this.mapState = 'mapped';
  }
  getMappedRange(): ArrayBuffer {
    if (this.mappedAtCreation) counts.uploads++;
    this.range ??= new ArrayBuffer(this.size);
    return this.range;
  }
  unmap(): void {
    this.mapState = 'unmapped';
    this.mappedAtCreation = false;
    this.range = undefined;
  }
  destroy(): void {}
}

const pipeline = (d: { label?: string }) => ({ label: d.label ?? '', getBindGroupLayout: () => ({}) });

function countingDevice() {
  let label = '';
  const pass = {
    setPipeline(p: { label: string }) {
      label = p.label;
    },
    setBindGroup() {},
    dispatchWorkgroups() {
      counts.dispatches++;
      dispatchesByLabel[label] = (dispatchesByLabel[label] ?? 0) + 1;
    },
    end() {},
  };
  return {
    features: new Set<string>(),
    limits: LIMITS,
    lost: new Promise(() => {}),
    queue: {
      submit() {
        counts.submits++;
      },
      writeBuffer() {
        counts.uniformWrites++;
      },
      onSubmittedWorkDone: async () => {},
    },
    createBuffer: (d: { size: number; usage: number; mappedAtCreation?: boolean }) =>
      new CountingBuffer(d.size, d.usage, d.mappedAtCreation ?? false),
    createShaderModule: () => ({}),
    createComputePipeline: (d: { label?: string }) => {
      counts.pipelines++;
      return pipeline(d);
    },
    createComputePipelineAsync: async (d: { label?: string }) => {
      counts.pipelines++;
      return pipeline(d);
    },
    createBindGroup: () => {
      counts.bindGroups++;
      return {};
    },
    createBindGroupLayout: () => ({}),
    createPipelineLayout: () => ({}),
    createCommandEncoder: () => ({
      beginComputePass: () => {
        counts.computePasses++;
        return pass;
      },
      copyBufferToBuffer() {},
      resolveQuerySet() {},
      finish: () => ({}),
    }),
    createQuerySet: () => ({ destroy() {} }),
    pushErrorScope() {},
    popErrorScope: async () => null,
    destroy() {},
  };
}

/**
 * Puts a counting navigator.gpu and the WebGPU constants on globalThis, imports
 * tfjs-backend-webgpu (it registers itself only where navigator.gpu exists) and makes it the
 * backend. Call once per process, before anything else imports the backend.
 */
export async function useCountingWebGPU(): Promise<void> {
  const adapter = {
    features: new Set<string>(),
    limits: LIMITS,
    info: { vendor: 'counting', architecture: 'none', device: 'counting', description: 'a GPUDevice that counts' },
    requestDevice: async () => countingDevice(),
  };
  Object.assign(globalThis, {
    GPUBufferUsage: BUFFER_USAGE,
    GPUMapMode: MAP_MODE,
    GPUShaderStage: SHADER_STAGE,
    GPUTextureUsage: TEXTURE_USAGE,
    // tfjs tells a buffer binding from a texture with instanceof.
    GPUBuffer: CountingBuffer,
    GPUTexture: class {},
    GPUExternalTexture: class {},
  });
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: { requestAdapter: async () => adapter, getPreferredCanvasFormat: () => 'rgba8unorm' } },
    configurable: true,
    writable: true,
  });
  await import('@tensorflow/tfjs-backend-webgpu');
  const tf = await import('@tensorflow/tfjs');
  if (!(await tf.setBackend('webgpu'))) throw new Error('the counting WebGPU backend did not start');
  await tf.ready();
}
