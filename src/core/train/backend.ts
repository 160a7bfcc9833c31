// Picks the tfjs backend a run uses and says why. 'auto' measures: it times a few training steps
// of the run's model on every backend the browser offers (backend-probe.ts) and takes
// the fastest. A software WebGPU adapter or WebGL renderer (SwiftShader, which headless browsers and
// GPU-less machines expose) is reported but not timed: it is tens of times slower than the WASM
// backend (measured: see the guide and bench/results/train-browser.json), and timing it would take
// longer than the choice is worth. A manual choice is used as it is.
// The entry point (worker, CLI, test) imports the backend packages it wants registered.
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_TRAIN_CONFIG, type BackendChoice } from './config.ts';
import { builtinTokenizer } from '../model/tokenizer.ts';
import { wasmBatchMatMulMode, type WasmMatMulMode } from '../model/ops/wasm/batch-matmul.ts';
import { wasmSimdKernelsReady } from '../model/ops/wasm/kernels.ts';
import {
  probeBackends,
  wasmThreadsInUse,
  type ProbeFigure,
  type ProbeModel,
  type ProbeOptions,
} from './backend-probe.ts';

export type { ProbeFigure, ProbeModel } from './backend-probe.ts';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** A software rasteriser rather than a GPU. */
  software: boolean;
}

export interface BackendInfo {
  /** The tfjs backend in use: 'webgpu', 'webgl', 'wasm' or 'cpu'. */
  name: string;
  /** The WebGPU adapter, where one was found (also when it was not used). */
  adapter?: AdapterInfo;
  /** Plain-words reason for the choice, shown to the user. */
  reason: string;
  /**
   * 'auto' only: each backend the browser offers, timed on a few training steps of the run's model
   * (fastest first), or why it was not timed. Absent for a manual choice.
   */
  probe?: ProbeFigure[];
  /** The WASM backend only: threads its kernels run on (more than 1 needs a cross-origin isolated page). */
  threads?: number;
  /**
   * The WASM backend only: which matrix products RM Lab's SIMD kernel runs (model/ops/wasm/): 'all',
   * 'batched-or-transposed' (tfjs's XNNPACK keeps the 2-D ones for its threads), or 'none' (it did not
   * load; tfjs's own kernel runs).
   */
  wasmMatMul?: WasmMatMulMode;
}

