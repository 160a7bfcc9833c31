// Does strategic sampling save labels? Simulated labelling on the demo data (PandaLM test set),
// with its own labels as the oracle.
//   nice -n 10 npx tsx bench/active-learning.ts [seeds=10]
// For each seed: prompts are split 75/25 (grouped by prompt, so no prompt is on both sides); the
// training side is the pool of items to label, the held-out side's decisive pairs are the test.
// Every strategy starts from the same 20 random labels, then labels 10 items at a time in its own
// order (the app's queueOrder: random, uncertainty under the preference head refitted on the labels
// so far, version-balanced), the oracle answering with the dataset's winner (ties included: a tie
// costs a label like any other). After every 10 labels the head (the app's PreferenceHead, the model
// the labelling screen uses) is refitted and its held-out accuracy recorded. Same oracle, same split,
// same starting labels, same model for every strategy within a seed.
// Labels saved: for a budget B, the random curve's mean accuracy at B is the target; a strategy
// reaches it at the first label count from which its mean curve stays at or above it up to B;
// saved = 1 - that count / B. Random's own figure is there as the noise floor of this measure. Writes bench/results/active-learning.json
// and active-learning.svg. It asserts nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { makeItem } from '../src/core/collect/candidates.ts';
import type { Label, LabelItem } from '../src/core/collect/item.ts';
import { PreferenceHead, responseFeatures, type PreferenceExample } from '../src/core/collect/preference-head.ts';
import { queueOrder, type Strategy } from '../src/core/collect/queue.ts';
import { uniformOf } from '../src/core/data/hash.ts';
import { rmlabToPair } from '../src/core/data/formats/rmlab.ts';
import { textOf, type PairInput, type Winner } from '../src/core/data/pair.ts';

const SEEDS = Number(process.argv[2] ?? 10);
const START = 20;
const STEP = 10;
const HELD_OUT = 0.25;
const STRATEGIES: Strategy[] = ['random', 'uncertainty', 'versions'];
const BUDGETS = [100, 200, 300, 400];

