// Picks the tfjs backend a run uses and says why. 'auto' takes WebGPU only on a hardware
// adapter: Dawn's software adapter (SwiftShader), which headless browsers and GPU-less machines
// expose, is tens of times slower than the WASM backend (measured: see the guide).
// The entry point (worker, CLI, test) imports the backend packages it wants registered.
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from './config.ts';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** A software rasteriser rather than a GPU. */
  software: boolean;
}

export interface BackendInfo {
  /** The tfjs backend in use: 'webgpu', 'wasm' or 'cpu'. */
  name: string;
  /** The WebGPU adapter, where one was found (also when it was not used). */
  adapter?: AdapterInfo;
  /** Plain-words reason for the choice, shown to the user. */
  reason: string;
}

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
    /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description} ${info.device}`);
  return { vendor: info.vendor, architecture: info.architecture, description: info.description, software };
}

export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  const adapter = await describeWebGPUAdapter();
  let name: string;
  let reason: string;
  if (choice !== 'auto') {
    name = choice;
    reason = 'chosen in the settings';
  } else if (adapter && !adapter.software) {
    name = 'webgpu';
    reason = 'a hardware WebGPU adapter is available';
  } else if (adapter) {
    name = 'wasm';
    reason = `the only WebGPU adapter is a software one (${adapter.architecture || adapter.description}), slower than WebAssembly`;
  } else {
    name = 'wasm';
    reason = 'this browser offers no WebGPU adapter';
  }
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend could not start in this browser`);
  await tf.ready();
  return { name, adapter, reason };
}
