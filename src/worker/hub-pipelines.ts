// Hub models that RM Lab runs but does not build (text generators, embedding models, reward
// models to use as judges), through @huggingface/transformers (Transformers.js). This is the one
// module that loads the library, and it loads it lazily: the first call that needs a Hub model
// imports it (its own chunk, ~1 MB, and ONNX Runtime's .wasm), so the app's first load does not.
//
// What it sets up, once, and why:
// - the Hub endpoint is the one the page's setting names (tests point it at 127.0.0.1); models are
//   read from the Hub only, never from the app's own origin (allowLocalModels off), and run as ONNX
//   graphs: Transformers.js executes no code from a repository;
// - downloads go through the same watched fetch as RM Lab's own (a stall timeout, cancelling by an
//   AbortSignal); progress is reported as the LoadProgress the encoder loader reports;
// - files are kept in the browser's Cache API (Transformers.js's own cache, keyed by URL, so a test
//   server never fills the real Hub's entries), and ONNX Runtime's .wasm comes from the app's own
//   origin (registered by onnx-wasm.ts), cached too: a model loads again offline;
// - the backend is WebGPU when the browser has a hardware adapter, else WebAssembly (Dawn's
//   software adapter is slower than WASM); Node runs ONNX Runtime's native CPU build.
import type { LoadProgress } from '../core/model/pretrained.ts';
import { DEFAULT_HUB_ENDPOINT, hubVerdict, LoadCancelled } from '../core/model/hub.ts';
import { DownloadStalled, watchedFetch } from '../core/share/watched-fetch.ts';
import { describeWebGPUAdapter } from '../core/train/backend.ts';
import { parseEncoderSource } from '../core/train/config.ts';

type Library = typeof import('@huggingface/transformers');
type AllTasks = import('@huggingface/transformers').AllTasks;

/** What a Hub model is loaded for: the Transformers.js task. */
export type HubTask = 'text-generation' | 'feature-extraction' | 'text-classification';
/** Where it runs: 'auto' picks WebGPU on a hardware adapter, else WASM (CPU in Node). */
export type HubDevice = 'auto' | 'webgpu' | 'wasm';

export interface HubLoad {
  /** A Hub model id, optionally with '@revision': 'onnx-community/SmolLM2-135M-Instruct'. */
  model: string;
  /** The Hub's address (the page's setting); the real Hub when absent. */
  endpoint?: string;
  device?: HubDevice;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** How long a download may receive nothing (tests shorten it). */
  stallMs?: number;
}

/** A model loaded for a task, and how it was loaded (shown to the user). */
export interface LoadedHubModel<P> {
  pipeline: P;
  model: string;
  /** The ONNX weights chosen: 'q8' is onnx/model_quantized.onnx, 'fp32' onnx/model.onnx, ... */
  dtype: string;
  device: 'webgpu' | 'wasm' | 'cpu';
  /** The model's config.json, as the Hub has it. */
  config: Record<string, unknown>;
}

let library: Promise<Library> | undefined;
let wasmPaths: { mjs: string; wasm: string } | undefined;
/** Node only: where downloaded files are kept (ONNX Runtime's native build reads the graph from a file). */
let fileCacheDir: string | undefined;
/** Loads in progress, by the URL prefix of their repository: whose signal and stall timeout a fetch obeys. */
const loads = new Map<string, { id: string; revision: string; signal?: AbortSignal; stallMs?: number }>();

/** ONNX Runtime's WebAssembly files as served by the app (onnx-wasm.ts, in the browser only). */
export function setOnnxWasmPaths(paths: { mjs: string; wasm: string }): void {
  wasmPaths = paths;
}

/**
 * Node only: the folder that keeps downloaded files, one sub-folder per Hub address (the library
 * keys its file cache by model and file alone). Without one, Node cannot load a Hub model: ONNX
 * Runtime's native build reads the graph from a file there.
 */
export function setHubFileCache(dir: string): void {
  fileCacheDir = dir.replace(/\/$/, '');
}

/** The library, imported and configured on first use. */
export function transformersLibrary(): Promise<Library> {
  library ??= import('@huggingface/transformers').then(configure, (error: unknown) => {
    library = undefined;
    throw new Error(`could not load the Transformers.js library (${(error as Error).message ?? error})`, {
      cause: error,
    });
  });
  return library;
}

