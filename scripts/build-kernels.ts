// Builds RM Lab's WebAssembly kernels from their C source, reproducibly:
//   npm run build:kernels            (= npx tsx scripts/build-kernels.ts) writes src/core/model/ops/wasm/*.wasm
//   npm run build:kernels -- --check builds into a temporary folder and compares with the committed files
//
// Both builds are committed (a fresh machine may have no clang); this script remakes them byte for
// byte with Debian 12's clang 14 and wasm-ld (`apt-get install -y clang lld`). Another clang version
// makes different (equally valid) bytes: --check says so rather than calling that a mismatch.
//
// Every module imports tfjs's memory and works in it, so it must own none (see batch-matmul.c): the
// build fails if the linked module has a data section, imports anything but env.memory, or its code
// touches a global (the C stack pointer is the only one wasm-ld defines).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'src/core/model/ops/wasm');
/** The compiler the committed files were built with (`clang --version`, first line). */
export const CLANG = 'Debian clang version 14.0.6';

const COMPILE = ['--target=wasm32', '-O3', '-msimd128', '-ffreestanding', '-fno-builtin', '-nostdlib'];
// -z stack-size=0: no C stack is reserved (none may be used: the memory is tfjs's).
const LINK = ['--no-entry', '--import-memory', '--strip-all', '-z', 'stack-size=0'];
/** One module of every kernel (module.ts binds it once per backend); each source is one op. */
const SOURCES = ['adamw.c', 'batch-matmul.c', 'column-sum.c', 'gather-rows.c', 'gelu.c'];
const BUILDS = [
  { out: 'kernels.wasm', compile: [], link: [] },
  {
    // For tfjs's threaded build, whose memory is shared: a module imports a shared memory only if it
    // declares it shared (which takes the atomics feature) with tfjs's maximum, 4 GiB, or more.
    out: 'kernels-shared.wasm',
    compile: ['-matomics', '-mbulk-memory'],
    link: ['--shared-memory', '--max-memory=4294967296'],
  },
];

function tool(name: string): string | null {
  try {
    return execFileSync(name, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

/** The clang and wasm-ld versions found, or null where either is missing. */
export function toolchain(): { clang: string; lld: string } | null {
  const clang = tool('clang');
  const lld = tool('wasm-ld');
  return clang && lld ? { clang, lld } : null;
}

/** Sections of a wasm binary: [id, payload] pairs. */
function sections(bytes: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  let p = 8;
  const leb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++]!;
      v |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return v >>> 0;
      shift += 7;
    }
  };
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = leb();
    out.push([id, bytes.subarray(p, p + size)]);
    p += size;
  }
  return out;
}

function checkOwnsNoMemory(file: string): void {
  const bytes = readFileSync(file);
  const ids = sections(bytes).map(([id]) => id);
  if (ids.includes(11) || ids.includes(12)) throw new Error(`${file}: has a data section`);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  if (imports.length !== 1 || imports[0]!.module !== 'env' || imports[0]!.name !== 'memory') {
    throw new Error(`${file}: imports ${JSON.stringify(imports)}, expected only env.memory`);
  }
  const objdump = ['llvm-objdump', 'llvm-objdump-14'].find((t) => tool(t));
  if (!objdump) {
    console.warn(`no llvm-objdump: not checked that ${file} leaves the C stack alone`);
    return;
  }
  const code = execFileSync(objdump, ['-d', file], { encoding: 'utf8' });
  if (/global\.(get|set)/.test(code)) throw new Error(`${file}: uses a global (the C stack?)`);
}

/** Compiles and links every build into `dir`; returns the output paths. */
export function build(dir: string): string[] {
  const outs: string[] = [];
  for (const b of BUILDS) {
    const objects = SOURCES.map((source) => join(dir, `${b.out}.${source}.o`));
    const out = join(dir, b.out);
    SOURCES.forEach((source, i) => {
      execFileSync('clang', [...COMPILE, ...b.compile, '-c', join(DIR, source), '-o', objects[i]!], {
        stdio: 'inherit',
      });
    });
    execFileSync('wasm-ld', [...LINK, ...b.link, ...objects, '-o', out], { stdio: 'inherit' });
    objects.forEach((o) => rmSync(o));
    chmodSync(out, 0o644); // wasm-ld marks its output executable; a .wasm is data
    checkOwnsNoMemory(out);
    outs.push(out);
  }
  return outs;
}

/** Builds into a temporary folder; the names of committed files that differ from the build. */
export function check(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'rmlab-kernels-'));
  try {
    build(dir);
    return BUILDS.filter((b) => !readFileSync(join(dir, b.out)).equals(readFileSync(join(DIR, b.out)))).map(
      (b) => b.out,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = toolchain();
  if (!found) {
    console.error('clang and wasm-ld are needed: apt-get install -y clang lld');
    process.exit(1);
  }
  if (!found.clang.startsWith(CLANG)) {
    console.warn(`${found.clang}: the committed files were built with ${CLANG}; expect different bytes`);
  }
  if (process.argv.includes('--check')) {
    const differ = check();
    if (differ.length) {
      console.error(`differ from their build: ${differ.join(', ')} (npm run build:kernels remakes them)`);
      process.exit(1);
    }
    console.log('the committed kernels are their source, built');
  } else {
    for (const out of build(DIR)) console.log(`wrote ${out}`);
  }
}
