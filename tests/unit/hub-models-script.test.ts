// The tiny Hub models in tests/fixtures/hub-models are what scripts/onnx/make_tiny_hub_models.py
// writes: run it again (where Debian's python3-torch is installed; a fresh machine need not have
// it, and the committed files serve the other tests there) and compare every file: the models, configs
// and tokenizers byte for byte; reference.json, what the PyTorch models compute, to float32 rounding,
// since PyTorch's float32 sums come out in the last digit differently on different CPUs (Intel and
// AMD machines here differ at the 7th significant digit).
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

/** Equal in shape, strings and integers; floats within float32 rounding of a few operations. */
function expectClose(made: unknown, committed: unknown, where: string): void {
  if (typeof committed === 'number' && !Number.isInteger(committed)) {
    expect(typeof made, where).toBe('number');
    expect(Math.abs((made as number) - committed), where).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(committed)));
  } else if (Array.isArray(committed)) {
    expect(Array.isArray(made) && made.length === committed.length, where).toBe(true);
    committed.forEach((c, i) => expectClose((made as unknown[])[i], c, `${where}[${i}]`));
  } else if (committed !== null && typeof committed === 'object') {
    expect(Object.keys(made as object).sort(), where).toEqual(Object.keys(committed).sort());
    for (const [k, c] of Object.entries(committed))
      expectClose((made as Record<string, unknown>)[k], c, `${where}.${k}`);
  } else {
    expect(made, where).toEqual(committed);
  }
}

describe('the tiny Hub models script', () => {
  it.skipIf(!hasTorch)(
    'writes the committed fixtures: models byte for byte, their reference outputs to float32 rounding',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'rmlab-hub-models-'));
      try {
        execFileSync(PYTHON, [SCRIPT, out], { stdio: 'pipe', timeout: 240_000 });
        expect(filesUnder(out)).toEqual(filesUnder(FIXTURES));
        for (const file of filesUnder(FIXTURES)) {
          const [made, committed] = [readFileSync(join(out, file)), readFileSync(join(FIXTURES, file))];
          if (file.endsWith('reference.json')) {
            expectClose(JSON.parse(made.toString('utf8')), JSON.parse(committed.toString('utf8')), file);
          } else {
            expect(made.equals(committed), file).toBe(true);
          }
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    300_000,
  );
});
