// The baselines every run is measured against, computed once at the run's start on the same
// held-out pairs the reward model is evaluated on (and trained, where they train, on the same
// training pairs), so the page, the model card and the CLI can say how much the model learned beyond
// what a coin, a length rule or a bag of words gets. Accuracy is strict everywhere (a tie is wrong).
import { wilsonInterval, type Interval } from '../../data/stats/math.ts';
import { bagOfWordsMargins, fitBagOfWords, DEFAULT_BAG_OF_WORDS } from './bag-of-words.ts';
import { lengthRuleCorrect } from './length.ts';
import type { TextPair } from './text-pair.ts';

export type { TextPair } from './text-pair.ts';

export type BaselineId = 'chance' | 'longer' | 'shorter' | 'bagOfWords';

export const BASELINE_LABELS: Record<BaselineId, string> = {
  chance: 'chance',
  longer: 'longer response wins',
  shorter: 'shorter response wins',
  bagOfWords: 'bag of words',
};

export interface BaselineResult {
  id: BaselineId;
  /** Held-out pairs it was scored on. */
  n: number;
  /** Pairs it got strictly right; absent for chance, which is 50% by definition. */
  correct?: number;
  accuracy: number;
  /** Wilson 95% interval of the accuracy; absent for chance. */
  interval?: Interval;
}

export interface RunBaselines {
  /** Always 'characters': the length rules count code points of the whole response. */
  lengthUnit: 'characters';
  /** Training pairs the bag-of-words model was fitted on. */
  trainPairs: number;
  results: BaselineResult[];
}

function scored(id: BaselineId, correct: number, n: number): BaselineResult {
  return { id, n, correct, accuracy: n > 0 ? correct / n : Number.NaN, interval: wilsonInterval(correct, n) };
}

/** All four baselines on `heldOut`; the bag of words is fitted on `train` (decisive pairs only). */
export function computeBaselines(train: readonly TextPair[], heldOut: readonly TextPair[]): RunBaselines {
  const n = heldOut.length;
  const results: BaselineResult[] = [
    { id: 'chance', n, accuracy: 0.5 },
    scored('longer', lengthRuleCorrect(heldOut, 'longer'), n),
    scored('shorter', lengthRuleCorrect(heldOut, 'shorter'), n),
  ];
  if (train.length > 0) {
    const model = fitBagOfWords(train, DEFAULT_BAG_OF_WORDS);
    const right = bagOfWordsMargins(model, heldOut).filter((m) => m > 0).length;
    results.push(scored('bagOfWords', right, n));
  }
  return { lengthUnit: 'characters', trainPairs: train.length, results };
}

export type Verdict = 'better' | 'worse' | 'not distinguishable';

/** The reward model's held-out accuracy as counts, with its Wilson 95% interval. */
export interface HeldOutAccuracy {
  correct: number;
  n: number;
  accuracy: number;
  interval: Interval;
}

export function heldOutAccuracy(accuracy: number, n: number): HeldOutAccuracy {
  // Evaluations store the proportion; with n known the count is exact up to rounding.
  const correct = Math.round(accuracy * n);
  return { correct, n, accuracy, interval: wilsonInterval(correct, n) };
}

/**
 * Whether the model beat a baseline: chance is a known 50%, so the model beat it when 50% lies below
 * its interval; another baseline is an estimate too, and the two differ only when their intervals do
 * not overlap (a conservative rule: overlapping intervals can still differ, but cannot be told apart so).
 */
export function verdict(model: HeldOutAccuracy, baseline: BaselineResult): Verdict {
  const lower = baseline.interval?.lower ?? baseline.accuracy;
  const upper = baseline.interval?.upper ?? baseline.accuracy;
  if (model.interval.lower > upper) return 'better';
  if (model.interval.upper < lower) return 'worse';
  return 'not distinguishable';
}

export function percent(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–';
}

/** "51.4% (95% interval 40.0–62.8%, n = 70)". */
export function describeAccuracy(a: { accuracy: number; n: number; interval?: Interval }): string {
  if (!a.interval) return `${percent(a.accuracy)} (n = ${a.n})`;
  return `${percent(a.accuracy)} (95% interval ${percent(a.interval.lower)}–${percent(a.interval.upper)}, n = ${a.n})`;
}

/** One plain sentence: which baselines the model beat, which it lost to, which it cannot be told from. */
export function baselineSentence(model: HeldOutAccuracy, baselines: RunBaselines): string {
  const groups: Record<Verdict, string[]> = { better: [], worse: [], 'not distinguishable': [] };
  for (const b of baselines.results) groups[verdict(model, b)].push(BASELINE_LABELS[b.id]);
  const list = (names: string[]) =>
    names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const parts: string[] = [];
  if (groups.better.length) parts.push(`beat ${list(groups.better)}`);
  if (groups.worse.length) parts.push(`did worse than ${list(groups.worse)}`);
  if (groups['not distinguishable'].length)
    parts.push(`cannot be told apart from ${list(groups['not distinguishable'])} (the 95% intervals overlap)`);
  const said = parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')}, and ${parts.at(-1)}`;
  return `On ${model.n} held-out pairs the reward model, at ${percent(model.accuracy)}, ${said}.`;
}

/** "58.6% [47.0–69.3%] n=70": for tables, where the long form does not fit. */
export function compactAccuracy(a: { accuracy: number; n: number; interval?: Interval }): string {
  if (!a.interval) return `${percent(a.accuracy)} n=${a.n}`;
  return `${percent(a.accuracy)} [${percent(a.interval.lower)}–${percent(a.interval.upper)}] n=${a.n}`;
}

/**
 * The held-out accuracy a run reports: that of its stored model, the evaluation with the lowest
 * held-out loss where the run kept one (else its last), on the run's scored held-out pairs. Undefined
 * before the first evaluation.
 */
export function runHeldOutAccuracy(run: {
  evals: readonly { step: number; accuracy: number; chosenRewards?: readonly number[] }[];
  counts?: { heldOutScored: number };
  best?: { step: number };
}): (HeldOutAccuracy & { step: number }) | undefined {
  const best = run.best;
  const point = (best && run.evals.find((e) => e.step === best.step)) || run.evals.at(-1);
  if (!point) return undefined;
  const n = run.counts?.heldOutScored ?? point.chosenRewards?.length ?? 0;
  return { step: point.step, ...heldOutAccuracy(point.accuracy, n) };
}

const BASELINE_IDS = Object.keys(BASELINE_LABELS) as BaselineId[];

/** Baselines read from outside (a model file's metadata): the shape checked, or undefined when it is not theirs. */
export function parseRunBaselines(value: unknown): RunBaselines | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.results) || typeof v.trainPairs !== 'number') return undefined;
  const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  const results: BaselineResult[] = [];
  for (const r of v.results as Record<string, unknown>[]) {
    if (typeof r !== 'object' || r === null) return undefined;
    if (!BASELINE_IDS.includes(r.id as BaselineId) || !count(r.n) || typeof r.accuracy !== 'number') return undefined;
    const id = r.id as BaselineId;
    const n = r.n as number;
    if (id === 'chance') results.push({ id, n, accuracy: 0.5 });
    else if (count(r.correct) && (r.correct as number) <= n) results.push(scored(id, r.correct as number, n));
    else return undefined;
  }
  return { lengthUnit: 'characters', trainPairs: v.trainPairs, results };
}
