// Regression evaluation of model versions with a reward model: prompts answered by two or more
// versions of a model, every response scored, then per version the mean reward, and per pair of
// versions the reward model's win rate on the prompts both answered, overall and per task type,
// with the prompts where the two differ most.
//
// Confidence intervals (95%):
// - Mean reward: mean +- z * s / sqrt(n) (normal approximation, sample standard deviation).
// - Win rate: Wilson score interval with wins + ties/2 successes out of n prompts. Each prompt is
//   one outcome in {0, 1/2, 1}; for a given mean p its variance is p(1-p) - t/4 (t = tie share),
//   never more than the Bernoulli p(1-p) Wilson assumes, so with ties the interval is slightly
//   conservative and never too narrow. Wilson over a bootstrap because it is deterministic (the same
//   file gives the same report, and a test can check it by hand) and behaves at 0% and 100%,
//   where a percentile bootstrap collapses to a point.
import { keyedRecord } from '../data/keyed.ts';
import { textOf, type Pair } from '../data/pair.ts';
import { wilsonShare, zFor, type Interval } from '../data/stats/math.ts';
import type { RegressionRow } from './score-rows.ts';
import { versionAgreement, type VersionAgreement } from './judge-agreement.ts';

/** One prompt and the response of each version that answered it. */
export interface VersionPrompt {
  prompt: string;
  taskType?: string;
  /** Response text by model version. */
  responses: Record<string, string>;
}

/** A prompt with the reward of each version's response. */
export interface ScoredPrompt extends VersionPrompt {
  rewards: Record<string, number>;
  /** A reference judge's reward of each version's response, when one scored them too (judge-agreement.ts). */
  judgeRewards?: Record<string, number>;
}

export interface VersionMean extends Interval {
  version: string;
  /** Prompts this version answered. */
  n: number;
  mean: number;
}

export interface WinRate extends Interval {
  /** Win rate of `x` over `y`. */
  x: string;
  y: string;
  /** Prompts both answered. */
  n: number;
  wins: number;
  ties: number;
  losses: number;
  /** (wins + ties / 2) / n. */
  rate: number;
}

export interface DifferentSide {
  version: string;
  response: string;
  reward: number;
  /** The reference judge's reward of the same response, when a judge scored the report. */
  judgeReward?: number;
}

export interface DifferentPrompt {
  prompt: string;
  taskType?: string;
  x: DifferentSide;
  y: DifferentSide;
  /** r_x - r_y */
  difference: number;
}

export interface TaskTypeReport {
  taskType: string;
  prompts: number;
  means: VersionMean[];
  winRates: WinRate[];
}

export interface RegressionReport {
  prompts: number;
  /** Best mean reward first. */
  versions: VersionMean[];
  /** Every pair of versions once, x the one listed first in `versions`. */
  winRates: WinRate[];
  byTaskType: TaskTypeReport[];
  /** Per pair of versions (aligned with winRates): the prompts with the largest |r_x - r_y|. */
  mostDifferent: DifferentPrompt[][];
  /** A reference judge's view of the same responses, when one scored them (every prompt). */
  judge?: JudgeView;
}

/** The judge's own means and win rates (its scale, not the model's), and its agreement with the model. */
export interface JudgeView {
  versions: VersionMean[];
  /** Aligned with the report's winRates (same pairs, same order). */
  winRates: WinRate[];
  agreement: VersionAgreement[];
}

/**
 * Merges file rows into one entry per (prompt, task type): one-response-a-line files become a
 * prompt with several versions. A second, different response of a version to the same prompt is
 * an error naming both lines; the same response repeated is kept once.
 */
export function collectPrompts(rows: Iterable<RegressionRow>): VersionPrompt[] {
  const byKey = new Map<string, VersionPrompt & { lines: Record<string, number> }>();
  for (const row of rows) {
    const key = JSON.stringify([row.prompt, row.taskType ?? null]);
    let entry = byKey.get(key);
    if (!entry) {
      entry = {
        prompt: row.prompt,
        responses: keyedRecord<string>(),
        lines: keyedRecord<number>(),
        ...(row.taskType ? { taskType: row.taskType } : {}),
      };
      byKey.set(key, entry);
    }
    for (const [version, response] of Object.entries(row.responses)) {
      const earlier = entry.responses[version];
      if (earlier !== undefined && earlier !== response) {
        throw new Error(
          `line ${row.line}: version "${version}" already answered this prompt differently on line ${entry.lines[version]}`,
        );
      }
      entry.responses[version] = response;
      entry.lines[version] ??= row.line;
    }
  }
  return [...byKey.values()].map(({ lines: _lines, ...prompt }) => prompt);
}