export interface SelectOptions {
  /** The model 'auto' times; default: the default configuration's. */
  model?: ProbeModel;
  /** Also time software adapters (tests: to show that they lose). */
  includeSoftware?: boolean;
  probe?: ProbeOptions;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;

export async function describeWebGPUAdapter(): Promise<AdapterInfo | undefined> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return undefined;
  // adapter.info (Chrome 114+); older type packages do not declare it.
  const info = (adapter as unknown as { info: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const software =
    legacyFallback ||
    info.isFallbackAdapter === true ||
    SOFTWARE.test(`${info.architecture} ${info.description} ${info.device}`);
  return { vendor: info.vendor, architecture: info.architecture, description: info.description, software };
}

/** The WebGL 2 renderer tfjs's webgl backend would get (in a worker, through OffscreenCanvas), if any. */
export function describeWebGL(): { renderer: string; software: boolean } | undefined {
  try {
    const canvas =
      typeof OffscreenCanvas !== 'undefined'
        ? new OffscreenCanvas(1, 1)
        : typeof document !== 'undefined'
          ? document.createElement('canvas')
          : undefined;
    const gl = canvas?.getContext('webgl2') as WebGL2RenderingContext | null | undefined;
    if (!gl) return undefined;
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { renderer, software: SOFTWARE.test(renderer) };
  } catch {
    return undefined;
  }
}

function defaultModel(): ProbeModel {
  const c = DEFAULT_TRAIN_CONFIG;
  return {
    transformer: {
      vocabSize: builtinTokenizer().vocabSize,
      maxLength: c.maxLength,
      dModel: c.dModel,
      nLayers: c.nLayers,
      nHeads: c.nHeads,
      dFF: 4 * c.dModel,
      pooling: c.pooling,
    },
    batchSize: c.batchSize,
  };
}

const registered = (name: string) => tf.findBackendFactory(name) != null;

/**
 * The backends 'auto' may time, in the order it times them, and the figures (without timings) of
 * those it leaves out and why. The CPU backend is never a candidate: WASM is always there and faster.
 */
export async function probeCandidates(
  adapter: AdapterInfo | undefined,
  includeSoftware = false,
): Promise<{ candidates: string[]; skipped: ProbeFigure[] }> {
  const candidates: string[] = [];
  const skipped: ProbeFigure[] = [];
  if (registered('webgpu')) {
    if (!adapter) skipped.push({ backend: 'webgpu', note: 'no WebGPU adapter in this browser' });
    else if (adapter.software && !includeSoftware) {
      skipped.push({
        backend: 'webgpu',
        note: `not timed: software adapter (${adapter.architecture || adapter.description}), slower than WebAssembly`,
      });
    } else candidates.push('webgpu');
  }
  if (registered('webgl')) {
    const gl = describeWebGL();
    if (!gl) skipped.push({ backend: 'webgl', note: 'no WebGL 2 in this browser' });
    else if (gl.software && !includeSoftware) {
      skipped.push({
        backend: 'webgl',
        note: `not timed: software renderer (${gl.renderer}), slower than WebAssembly`,
      });
    } else candidates.push('webgl');
  }
  if (registered('wasm')) candidates.push('wasm');
  return { candidates, skipped };
}

// Figures of earlier probes in this worker, by model and options: a second run of the same shape
// does not pay for the probe again.
const probeCache = new Map<string, ProbeFigure[]>();

export async function selectBackend(choice: BackendChoice, options: SelectOptions = {}): Promise<BackendInfo> {
  await wasmSimdKernelsReady(); // the kernels the probe times and the run uses
  const adapter = await describeWebGPUAdapter();
  let name: string;
  let reason: string;
  let probe: ProbeFigure[] | undefined;
  if (choice !== 'auto') {
    name = choice;
    reason = 'chosen in the settings';
  } else {
    const model = options.model ?? defaultModel();
    const { candidates, skipped } = await probeCandidates(adapter, options.includeSoftware);
    const key = JSON.stringify([model, candidates, options.probe ?? {}]);
    let timed = probeCache.get(key);
    const cached = timed !== undefined;
    if (!timed) {
      timed = await probeBackends(candidates, model, options.probe);
      probeCache.set(key, timed);
    }
    probe = [...timed, ...skipped];
    const measured = timed.filter((f) => f.msPerStep !== undefined);
    const untimed = probe.filter((f) => f.msPerStep === undefined).map((f) => `${f.backend} ${f.note}`);
    if (measured.length > 0) {
      name = measured[0]!.backend;
      const figures = measured.map((f) => `${f.backend} ${f.msPerStep!.toFixed(0)} ms`).join(', ');
      reason =
        (measured.length > 1 ? `fastest of ${measured.length} backends timed` : 'the only backend worth timing here') +
        ` on a ${model.batchSize}-pair training step of this model (${figures})` +
        untimed.map((u) => `; ${u}`).join('') +
        (cached ? ' (measured earlier in this tab)' : '');
    } else {
      name = registered('wasm') ? 'wasm' : 'cpu';
      reason = `no backend could be timed (${untimed.join('; ')}); ${name} is the fallback`;
    }
  }
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend could not start in this browser`);
  await tf.ready();
  const threads = wasmThreadsInUse();
  return {
    name,
    adapter,
    reason,
    ...(probe ? { probe } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(name === 'wasm' ? { wasmMatMul: wasmBatchMatMulMode() } : {}),
  };
}
