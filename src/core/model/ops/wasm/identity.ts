// tfjs's Identity on the 'wasm' backend, sharing the tensor's memory instead of copying it.
//
// tfjs's engine runs Identity to keep every tensor a kernel or a custom gradient saves for the
// backward pass (engine.clone), and tfjs-backend-wasm 4.22 copies the whole tensor there: 5.5% of
// a built-in transformer training step (tf.profile, after the matrix-product kernel). Tensors are
// immutable and the backend counts references to each buffer (its own Reshape shares one the same
// way, as tfjs's cpu backend's Identity does), so a second reference is enough.
import * as tf from '@tensorflow/tfjs';

interface WasmBackend {
  incRef(dataId: object): void;
}

let plain: tf.KernelConfig | undefined;

function identity(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend }): tf.TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') return (plain!.kernelFunc as unknown as (a: typeof args) => tf.TensorInfo)(args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Puts the sharing Identity in place of tfjs's for 'wasm' (tfjs-backend-wasm must be imported first). */
export function installWasmIdentity(): void {
  if (plain) return;
  plain = tf.getKernel(tf.Identity, 'wasm');
  if (!plain) throw new Error("tfjs's wasm backend is not registered (import @tensorflow/tfjs-backend-wasm first)");
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identity as unknown as tf.KernelFunc });
}

/** Puts tfjs's copying Identity back (benchmarks compare the two). */
export function uninstallWasmIdentity(): void {
  if (!plain) return;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(plain);
  plain = undefined;
}