function configure(lib: Library): Library {
  const { env, LogLevel } = lib;
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.logLevel = LogLevel.ERROR;
  env.useBrowserCache = typeof caches !== 'undefined';
  // Node's default file cache sits inside node_modules: files go where setHubFileCache says, or nowhere.
  env.useFSCache = false;
  env.fetch = hubFetch;
  const onnx = env.backends.onnx;
  if (wasmPaths && onnx.wasm) {
    onnx.wasm.wasmPaths = { ...wasmPaths };
    onnx.wasm.proxy = false;
  }
  return lib;
}

/**
 * Every request the library makes: under the watch of the load it belongs to, with the Hub's
 * refusals (no such repository, gated, no such revision) and an unreachable host thrown in RM Lab's
 * words; a missing file (404) is left to the library, for which some files are optional.
 */
async function hubFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  const url = String(input);
  const load = [...loads].find(([prefix]) => url.startsWith(prefix))?.[1];
  if (!load) return fetch(url, init);
  const file = decodeURIComponent(url.split('/resolve/')[1]?.split('/').slice(1).join('/') ?? url);
  let answer: Awaited<ReturnType<typeof watchedFetch>>;
  try {
    answer = await watchedFetch(
      url,
      { ...init, credentials: 'omit' },
      { ...(load.signal ? { signal: load.signal } : {}), ...(load.stallMs ? { stallMs: load.stallMs } : {}) },
      {
        cancelled: () => new LoadCancelled(),
        stalled: (seconds) =>
          new DownloadStalled(
            `the download of ${file} of ${load.id} stalled: nothing arrived for ${seconds} s. The server may be ` +
              'overloaded or the connection lost; try again',
          ),
      },
    );
  } catch (error) {
    if (error instanceof LoadCancelled || error instanceof DownloadStalled) throw error;
    throw new HubUnreachable(
      `could not reach ${new URL(url).host} for ${load.id} (${(error as Error).message ?? error}): the network is ` +
        'down, or the server does not let this page read it (CORS)',
    );
  }
  const { response, body } = answer;
  if (!response.ok) {
    const code = response.headers.get('X-Error-Code');
    const verdict = hubVerdict(load.id, load.revision, response.status, code, file, false);
    if (verdict !== 'absent' && response.status !== 416) {
      await body?.cancel().catch(() => {});
      throw new Error(verdict);
    }
  }
  return new Response(body ?? null, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** The host did not answer at all (offline, refused, CORS): a cached file may still do. */
class HubUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubUnreachable';
  }
}

/** The device a load runs on, from the user's choice and what this browser has. */
async function chooseDevice(choice: HubDevice, lib: Library): Promise<'webgpu' | 'wasm' | 'cpu'> {
  const supported = lib.env.backends.onnx.getSupportedDevices?.() ?? [];
  if (!supported.includes('wasm')) return 'cpu'; // Node: onnxruntime-node
  if (choice === 'wasm') return 'wasm';
  const adapter = supported.includes('webgpu') ? await describeWebGPUAdapter() : undefined;
  if (choice === 'webgpu') {
    if (!adapter) throw new Error('this browser offers no WebGPU adapter: choose WebAssembly');
    return 'webgpu';
  }
  // A software adapter (SwiftShader) runs far slower than ONNX Runtime's WASM build.
  return adapter && !adapter.software ? 'webgpu' : 'wasm';
}

/** ONNX weights to look for, best first for the device: quantised where ONNX Runtime runs it fast. */
function dtypePreference(device: 'webgpu' | 'wasm' | 'cpu'): string[] {
  if (device === 'webgpu') return ['q4f16', 'fp16', 'q4', 'fp32', 'q8'];
  return ['q8', 'q4', 'fp32', 'fp16'];
}

const SUFFIX: Record<string, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' };

/**
 * The first dtype in the preference whose onnx/model*.onnx the repository has (or the cache holds:
 * a probe that fails for want of a network is passed over, so a cached model loads offline).
 */
async function chooseDtype(lib: Library, model: string, revision: string, device: 'webgpu' | 'wasm' | 'cpu') {
  let unreachable: unknown;
  for (const dtype of dtypePreference(device)) {
    try {
      const meta = await lib.ModelRegistry.get_file_metadata(model, `onnx/model${SUFFIX[dtype]}.onnx`, { revision });
      if (meta.exists) return dtype;
    } catch (error) {
      if (!(error instanceof HubUnreachable)) throw error;
      unreachable ??= error;
    }
  }
  if (unreachable) throw unreachable;
  throw new Error(
    `${model} has no ONNX weights (no onnx/model.onnx nor a quantised onnx/model_*.onnx): Transformers.js runs ` +
      'models exported to ONNX. Look for an ONNX version of it (the onnx-community organisation has many)',
  );
}

