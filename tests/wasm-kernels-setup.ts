// Unit tests compute on tfjs's wasm backend with RM Lab's WebAssembly kernels in place, as the CLI
// does (src/cli/backend.ts): the reference tests then check the kernels against PyTorch too.
// Importing the wasm backend registers it above the cpu backend; a test file that sets no backend
// must still get the cpu backend it always had, so that is set here (files that want wasm set it).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels } from '../src/cli/wasm-kernels.ts';

if (!(await installWasmKernels())) throw new Error("RM Lab's WebAssembly kernels did not install");
await tf.setBackend('cpu');