/**
 * A dataset's pairs as prompts answered by versions (model_a_version / model_b_version). Pairs
 * without both versions are skipped (counted in `skipped`); a prompt answered by the same version
 * in several pairs keeps its first response.
 */
export function promptsFromPairs(pairs: Iterable<Pair>): { prompts: VersionPrompt[]; skipped: number } {
  const byKey = new Map<string, VersionPrompt>();
  let skipped = 0;
  for (const pair of pairs) {
    if (!pair.modelA || !pair.modelB || pair.modelA === pair.modelB) {
      skipped++;
      continue;
    }
    const prompt = textOf(pair.prompt);
    const key = JSON.stringify([prompt, pair.taskType ?? null]);
    let entry = byKey.get(key);
    if (!entry) {
      entry = { prompt, responses: keyedRecord<string>(), ...(pair.taskType ? { taskType: pair.taskType } : {}) };
      byKey.set(key, entry);
    }
    entry.responses[pair.modelA] ??= textOf(pair.responseA);
    entry.responses[pair.modelB] ??= textOf(pair.responseB);
  }
  return { prompts: [...byKey.values()], skipped };
}

/** Mean reward per version with its normal-approximation interval, best first. */
export function versionMeans(scored: readonly ScoredPrompt[], confidence = 0.95): VersionMean[] {
  const values = new Map<string, number[]>();
  for (const p of scored) {
    for (const [version, reward] of Object.entries(p.rewards)) {
      let list = values.get(version);
      if (!list) values.set(version, (list = []));
      list.push(reward);
    }
  }
  const z = zFor(confidence);
  return [...values]
    .map(([version, rewards]) => {
      const n = rewards.length;
      const mean = rewards.reduce((a, b) => a + b, 0) / n;
      const sd = n > 1 ? Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1)) : Number.NaN;
      const half = (z * sd) / Math.sqrt(n);
      return { version, n, mean, lower: mean - half, upper: mean + half };
    })
    .sort((a, b) => b.mean - a.mean || a.version.localeCompare(b.version));
}

/** The reward model's win rate of `x` over `y` on the prompts both answered; equal rewards count half. */
export function winRate(scored: readonly ScoredPrompt[], x: string, y: string, confidence = 0.95): WinRate {
  let wins = 0;
  let ties = 0;
  let losses = 0;
  for (const p of scored) {
    const rx = p.rewards[x];
    const ry = p.rewards[y];
    if (rx === undefined || ry === undefined) continue;
    if (rx > ry) wins++;
    else if (rx < ry) losses++;
    else ties++;
  }
  const n = wins + ties + losses;
  const k = wins + ties / 2;
  return { x, y, n, wins, ties, losses, rate: n ? k / n : Number.NaN, ...wilsonShare(k, n, confidence) };
}

/** Every pair of versions once, in the order given (x before y). */
function versionPairs(versions: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  versions.forEach((x, i) => versions.slice(i + 1).forEach((y) => out.push([x, y])));
  return out;
}

/** The prompts where the rewards of x and y differ most, largest |r_x - r_y| first. */
export function mostDifferent(scored: readonly ScoredPrompt[], x: string, y: string, limit = 5): DifferentPrompt[] {
  const both = scored.filter((p) => p.rewards[x] !== undefined && p.rewards[y] !== undefined);
  return both
    .map((p) => ({ p, d: p.rewards[x]! - p.rewards[y]! }))
    .sort((a, b) => Math.abs(b.d) - Math.abs(a.d))
    .slice(0, limit)
    .map(({ p, d }) => ({
      prompt: p.prompt,
      ...(p.taskType !== undefined ? { taskType: p.taskType } : {}),
      x: sideOf(p, x),
      y: sideOf(p, y),
      difference: d,
    }));
}