const pairs: PairInput[] = readFileSync('public/demo/pandalm-testset.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((line) => rmlabToPair(JSON.parse(line)));

interface Example {
  item: LabelItem;
  winner: Winner;
  f: { a: ReturnType<typeof responseFeatures>; b: ReturnType<typeof responseFeatures> };
}
// One example per item: the file repeats some comparisons (86 items fill 222 rows), and a repeated
// comparison is one item in a labelling project. The first row's winner is its oracle label.
const seen = new Set<string>();
const all: Example[] = pairs.flatMap((p) => {
  const item = makeItem({
    prompt: p.prompt,
    responseA: p.responseA,
    responseB: p.responseB,
    modelA: p.modelA,
    modelB: p.modelB,
    taskType: p.taskType,
  });
  if (seen.has(item.id)) return [];
  seen.add(item.id);
  return [
    {
      item,
      winner: p.winner,
      f: { a: responseFeatures(textOf(p.responseA)), b: responseFeatures(textOf(p.responseB)) },
    },
  ];
});

function target(w: Winner): number | undefined {
  return w === 'a' ? 1 : w === 'b' ? 0 : w === 'tie' ? 0.5 : undefined;
}

function fit(labelled: Example[], seed: number): PreferenceHead {
  const examples: PreferenceExample[] = [];
  for (const e of labelled) {
    const y = target(e.winner);
    if (y !== undefined) examples.push({ ...e.f, y });
  }
  const head = new PreferenceHead({ seed });
  head.fit(examples);
  return head;
}

function accuracy(head: PreferenceHead, test: Example[]): number {
  let right = 0;
  for (const e of test) if (head.probabilityA(e.f.a, e.f.b) > 0.5 === (e.winner === 'a')) right++;
  return right / test.length;
}

function run(
  strategy: Strategy,
  seed: number,
  pool: Example[],
  test: Example[],
): { labels: number[]; accuracy: number[] } {
  const byId = new Map(pool.map((e) => [e.item.id, e]));
  const items = pool.map((e) => e.item);
  // the same starting labels for every strategy: the random order's first START
  const start = queueOrder(items, [], { strategy: 'random', seed, annotatorId: 'oracle', overlapShare: 0 }).slice(
    0,
    START,
  );
  const labelled: Example[] = start.map((i) => byId.get(i.id)!);
  const labels: Label[] = labelled.map((e, n) => ({
    id: String(n),
    projectId: 'bench',
    itemId: e.item.id,
    annotatorId: 'oracle',
    winner: e.winner,
    shownLeft: 'a',
    guidelineVersion: 1,
    timeTakenMs: 0,
    timestamp: String(n).padStart(6, '0'),
  }));
  const curve = { labels: [] as number[], accuracy: [] as number[] };
  for (;;) {
    const head = fit(labelled, seed);
    curve.labels.push(labelled.length);
    curve.accuracy.push(accuracy(head, test));
    if (labelled.length >= pool.length) break;
    const probabilityA =
      strategy === 'uncertainty' ? new Map(pool.map((e) => [e.item.id, head.probabilityA(e.f.a, e.f.b)])) : undefined;
    const next = queueOrder(items, labels, { strategy, seed, annotatorId: 'oracle', overlapShare: 0, probabilityA });
    if (next.length === 0)
      throw new Error(`the ${strategy} queue ran dry at ${labelled.length} of ${pool.length} items`);
    for (const item of next.slice(0, STEP)) {
      const e = byId.get(item.id)!;
      labelled.push(e);
      labels.push({
        ...labels[0]!,
        id: String(labels.length),
        itemId: item.id,
        winner: e.winner,
        timestamp: String(labels.length).padStart(6, '0'),
      });
    }
  }
  return curve;
}

const started = performance.now();
const results: Record<Strategy, { labels: number[]; accuracy: number[] }[]> = {
  random: [],
  uncertainty: [],
  versions: [],
};
for (let seed = 1; seed <= SEEDS; seed++) {
  const isTest = (e: Example) => uniformOf(`split:${textOf(e.item.prompt)}`, seed) < HELD_OUT;
  const pool = all.filter((e) => !isTest(e));
  const test = all.filter((e) => isTest(e) && (e.winner === 'a' || e.winner === 'b'));
  for (const strategy of STRATEGIES) results[strategy].push(run(strategy, seed, pool, test));
}
const seconds = (performance.now() - started) / 1000;

// mean curves over seeds, on the label counts every run has
const length = Math.min(
  ...Object.values(results)
    .flat()
    .map((c) => c.labels.length),
);
const labelsAxis = results.random[0]!.labels.slice(0, length);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const curves = Object.fromEntries(
  STRATEGIES.map((s) => [
    s,
    {
      mean: labelsAxis.map((_, k) => mean(results[s].map((c) => c.accuracy[k]!))),
      sd: labelsAxis.map((_, k) => sd(results[s].map((c) => c.accuracy[k]!))),
    },
  ]),
) as Record<Strategy, { mean: number[]; sd: number[] }>;

const savings = BUDGETS.filter((b) => labelsAxis.includes(b)).map((budget) => {
  const k = labelsAxis.indexOf(budget);
  const goal = curves.random.mean[k]!;
  const reached = Object.fromEntries(
    STRATEGIES.map((s) => {
      // the first count from which the mean curve stays at or above the goal up to the budget:
      // a noisy curve that touches the goal once and falls back has not reached it
      let first = -1;
      for (let j = k; j >= 0 && curves[s].mean[j]! >= goal; j--) first = j;
      const n = first < 0 ? undefined : labelsAxis[first]!;
      return [s, { labels: n ?? null, saved: n === undefined ? null : 1 - n / budget }];
    }),
  );
  return { budget, randomAccuracy: goal, ...reached };
});

const poolSize = results.random[0]!.labels.at(-1)!;
const summary = {
  what: "simulated labelling of the demo data (PandaLM test set, its winners as the oracle): held-out accuracy of the labelling screen's preference head against labels used",
  seeds: SEEDS,
  start: START,
  step: STEP,
  heldOutShare: HELD_OUT,
  poolSize,
  model:
    'PreferenceHead (hashed word+bigram pairwise logistic regression with log length), refitted from zero every 10 labels',
  savings,
  labels: labelsAxis,
  curves,
  seconds,
  load: readFileSync('/proc/loadavg', 'utf8').trim(),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/active-learning.json', JSON.stringify(summary, null, 1) + '\n');
writeFileSync('bench/results/active-learning.svg', chart(labelsAxis, curves));
console.log(`${SEEDS} seeds, pool ${poolSize}, ${seconds.toFixed(1)} s, load ${summary.load}`);
for (const s of savings) console.log(JSON.stringify(s));

/** The mean curves with a band of one standard deviation, as a small self-contained SVG. */
function chart(x: number[], curves: Record<Strategy, { mean: number[]; sd: number[] }>): string {
  const W = 720,
    H = 420,
    L = 60,
    R = 160,
    T = 30,
    B = 50;
  const all = Object.values(curves).flatMap((c) => c.mean.flatMap((m, i) => [m - c.sd[i]!, m + c.sd[i]!]));
  const y0 = Math.floor(Math.min(...all) * 20) / 20;
  const y1 = Math.ceil(Math.max(...all) * 20) / 20;
  const px = (v: number) => L + ((v - x[0]!) / (x.at(-1)! - x[0]!)) * (W - L - R);
  const py = (v: number) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const colours: Record<Strategy, string> = { random: '#6b7280', uncertainty: '#2563eb', versions: '#d97706' };
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n`;
  svg += `<rect width="${W}" height="${H}" fill="white"/>\n`;
  svg += `<text x="${L}" y="18" font-size="14">Held-out accuracy against labels used (mean of ${SEEDS} seeds, band: ±1 sd)</text>\n`;
  for (let v = y0; v <= y1 + 1e-9; v += 0.05) {
    svg += `<line x1="${L}" x2="${W - R}" y1="${py(v)}" y2="${py(v)}" stroke="#e5e7eb"/><text x="${L - 8}" y="${py(v) + 4}" text-anchor="end">${Math.round(v * 100)}%</text>\n`;
  }
  for (let v = 0; v <= x.at(-1)!; v += 100) {
    if (v < x[0]!) continue;
    svg += `<line x1="${px(v)}" x2="${px(v)}" y1="${T}" y2="${H - B}" stroke="#f3f4f6"/><text x="${px(v)}" y="${H - B + 18}" text-anchor="middle">${v}</text>\n`;
  }
  svg += `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">labels used</text>\n`;
  for (const [i, s] of STRATEGIES.entries()) {
    const c = curves[s];
    const upper = x.map((v, k) => `${px(v)},${py(c.mean[k]! + c.sd[k]!)}`);
    const lower = x.map((v, k) => `${px(v)},${py(c.mean[k]! - c.sd[k]!)}`).reverse();
    svg += `<polygon points="${[...upper, ...lower].join(' ')}" fill="${colours[s]}" opacity="0.12"/>\n`;
    svg += `<polyline points="${x.map((v, k) => `${px(v)},${py(c.mean[k]!)}`).join(' ')}" fill="none" stroke="${colours[s]}" stroke-width="2"/>\n`;
    svg += `<line x1="${W - R + 15}" x2="${W - R + 40}" y1="${T + 20 + i * 20}" y2="${T + 20 + i * 20}" stroke="${colours[s]}" stroke-width="3"/><text x="${W - R + 45}" y="${T + 24 + i * 20}">${s}</text>\n`;
  }
  return svg + '</svg>\n';
}
