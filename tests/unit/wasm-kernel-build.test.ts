// The committed .wasm files are their C source, built (scripts/build-kernels.ts): byte for byte,
// where this machine has the compiler they were built with (Debian 12's clang 14 and wasm-ld:
// `apt-get install -y clang lld`). Without it the test is skipped and says why; another clang
// version makes different, equally valid bytes, so it is skipped too rather than failed.
import { describe, expect, it } from 'vitest';
import { check, CLANG, toolchain } from '../../scripts/build-kernels.ts';

const found = toolchain();
const why = !found
  ? 'no clang and wasm-ld here (apt-get install -y clang lld)'
  : !found.clang.startsWith(CLANG)
    ? `${found.clang}, not ${CLANG}`
    : '';

describe('the committed WebAssembly kernels', () => {
  it.skipIf(why !== '')(`are their source built with ${CLANG}${why ? ` (skipped: ${why})` : ''}`, () => {
    expect(check()).toEqual([]);
  });
});
