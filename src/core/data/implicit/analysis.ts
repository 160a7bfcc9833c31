// Coarse analysis of implicit feedback: where users are unhappy, and what they prefer.
// - Thumbs-down rate (downs / thumbs) by model version, by task type and over time, each with a 95%
//   Wilson interval (deterministic, and sane at 0% and 100%: see stats/math.ts).
// - Prompts with consistently negative feedback: at least MIN_DOWNS thumbs-downs and at least
//   NEGATIVE_SHARE of the prompt's thumbs down, matched as the pair rules match prompts.
// - Implicit win rates of model versions: on the derived pairs whose two responses come from two
//   versions, how often each wins (the pairs' own weights are not used: a win is a win), with Wilson
//   intervals; and, given a reward model's regression report on the same versions, the version pairs
//   where users and the reward model disagree on which is better.
import type { Interval } from '../stats/math.ts';
import { wilsonInterval } from '../stats/math.ts';
import type { PairInput } from '../pair.ts';
import { textOf } from '../pair.ts';
import type { FeedbackEvent } from './events.ts';
import { type PromptMatch, promptKeyOf } from './rules/rule.ts';

export const MIN_DOWNS = 2;
export const NEGATIVE_SHARE = 2 / 3;

export interface DownRate extends Interval {
  key: string;
  ups: number;
  downs: number;
  /** downs / (ups + downs) */
  rate: number;
}

export interface NegativePrompt {
  prompt: string;
  ups: number;
  downs: number;
  versions: string[];
  /** A few of the events' ids, to find them in the log. */
  events: string[];
}

export interface ImplicitWinRate extends Interval {
  /** Win rate of x over y on the pairs between them. */
  x: string;
  y: string;
  n: number;
  wins: number;
  rate: number;
}

export interface ImplicitAnalysis {
  thumbs: number;
  overall?: DownRate;
  byModelVersion: DownRate[];
  byTaskType: DownRate[];
  /** Buckets of the events' time (a day, or a week or a month for long logs), in time order. */
  overTime: DownRate[];
  bucket: 'day' | 'week' | 'month';
  negativePrompts: NegativePrompt[];
  winRates: ImplicitWinRate[];
}

const UNKNOWN = '(none)';

function rates(events: readonly FeedbackEvent[], key: (e: FeedbackEvent) => string): DownRate[] {
  const counts = new Map<string, { ups: number; downs: number }>();
  for (const e of events) {
    const k = key(e);
    const c = counts.get(k) ?? { ups: 0, downs: 0 };
    if (e.action === 'thumbs_up') c.ups++;
    else c.downs++;
    counts.set(k, c);
  }
  return [...counts].map(([k, c]) => downRate(k, c.ups, c.downs));
}

function downRate(key: string, ups: number, downs: number): DownRate {
  const n = ups + downs;
  return { key, ups, downs, rate: downs / n, ...wilsonInterval(downs, n) };
}

const DAY = 86_400_000;

function bucketOf(span: number): ImplicitAnalysis['bucket'] {
  if (span <= 90 * DAY) return 'day';
  if (span <= 2 * 365 * DAY) return 'week';
  return 'month';
}

function bucketKey(time: number, bucket: ImplicitAnalysis['bucket']): string {
  const d = new Date(time);
  if (bucket === 'month') return d.toISOString().slice(0, 7);
  if (bucket === 'week') {
    // The Monday (UTC) starting the week.
    const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7)));
    return monday.toISOString().slice(0, 10);
  }
  return d.toISOString().slice(0, 10);
}

