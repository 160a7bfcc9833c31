// Builds the app as a user gets it (`vite build`) and serves it with `vite preview` on a free
// port of 127.0.0.1, for the end-to-end tests to drive in Chromium.
import { rmSync } from 'node:fs';
import { build, preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';

// One folder per test process, so two test runs at once (a developer and a hook) never share a build.
const OUT_DIR = `dist-e2e-${process.pid}`;
let server: PreviewServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  // Quiet: the bundler's advice on slow plugins (the worker bundle is big by nature) is not a test result.
  await build({
    logLevel: 'warn',
    build: { outDir: OUT_DIR, emptyOutDir: true, rolldownOptions: { checks: { pluginTimings: false } } },
  });
  server = await preview({
    logLevel: 'warn',
    build: { outDir: OUT_DIR },
    preview: { port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report its address');
  project.provide('appUrl', url);
}

export async function teardown(): Promise<void> {
  await server?.close();
  rmSync(OUT_DIR, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
  }
}
