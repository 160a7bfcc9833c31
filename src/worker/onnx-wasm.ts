// Tells the Hub model loader where Vite put ONNX Runtime's WebAssembly build (the asyncify
// variant, which the WebGPU bundle of onnxruntime-web that Transformers.js imports expects), so it
// is fetched from the app's own origin, never from a CDN, and works offline once cached. Only
// URLs here: the 27 MB .wasm is downloaded the first time a Hub model is loaded, not before.
// Imported for its side effect by the lab worker.
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { setOnnxWasmPaths } from './hub-pipelines.ts';

// Absolute: the library fetches them from inside a worker whose base URL is the worker script's.
setOnnxWasmPaths({
  mjs: new URL(ortMjsUrl, self.location.href).href,
  wasm: new URL(ortWasmUrl, self.location.href).href,
});
