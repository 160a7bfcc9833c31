// What the benchmarks that compare arms over seeds share (defaults.ts, word-vectors.ts): each
// (arm, seed) run in a child process of the same script, a few at a time, finished runs kept in a
// file as they end so that a rerun on the shared machine trains only what is missing, and the
// summary arithmetic.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** The value after `--name` on the command line, or `fallback`. */
export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

export interface ArmSeed {
  arm: string;
  seed: number;
}

/**
 * Runs `script` (the calling benchmark, under the same Node flags) with `args` in a child process
 * and parses the JSON object on the last line of its stdout; its stderr goes to ours.
 */
export function runChild<R>(script: string, args: string[], job: ArmSeed): Promise<R> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`run ${job.arm} seed ${job.seed} failed (exit ${code})`));
      else resolve(JSON.parse(line) as R);
    });
  });
}

/** The runs kept in `file` (one JSON object a line) that `matches` accepts; none where there is no file. */
export function keptRuns<R>(file: string, matches: (run: R) => boolean): R[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as R)
    .filter(matches);
}

/**
 * The (arm, seed) runs still to do, seed-major (every arm gets its first seeds early, so a cut-short
 * set still pairs arms by seed); the ones found in `done` are added to `runs` instead.
 */
export function runsToDo<R extends ArmSeed>(seeds: number[], arms: string[], done: R[], runs: R[]): ArmSeed[] {
  return seeds
    .flatMap((seed) => arms.map((arm) => ({ arm, seed })))
    .filter(({ arm, seed }) => {
      const kept = done.find((r) => r.arm === arm && r.seed === seed);
      if (kept) runs.push(kept);
      return !kept;
    });
}

/** Works through `queue` with `jobs` runs at a time. */
export async function runQueue(queue: ArmSeed[], jobs: number, work: (job: ArmSeed) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await work(next);
    }),
  );
}

export const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
export const sd = (xs: number[]) =>
  Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
