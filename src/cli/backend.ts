// The tfjs backend in Node. tfjs-node cannot be installed here (it downloads libtensorflow), so the
// CLI computes on tfjs's WebAssembly backend, which finds its .wasm binaries beside its own module
// in Node. In Node it runs the single-threaded SIMD build (measured: getThreadsCount() is 1).
// 'auto' is WASM without timing anything: the CPU backend is about 30 times slower
// (bench/results/train-node.json), and Node has no WebGPU or WebGL.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice } from '../core/train/config.ts';
import type { CommandOption } from './options.ts';
import { installWasmKernels } from './wasm-kernels.ts';

/** The --backend option of the commands that only score (eval, score); train's comes from TRAIN_FIELDS. */
export const BACKEND_OPTION: CommandOption = {
  name: 'backend',
  value: 'wasm|cpu',
  help: 'Where the math runs.',
  default: 'wasm',
};

export interface NodeBackend {
  name: 'wasm' | 'cpu';
  /** Threads the WASM kernels run on. */
  threads?: number;
}

export async function useNodeBackend(choice: BackendChoice): Promise<NodeBackend> {
  if (choice === 'webgpu' || choice === 'webgl') {
    throw new Error(`--backend ${choice} is a browser backend; in Node the CLI runs on wasm (or cpu)`);
  }
  const name = choice === 'cpu' ? 'cpu' : 'wasm';
  // RM Lab's wasm kernels (src/core/model/ops/wasm/): the SIMD matrix product, the sharing Identity
  if (name === 'wasm') await installWasmKernels();
  if (!(await tf.setBackend(name))) throw new Error(`tfjs's ${name} backend failed to start`);
  await tf.ready();
  return name === 'wasm' ? { name, threads: getThreadsCount() } : { name };
}
