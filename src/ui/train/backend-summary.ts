// The backend a run trains on, in one plain sentence for the progress area; the adapter, the
// timings and the full reason go in the folded details (TrainPanel).
import type { BackendInfo } from '../../core/train/backend.ts';
import type { WasmMatMulMode } from '../../core/model/ops/wasm/batch-matmul.ts';

const NAMES: Record<string, string> = {
  webgpu: 'WebGPU (the graphics card)',
  wasm: 'WebAssembly (the CPU)',
  webgl: 'WebGL (the graphics card)',
  cpu: 'plain JavaScript (the CPU, slow)',
};

export function backendSummary(info: BackendInfo): string {
  const where = NAMES[info.name] ?? info.name;
  const software = info.name === 'webgpu' && info.adapter?.software ? ', a software adapter' : '';
  const threads = info.threads ? `, ${info.threads} thread${info.threads > 1 ? 's' : ''}` : '';
  const timed = info.probe?.filter((f) => f.msPerStep !== undefined).length ?? 0;
  const why = !info.probe
    ? 'chosen in the settings'
    : timed > 1
      ? `the fastest of ${timed} backends timed on this model`
      : timed === 1
        ? 'the only backend worth timing here'
        : 'no backend could be timed, so the fallback';
  return `Training on ${where}${software}${threads}: ${why}.`;
}

/** Which kernel runs the WASM backend's matrix products, for the backend details. */
export function wasmMatMulWords(mode: WasmMatMulMode): string {
  if (mode === 'all') return "matrix products on RM Lab's WebAssembly SIMD kernel";
  if (mode === 'batched-or-transposed') {
    return "attention's and the gradients' matrix products on RM Lab's WebAssembly SIMD kernel, the rest on tfjs's threads";
  }
  return "matrix products on tfjs's own kernel (RM Lab's did not load; see the console)";
}
