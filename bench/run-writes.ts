// Bytes a training run writes to IndexedDB for its record and curves, per 1,000 steps, the way the
// worker wrote them before (the whole run record put again at every training event, and the curves
// copied into every checkpoint) and the way it writes them now (src/store/runs.ts: the record without
// curves when it changes, each event's points appended as a chunk; checkpoints without curves).
//
//   nice -n 10 npx tsx bench/run-writes.ts [--steps 1000]
//
// The events are the trainer's at the default configuration: step points read back every 5 steps,
// an evaluation every 25 steps over 200 held-out pairs (their rewards are in every evaluation), a
// checkpoint every 50 steps. Sizes are JSON lengths of the values put (a proxy for what IndexedDB
// stores: structured clones of the same values); checkpoints' weights and Adam moments are left out
// (the same in both schemes). In fake-indexeddb in Node. Figures, not a test.
import 'fake-indexeddb/auto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_TRAIN_CONFIG } from '../src/core/train/config.ts';
import type { EvalPoint, HeldOutMeta, StepPoint } from '../src/core/train/events.ts';
import { openLabDB, type RMLabDatabase, type RunRecord } from '../src/store/db.ts';
import { appendRunPoints, putRun } from '../src/store/runs.ts';

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '1000' } } });
const STEPS = Number(args.steps);
const READ_EVERY = 5;
const EVAL_EVERY = DEFAULT_TRAIN_CONFIG.evalEvery;
const HELD_OUT = DEFAULT_TRAIN_CONFIG.maxHeldOutPairs;
const CHECKPOINT_EVERY = 50;

let written = 0;
let writes = 0;
/** Counts what goes into IndexedDB: every put and add on the lab database, by JSON size. */
function counting(db: RMLabDatabase): RMLabDatabase {
  const size = (value: unknown) =>
    JSON.stringify(value, (k, v: unknown) => (k === 'weights' || k === 'optimizer' ? undefined : v)).length;
  const wrap = (name: 'put' | 'add') => {
    const original = db[name].bind(db) as (...a: unknown[]) => Promise<unknown>;
    (db as unknown as Record<string, unknown>)[name] = (store: string, value: unknown, ...rest: unknown[]) => {
      written += size(value);
      writes++;
      return original(store, value, ...rest);
    };
  };
  wrap('put');
  wrap('add');
  return db;
}

const meta: HeldOutMeta[] = Array.from({ length: HELD_OUT }, (_, i) => ({
  pairId: `pair-${i}`,
  chosenSide: i % 2 ? 'a' : 'b',
  chosenTokens: 100 + (i % 28),
  rejectedTokens: 90 + (i % 38),
}));
const point = (s: number): StepPoint => ({
  step: s,
  epoch: s / 100,
  loss: 0.6931 - s * 1e-5,
  accuracy: 0.5625,
  gradNorm: 1.2345,
  learningRate: 5e-4 * (1 - s / STEPS),
  rewardMean: 0.01234,
  rewardStd: 0.5678,
});
const evaluation = (s: number): EvalPoint => ({
  step: s,
  loss: 0.68,
  accuracy: 0.61,
  meanMargin: 0.12,
  chosenRewards: meta.map((_, i) => Math.sin(i + s)),
  rejectedRewards: meta.map((_, i) => Math.cos(i + s)),
  tieRewards: { a: [], b: [] },
});

function newRun(id: string): RunRecord {
  return {
    id,
    datasetId: 'd',
    datasetName: 'demo',
    config: DEFAULT_TRAIN_CONFIG,
    createdAt: Date.now(),
    status: 'running',
    totalSteps: STEPS,
    heldOut: meta,
    heldOutTies: [],
    steps: [],
    evals: [],
  };
}

/** The run's events in the trainer's order, handed to `on`. */
async function events(on: {
  start: () => Promise<void>;
  steps: (p: StepPoint[]) => Promise<void>;
  eval: (e: EvalPoint) => Promise<void>;
  checkpoint: (step: number) => Promise<void>;
}) {
  await on.start();
  const pending: StepPoint[] = [];
  for (let s = 1; s <= STEPS; s++) {
    pending.push(point(s));
    const evalNow = s % EVAL_EVERY === 0;
    if (pending.length >= READ_EVERY || evalNow || s % CHECKPOINT_EVERY === 0) await on.steps(pending.splice(0));
    if (evalNow) await on.eval(evaluation(s));
    if (s % CHECKPOINT_EVERY === 0) await on.checkpoint(s);
  }
}

async function before(db: RMLabDatabase) {
  const run = newRun('before');
  await events({
    start: () => db.put('runs', run).then(() => {}),
    steps: async (p) => {
      run.steps.push(...p);
      await db.put('runs', run);
    },
    eval: async (e) => {
      run.evals.push(e);
      await db.put('runs', run);
    },
    checkpoint: async (s) => {
      await db.put('checkpoints', {
        runId: run.id,
        step: s,
        steps: run.steps.slice(),
        evals: run.evals.slice(),
      } as never);
      run.checkpoint = { step: s, savedAt: Date.now() };
      await db.put('runs', run);
    },
  });
}

async function after(db: RMLabDatabase) {
  const run = newRun('after');
  await events({
    start: () => putRun(db, run),
    steps: (p) => appendRunPoints(db, run.id, { steps: p }),
    eval: (e) => appendRunPoints(db, run.id, { evals: [e] }),
    checkpoint: async (s) => {
      await db.put('checkpoints', { runId: run.id, step: s } as never);
      run.checkpoint = { step: s, savedAt: Date.now() };
      await putRun(db, run);
    },
  });
}

const db = counting(await openLabDB('rm-lab-run-writes'));
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  command: `nice -n 10 npx tsx bench/run-writes.ts --steps ${STEPS}`,
  loadavg: loadavg(),
  setup: {
    steps: STEPS,
    readEvery: READ_EVERY,
    evalEvery: EVAL_EVERY,
    heldOutPairs: HELD_OUT,
    checkpointEvery: CHECKPOINT_EVERY,
  },
};
for (const [name, scheme] of [
  ['before (whole record per event, curves in each checkpoint)', before],
  ['after (record when it changes, points appended; checkpoints without curves)', after],
] as const) {
  written = 0;
  writes = 0;
  const t0 = performance.now();
  await scheme(db);
  const ms = performance.now() - t0;
  result[name.split(' ')[0]!] = {
    scheme: name,
    writes,
    bytes: written,
    megabytesPer1000Steps: (written / 1e6) * (1000 / STEPS),
    ms,
  };
  console.log(`${name}: ${writes} writes, ${(written / 1e6).toFixed(1)} MB, ${ms.toFixed(0)} ms (fake-indexeddb)`);
}
const b = result.before as { bytes: number };
const a = result.after as { bytes: number };
result.ratio = b.bytes / a.bytes;
console.log(`before / after: ${(b.bytes / a.bytes).toFixed(0)}x fewer bytes written`);
writeFileSync('bench/results/run-writes.json', JSON.stringify(result, null, 2) + '\n');
console.log('wrote bench/results/run-writes.json');
