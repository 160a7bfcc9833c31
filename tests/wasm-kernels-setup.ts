// Unit tests compute on tfjs's wasm backend with RM Lab's WebAssembly kernels in place, as the CLI
// does (src/cli/backend.ts): the reference tests then check the kernels against PyTorch too.
import '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels } from '../src/cli/wasm-kernels.ts';

if (!(await installWasmKernels())) throw new Error("RM Lab's WebAssembly kernels did not install");
