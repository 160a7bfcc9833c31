// The tiny Hub models in tests/fixtures/hub-models are what scripts/onnx/make_tiny_hub_models.py
// writes: run it again (where Debian's python3-torch is installed; a fresh machine need not have
// it, and the committed files serve the other tests there) and compare every file, byte for byte.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const FIXTURES = fileURLToPath(new URL('../fixtures/hub-models', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../scripts/onnx/make_tiny_hub_models.py', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('the tiny Hub models script', () => {
  it.skipIf(!hasTorch)(
    'writes exactly the committed fixtures',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'rmlab-hub-models-'));
      try {
        execFileSync(PYTHON, [SCRIPT, out], { stdio: 'pipe', timeout: 240_000 });
        expect(filesUnder(out)).toEqual(filesUnder(FIXTURES));
        for (const file of filesUnder(FIXTURES)) {
          expect(readFileSync(join(out, file)).equals(readFileSync(join(FIXTURES, file))), file).toBe(true);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    300_000,
  );
});