function sideOf(p: ScoredPrompt, version: string): DifferentSide {
  const judgeReward = p.judgeRewards?.[version];
  return {
    version,
    response: p.responses[version]!,
    reward: p.rewards[version]!,
    ...(judgeReward !== undefined ? { judgeReward } : {}),
  };
}

export interface ReportOptions {
  confidence?: number;
  /** Most-different prompts kept per pair of versions. */
  differentLimit?: number;
}

export function regressionReport(scored: readonly ScoredPrompt[], options: ReportOptions = {}): RegressionReport {
  const confidence = options.confidence ?? 0.95;
  const versions = versionMeans(scored, confidence);
  const pairs = versionPairs(versions.map((v) => v.version));
  const taskTypes = [...new Set(scored.flatMap((p) => (p.taskType !== undefined ? [p.taskType] : [])))].sort();
  return {
    prompts: scored.length,
    versions,
    winRates: pairs.map(([x, y]) => winRate(scored, x, y, confidence)),
    byTaskType: taskTypes.map((taskType) => {
      const slice = scored.filter((p) => p.taskType === taskType);
      return {
        taskType,
        prompts: slice.length,
        means: versionMeans(slice, confidence),
        // The overall order of versions, so a row of the table reads the same in every task type.
        winRates: pairs.map(([x, y]) => winRate(slice, x, y, confidence)).filter((w) => w.n > 0),
      };
    }),
    mostDifferent: pairs.map(([x, y]) => mostDifferent(scored, x, y, options.differentLimit ?? 5)),
    ...(scored.length > 0 && scored.every((p) => p.judgeRewards)
      ? { judge: judgeView(scored, pairs, confidence) }
      : {}),
  };
}

/** The judge's means and win rates on its own rewards, in the model's order of pairs, and where it agrees. */
function judgeView(scored: readonly ScoredPrompt[], pairs: [string, string][], confidence: number): JudgeView {
  const judged = scored.map((p) => ({ ...p, rewards: p.judgeRewards! }));
  return {
    versions: versionMeans(judged, confidence),
    winRates: pairs.map(([x, y]) => winRate(judged, x, y, confidence)),
    agreement: pairs.map(([x, y]) =>
      versionAgreement(
        scored.map((p) => ({ rewards: p.rewards, judgeRewards: p.judgeRewards! })),
        x,
        y,
        confidence,
      ),
    ),
  };
}

/** Every (prompt, response) to score, once each, and how to put the rewards back on the prompts. */
export function responsesToScore(prompts: readonly VersionPrompt[]): {
  items: { prompt: string; response: string }[];
  attach: (rewards: ArrayLike<number>, judgeRewards?: ArrayLike<number>) => ScoredPrompt[];
} {
  const items: { prompt: string; response: string }[] = [];
  const slots: [number, string][][] = prompts.map((p) =>
    Object.entries(p.responses).map(([version, response]) => {
      items.push({ prompt: p.prompt, response });
      return [items.length - 1, version];
    }),
  );
  return {
    items,
    attach: (rewards, judgeRewards) =>
      prompts.map((p, i) => ({
        ...p,
        rewards: keyedRecord(slots[i]!.map(([slot, version]) => [version, rewards[slot]!] as const)),
        ...(judgeRewards
          ? { judgeRewards: keyedRecord(slots[i]!.map(([slot, version]) => [version, judgeRewards[slot]!] as const)) }
          : {}),
      })),
  };
}

/** The win rate of x over y from a report's list (which holds each pair once, either way round). */
export function winRateOf(winRates: readonly WinRate[], x: string, y: string): WinRate | undefined {
  const same = winRates.find((w) => w.x === x && w.y === y);
  if (same) return same;
  const w = winRates.find((v) => v.x === y && v.y === x);
  if (!w) return undefined;
  // The same prompts seen from y's side: y's losses are x's wins, and the interval flips.
  return { ...w, x, y, wins: w.losses, losses: w.wins, rate: 1 - w.rate, lower: 1 - w.upper, upper: 1 - w.lower };
}
