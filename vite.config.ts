/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';
import { findChromium, CHROMIUM_ARGS } from './tests/chromium.ts';

/**
 * WebAssembly threads need a cross-origin isolated page (SharedArrayBuffer), which takes these two
 * headers on the page and on every worker script. Everything the app loads is same-origin; a dataset
 * fetched from another origin by URL still loads where that server allows CORS (as it must anyway).
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Makes tfjs-backend-wasm's threaded build work when bundled. Its pthreads (classic workers the
 * backend starts itself) load the Emscripten module from a Blob that tfjs builds as
 * `'var WasmBackendModuleThreadedSimd = ' + factory.toString()`: the source text of the bundled
 * function. Minified, that function refers to a variable of its enclosing scope (`_scriptDir`,
 * renamed `e`, its `typeof` guard dropped because the minifier can see the declaration), which does
 * not exist in the pthread: "ReferenceError: e is not defined" in every one, and the backend never
 * starts. The fix hands the pthreads the package's own, unbundled script instead (the same file,
 * which declares `WasmBackendModuleThreadedSimd` itself), as a string in the bundle. The main side
 * keeps running the bundled copy; both speak the same message protocol (quoted property names,
 * which no minifier renames). Fails the build if a new tfjs version changes the line it rewrites.
 */
export function tfjsWasmThreads(): Plugin {
  const require = createRequire(import.meta.url);
  const blobSource = /`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)/;
  const rewrite = (code: string, id: string): string | undefined => {
    if (!/[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/.test(id.split('?')[0]!)) return;
    if (!blobSource.test(code)) {
      throw new Error(`tfjsWasmThreads: ${id} no longer builds its pthread script as expected; see vite.config.ts`);
    }
    const file = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    return code.replace(blobSource, () => JSON.stringify(readFileSync(file, 'utf8')));
  };
  return {
    name: 'rm-lab:tfjs-wasm-threads',
    enforce: 'pre',
    transform: (code, id) => rewrite(code, id),
    // The dev server (and Vitest's browser mode) pre-bundles dependencies with its own plugin list:
    // rewrite there too. Listed up front so a test that first imports it does not reload the page.
    config: () => ({
      optimizeDeps: {
        include: ['@tensorflow/tfjs-backend-wasm'],
        rolldownOptions: {
          plugins: [{ name: 'rm-lab:tfjs-wasm-threads', transform: (code: string, id: string) => rewrite(code, id) }],
        },
      },
    }),
  };
}

export default defineConfig({
  plugins: [svelte(), tfjsWasmThreads()],
  // A relative base lets the built site be served from any static host, under any sub-path.
  base: './',
  // Workers are bundled with their own plugin list: the lab worker is where the WASM backend runs.
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  server: { host: '127.0.0.1', port: 5173, headers: CROSS_ORIGIN_ISOLATION },
  // The dev server pre-bundles the dependencies it finds from index.html; the workers' (tfjs, the
  // tokenizers, fflate) it met only once the page had started them, re-optimised and reloaded the
  // page seconds after load, losing a first click. Scanning the workers too finds them up front
  // (tests/e2e/first-visit.test.ts).
  optimizeDeps: { entries: ['index.html', 'src/worker/*.worker.ts'] },
  preview: { host: '127.0.0.1', port: 4173, headers: CROSS_ORIGIN_ISOLATION },
  test: {
    projects: [
      {
        extends: true,
        // Training tests run real (tiny) models on tfjs's CPU backend: seconds each, more on a busy machine.
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          setupFiles: ['tests/quiet-tfjs.ts', 'tests/wasm-kernels-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          // A Hub on 127.0.0.1 serving the tiny Transformers.js models (Node side; the tests inject its URL).
          globalSetup: ['tests/browser/global-setup.ts'],
          // WebGPU on the software adapter compiles shaders slowly: one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: findChromium(), args: CHROMIUM_ARGS } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/e2e/global-setup.ts'],
          // Some e2e tests build model files with tfjs in Node (tests/tiny-bert.ts).
          setupFiles: ['tests/quiet-tfjs.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