export function negativePrompts(thumbs: readonly FeedbackEvent[], match: PromptMatch, limit = 50): NegativePrompt[] {
  const groups = new Map<string, FeedbackEvent[]>();
  for (const e of thumbs) {
    const k = promptKeyOf(e.prompt, match);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  const out: NegativePrompt[] = [];
  for (const group of groups.values()) {
    const downs = group.filter((e) => e.action === 'thumbs_down').length;
    const ups = group.length - downs;
    if (downs < MIN_DOWNS || downs / group.length < NEGATIVE_SHARE) continue;
    out.push({
      prompt: textOf(group[0]!.prompt),
      ups,
      downs,
      versions: [...new Set(group.map((e) => e.modelVersion ?? UNKNOWN))].sort(),
      events: group.slice(0, 5).map((e) => e.id),
    });
  }
  return out.sort((a, b) => b.downs - a.downs || a.ups - b.ups).slice(0, limit);
}

/**
 * Win rates of model versions on derived pairs between two versions; each version pair once, x the
 * version that wins at least half (by name on an even split), most compared pairs first.
 */
export function implicitWinRates(pairs: readonly PairInput[]): ImplicitWinRate[] {
  const wins = new Map<string, { x: string; y: string; xWins: number; n: number }>();
  for (const p of pairs) {
    if (p.modelA === undefined || p.modelB === undefined || p.modelA === p.modelB) continue;
    const winner = p.winner === 'a' ? p.modelA : p.winner === 'b' ? p.modelB : undefined;
    if (winner === undefined) continue;
    const [x, y] = [p.modelA, p.modelB].sort() as [string, string];
    const key = JSON.stringify([x, y]);
    const w = wins.get(key) ?? { x, y, xWins: 0, n: 0 };
    w.n++;
    if (winner === x) w.xWins++;
    wins.set(key, w);
  }
  return [...wins.values()]
    .map((w) => (2 * w.xWins >= w.n ? w : { x: w.y, y: w.x, xWins: w.n - w.xWins, n: w.n }))
    .map((w) => ({ x: w.x, y: w.y, n: w.n, wins: w.xWins, rate: w.xWins / w.n, ...wilsonInterval(w.xWins, w.n) }))
    .sort((a, b) => b.n - a.n);
}

export function analyseFeedback(
  events: readonly FeedbackEvent[],
  pairs: readonly PairInput[],
  match: PromptMatch = 'exact',
): ImplicitAnalysis {
  const thumbs = events.filter((e) => e.action === 'thumbs_up' || e.action === 'thumbs_down');
  const timed = thumbs.filter((e) => e.time !== undefined);
  const times = timed.map((e) => e.time!);
  const span = times.length > 0 ? Math.max(...times) - Math.min(...times) : 0;
  const bucket = bucketOf(span);
  const ups = thumbs.filter((e) => e.action === 'thumbs_up').length;
  const byCount = (a: DownRate, b: DownRate) => b.ups + b.downs - (a.ups + a.downs) || a.key.localeCompare(b.key);
  return {
    thumbs: thumbs.length,
    ...(thumbs.length > 0 ? { overall: downRate('all', ups, thumbs.length - ups) } : {}),
    byModelVersion: rates(thumbs, (e) => e.modelVersion ?? UNKNOWN).sort(byCount),
    byTaskType: rates(thumbs, (e) => e.taskType ?? UNKNOWN).sort(byCount),
    overTime: rates(timed, (e) => bucketKey(e.time!, bucket)).sort((a, b) => a.key.localeCompare(b.key)),
    bucket,
    negativePrompts: negativePrompts(thumbs, match),
    winRates: implicitWinRates(pairs),
  };
}

/** A reward model's win rate of x over y (RegressionReport's WinRate, reduced to what is compared). */
export interface OfflineWinRate {
  x: string;
  y: string;
  rate: number;
  n: number;
}

export interface Disagreement {
  /** The version users prefer, and the one the reward model prefers. */
  usersPrefer: string;
  offlinePrefers: string;
  /** The users' win rate of usersPrefer, and the reward model's win rate of offlinePrefers. */
  usersRate: ImplicitWinRate;
  offlineRate: number;
  offlinePrompts: number;
  /** The users' preference is clear of a coin flip: their 95% interval excludes 0.5. */
  clear: boolean;
}

/**
 * Version pairs where users (implicit win rates) and the reward model (its regression report) prefer
 * different versions: "offline says v2, users say v1". Exactly 0.5 on either side is no preference.
 */
export function disagreements(
  implicit: readonly ImplicitWinRate[],
  offline: readonly OfflineWinRate[],
): Disagreement[] {
  const out: Disagreement[] = [];
  for (const u of implicit) {
    const o = offline.find((w) => (w.x === u.x && w.y === u.y) || (w.x === u.y && w.y === u.x));
    if (o === undefined || u.rate === 0.5) continue;
    const offlineRateX = o.x === u.x ? o.rate : 1 - o.rate; // the model's win rate of u.x over u.y
    if (offlineRateX === 0.5 || u.rate > 0.5 === offlineRateX > 0.5) continue;
    const usersPrefer = u.rate > 0.5 ? u.x : u.y;
    const offlinePrefers = usersPrefer === u.x ? u.y : u.x;
    const usersSide =
      usersPrefer === u.x
        ? u
        : { ...u, x: u.y, y: u.x, wins: u.n - u.wins, rate: 1 - u.rate, lower: 1 - u.upper, upper: 1 - u.lower };
    out.push({
      usersPrefer,
      offlinePrefers,
      usersRate: usersSide,
      offlineRate: usersPrefer === u.x ? 1 - offlineRateX : offlineRateX,
      offlinePrompts: o.n,
      clear: usersSide.lower > 0.5,
    });
  }
  return out;
}
