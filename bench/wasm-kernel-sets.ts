// Which of RM Lab's WebAssembly kernels run, for benchmarks that compare before and after in one
// run (bench/train-vs-torch.ts, bench/wasm-step-profile.ts). Import after
// @tensorflow/tfjs-backend-wasm (it reads tfjs's own kernels at load).
import * as tf from '@tensorflow/tfjs';
import { installWasmKernels } from '../src/cli/wasm-kernels.ts';
import { wasmBatchMatMulActive } from '../src/core/model/ops/wasm/batch-matmul.ts';
import { ADAMW_KERNEL, wasmAdamWOn } from '../src/core/model/ops/wasm/adamw.ts';
import { GELU_GRAD_KERNEL, GELU_KERNEL, wasmGeluOn } from '../src/core/model/ops/wasm/gelu.ts';
import { uninstallWasmIdentity } from '../src/core/model/ops/wasm/identity.ts';
import { uninstallWasmSimdKernels } from '../src/core/model/ops/wasm/kernels.ts';

export const KERNEL_SETS = {
  rmlab:
    "all of RM Lab's wasm kernels, as the CLI runs (matrix product, column sum, row gather, GELU, sharing Identity)",
  matmul: "RM Lab's matrix product and sharing Identity only (before the column sum, row gather and GELU kernels)",
  tfjs: "tfjs's own kernels and the plain GELU",
} as const;
export type KernelSet = keyof typeof KERNEL_SETS;

/** The kernel sets in a comma-separated list (a --kernels argument). */
export function kernelSetsNamed(list: string): KernelSet[] {
  const sets = list.split(',') as KernelSet[];
  for (const k of sets)
    if (!(k in KERNEL_SETS)) throw new Error(`--kernels: ${k} is not one of ${Object.keys(KERNEL_SETS)}`);
  return sets;
}

/** tfjs's own kernels that RM Lab's module replaces besides the matrix product, as tfjs registered them. */
const TFJS_KERNELS = [tf.Sum, tf.GatherV2].map((name) => tf.getKernel(name, 'wasm')!);

/** Puts a kernel set in place on the wasm backend (and checks that it is the one that runs). */
export async function useKernelSet(kernels: KernelSet): Promise<void> {
  uninstallWasmSimdKernels(); // from tfjs's own kernels every time (installing again would do nothing)
  uninstallWasmIdentity();
  if (kernels !== 'tfjs' && !(await installWasmKernels())) {
    throw new Error("RM Lab's WebAssembly kernels did not install");
  }
  if (kernels === 'matmul') {
    for (const config of TFJS_KERNELS) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
    for (const name of [GELU_KERNEL, GELU_GRAD_KERNEL, ADAMW_KERNEL]) tf.unregisterKernel(name, 'wasm');
  }
  if (wasmBatchMatMulActive() !== (kernels !== 'tfjs')) throw new Error(`the ${kernels} kernels are not running`);
  if (wasmGeluOn() !== (kernels === 'rmlab') || wasmAdamWOn() !== (kernels === 'rmlab')) {
    throw new Error(`the ${kernels} GELU and AdamW are not running`);
  }
}
