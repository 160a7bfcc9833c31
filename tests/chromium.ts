// Where the tests find Chromium, and how they launch it. Debian's package, not Playwright's
// download (the machines this runs on cannot fetch a browser build).
import { existsSync } from 'node:fs';

/** CHROMIUM_PATH, then Debian's binary; undefined where there is none (scripts/ensure-chromium.mjs explains). */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

export function chromiumPath(): string {
  const found = findChromium();
  if (!found) {
    throw new Error('No Chromium found: set CHROMIUM_PATH to a Chromium binary, or run: apt-get install chromium');
  }
  return found;
}

/**
 * `--enable-unsafe-webgpu` gives Dawn's software adapter (SwiftShader) where there is no GPU;
 * the network flags stop Chromium's background requests, which this machine refuses.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