/** Why a config.json does not fit a task, or undefined when it does. */
function taskMismatch(task: HubTask, config: Record<string, unknown>): string | undefined {
  const archs = Array.isArray(config.architectures) ? (config.architectures as string[]) : [];
  const named = archs.join(', ') || String(config.model_type ?? 'unknown');
  if (task === 'text-generation' && config.is_encoder_decoder === true) {
    return `is an encoder-decoder model (${named}); generating candidates needs a decoder-only chat model`;
  }
  if (task === 'text-generation' && archs.length > 0 && !archs.some((a) => /ForCausalLM|LMHeadModel/.test(a))) {
    return `is a ${named}, not a text generator (a ...ForCausalLM model)`;
  }
  if (task === 'text-classification' && archs.length > 0 && !archs.some((a) => /ForSequenceClassification/.test(a))) {
    return `is a ${named}, not a sequence-classification (reward) model`;
  }
  return undefined;
}

/** A Hub model id and revision ('owner/name@revision'), or an error saying what one looks like. */
export function hubId(model: string): { id: string; revision: string } {
  let source: ReturnType<typeof parseEncoderSource> | undefined;
  try {
    source = parseEncoderSource(model);
  } catch {
    source = undefined;
  }
  if (source?.kind !== 'hub' || model.trim() === 'builtin') {
    throw new Error(
      `"${model}" is not a Hugging Face model id: give one such as "onnx-community/SmolLM2-135M-Instruct" ` +
        '(optionally "@revision")',
    );
  }
  return { id: source.id, revision: source.revision };
}

/**
 * Loads a Hub model for a task. Errors say what is wrong in the user's words: no such repository,
 * gated, a model of the wrong kind, no ONNX weights, a stalled download; LoadCancelled when the
 * signal stopped it.
 */
export async function loadHubPipeline<T extends HubTask>(task: T, load: HubLoad): Promise<LoadedHubModel<AllTasks[T]>> {
  const { id, revision } = hubId(load.model);
  const endpoint = (load.endpoint || DEFAULT_HUB_ENDPOINT).replace(/\/$/, '');
  const lib = await transformersLibrary();
  lib.env.remoteHost = `${endpoint}/`;
  if (fileCacheDir && !lib.env.useBrowserCache) {
    lib.env.useFSCache = true;
    lib.env.cacheDir = `${fileCacheDir}/${encodeURIComponent(endpoint)}`;
  }
  const prefix = `${endpoint}/${id}/`;
  loads.set(prefix, { id, revision, signal: load.signal, stallMs: load.stallMs });
  try {
    // Through the library's cache first, so a model loaded once loads again offline.
    const config = (await lib.AutoConfig.from_pretrained(id, { revision }).catch((error: unknown) => {
      if (error instanceof lib.ModelFileNotFoundError && /config\.json/.test(error.message)) {
        throw new Error(`${load.model} has no config.json: it is not a Transformers model repository`);
      }
      throw error;
    })) as unknown as Record<string, unknown>;
    const mismatch = taskMismatch(task, config);
    if (mismatch) throw new Error(`${load.model} ${mismatch}`);
    const device = await chooseDevice(load.device ?? 'auto', lib);
    const dtype = await chooseDtype(lib, id, revision, device);
    const pipe = await lib.pipeline(task, id, {
      revision,
      device,
      dtype: dtype as 'fp32',
      progress_callback: progressOf(load.onProgress),
    });
    return { pipeline: pipe, model: load.model, dtype, device, config };
  } catch (error) {
    if (load.signal?.aborted) throw new LoadCancelled();
    throw error;
  } finally {
    loads.delete(prefix);
  }
}

/** Transformers.js's progress events as the LoadProgress the page already shows for encoders. */
function progressOf(onProgress: ((p: LoadProgress) => void) | undefined) {
  if (!onProgress) return undefined;
  const perFile = new Map<string, number>();
  return (info: { status: string; file?: string; loaded?: number; total?: number }) => {
    if (info.status !== 'progress' || !info.file) return;
    perFile.set(info.file, info.loaded ?? 0);
    let loaded = 0;
    for (const bytes of perFile.values()) loaded += bytes;
    onProgress({
      file: info.file,
      fileLoaded: info.loaded ?? 0,
      ...(info.total ? { fileTotal: info.total } : {}),
      loaded,
    });
  };
}
