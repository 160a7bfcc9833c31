// A leaderboard of model versions fitted from the human labels: the Bradley-Terry model with ties
// of Davidson (1970), "On extending the Bradley-Terry model to accommodate ties in paired
// comparison experiments", JASA 65(329):317-328. Model i has strength pi_i > 0 and, for a game
// between i and j, with D = pi_i + pi_j + nu sqrt(pi_i pi_j):
//   P(i wins) = pi_i / D,   P(j wins) = pi_j / D,   P(tie) = nu sqrt(pi_i pi_j) / D.
// nu >= 0 sets how common ties are: two equal models tie with probability nu / (2 + nu).
// Wins over losses stay pi_i / pi_j, as in Bradley-Terry, so the Elo-like scale keeps its meaning.
//
// Every pair with both model names is one game; winner tie and both_bad both count as a tie (a
// both-bad pair says neither response is better, which is what a tie says to the fit; the counts
// keep them apart). A pair of one model against itself is left out.
//
// Fit: maximum likelihood by a minorise-maximise (MM) algorithm in the manner of Hunter (2004),
// "MM algorithms for generalized Bradley-Terry models", Annals of Statistics 32(1):384-406. With
// the current values (pi, nu), -log D is minorised by its tangent, -D / D_current + const, and
// sqrt(pi_i pi_j) in D is bounded above by the AM-GM inequality at the current ratio; the bound is
// separable and maximised in closed form:
//   pi_i <- (W_i + T_i / 2) / sum_j n_ij (1 + (nu / 2) sqrt(pi_j / pi_i)) / D_ij,
// W_i wins, T_i ties of model i, n_ij games between i and j (this is Davidson's own iteration,
// so it is an MM step and never lowers the likelihood). Then the strengths are rescaled to
// geometric mean 1 (the likelihood does not change) and nu gets the same treatment:
//   nu <- T / sum_{i<j} n_ij sqrt(pi_i pi_j) / D_ij,   T all ties.
// It stops when no log-strength and not log(nu) moves by more than `tolerance` in an iteration.
//
// Scale: rating_i = 1000 + (400 / ln 10) log pi_i with the log-strengths centred on 0, i.e. mean
// rating 1000 and 400 points for 10-to-1 wins over losses, Elo's convention (and Chatbot Arena's).
// Standard errors come from the Fisher information of (log pi, log nu), which for this exponential
// family is the observed information; with the sum-to-zero constraint, the covariance of the
// centred log-strengths is (I + u u^T)^-1 - u u^T, u = (1, ..., 1, 0) / sqrt(K). They assume
// independent games: several annotators' rows of one item are not independent, so there they are
// too narrow.
//
// The maximum-likelihood estimate exists only when every split of the models into two groups has
// a win or tie of each group against the other (Ford 1957; the directed graph "i beat or tied j"
// is strongly connected), and nu's only when not every game is a tie. Otherwise some strength
// runs off to 0 or infinity; `pseudoWins` then adds virtual wins each way to every compared pair,
// a weak pull of every pair towards even.
//
// Only one connected set of models can be rated on one scale. The largest component of the
// comparison graph (by models, then games) is rated; the models of other components, and models
// compared with none other, are reported unrated.

import type { Pair } from '../pair.ts';
import { zFor } from './math.ts';

export interface LeaderboardOptions {
  /** 10,000 unless given. */
  maxIterations?: number;
  /** Largest change of a log-strength or log(nu) in an iteration that stops the fit; 1e-10 unless given. */
  tolerance?: number;
  /**
   * Virtual wins added in each direction to every compared pair of models. 'auto' (the default):
   * 0 when the maximum-likelihood estimate exists, else 0.5. With 0 where no estimate exists the
   * ratings are NaN and `converged` is false.
   */
  pseudoWins?: number | 'auto';
  /** Confidence level of the rating intervals; 0.95 unless given. */
  confidence?: number;
}

export interface ModelRecord {
  model: string;
  /** Games against other models: wins + losses + ties + bothBad. */
  games: number;
  wins: number;
  losses: number;
  /** winner 'tie' */
  ties: number;
  /** winner 'both_bad' (a tie in the fit) */
  bothBad: number;
}

export interface ModelRating extends ModelRecord {
  /** 1 for the highest rating. */
  rank: number;
  /** 1000 + (400 / ln 10) * logStrength. */
  rating: number;
  /** Standard error of the rating, in rating points (NaN when it cannot be computed). */
  se: number;
  /** rating -/+ z(confidence) * se. */
  interval: { lower: number; upper: number };
  /** pi_i, geometric mean 1 over the rated models. */
  strength: number;
  /** log pi_i, mean 0 over the rated models. */
  logStrength: number;
}

export interface UnratedModel extends ModelRecord {
  /** no-comparisons: compared with no other model; other-component: not connected to the rated models. */
  reason: 'no-comparisons' | 'other-component';
}

export interface Leaderboard {
  /** Rated models, best first. Empty when no two models were compared. */
  ratings: ModelRating[];
  /** Models that get no rating, by model name. */
  unrated: UnratedModel[];
  /** Davidson's tie parameter (0 when the rated games have no ties) and its standard error. */
  nu: number;
  nuSe: number;
  /** nu / (2 + nu): how often two equally strong models tie. */
  equalStrengthTieShare: number;
  /** Log-likelihood of the rated games (without pseudo-wins) at the fit. */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  /** Whether the unpenalised maximum-likelihood estimate exists for the rated models. */
  mleExists: boolean;
  /** The pseudo-wins used (0: plain maximum likelihood). */
  pseudoWins: number;
  /** Games among the rated models, with ties and both-bad. */
  games: number;
  /** Pairs left out: the same model on both sides, and pairs missing a model name. */
  selfComparisons: number;
  withoutModels: number;
  confidence: number;
  /** rating = mean + pointsPerNat * logStrength. */
  scale: { mean: number; pointsPerNat: number };
}

export const RATING_MEAN = 1000;
export const POINTS_PER_NAT = 400 / Math.LN10;

interface Edge {
  i: number;
  j: number;
  /** i beat j, j beat i, ties (with both-bad) */
  wij: number;
  wji: number;
  t: number;
}

/** The games between one unordered pair of models x < y: x's wins, y's wins, ties (with both-bad). */
interface Game {
  x: string;
  y: string;
  wx: number;
  wy: number;
  t: number;
}

/** The parts of a leaderboard known before any fit. */
type LeaderboardBase = Pick<Leaderboard, 'unrated' | 'selfComparisons' | 'withoutModels' | 'confidence' | 'scale'>;

/** Every model's record, and the games by unordered pair of model names. */
interface Tally {
  records: Map<string, ModelRecord>;
  games: Map<string, Game>;
  selfComparisons: number;
  withoutModels: number;
}

export function davidsonLeaderboard(
  pairs: Iterable<Pick<Pair, 'winner' | 'modelA' | 'modelB'>>,
  options: LeaderboardOptions = {},
): Leaderboard {
  const confidence = options.confidence ?? 0.95;
  const z = zFor(confidence);
  const { records, games, selfComparisons, withoutModels } = tallyGames(pairs);
  const rated = largestComponent(records, games.values());
  const base: LeaderboardBase = {
    unrated: unratedModels(records, new Set(rated)),
    selfComparisons,
    withoutModels,
    confidence,
    scale: { mean: RATING_MEAN, pointsPerNat: POINTS_PER_NAT },
  };
  if (rated.length < 2) return { ...base, ...nothingRated() };

  const edges = edgesAmong(rated, games.values());
  const mleExists = maximumLikelihoodExists(rated.length, edges);
  const pseudoWins =
    options.pseudoWins === undefined || options.pseudoWins === 'auto' ? (mleExists ? 0 : 0.5) : options.pseudoWins;
  if (!(pseudoWins >= 0)) throw new RangeError(`pseudoWins must be at least 0 (got ${pseudoWins})`);
  const fitEdges = edges.map((e) => ({ ...e, wij: e.wij + pseudoWins, wji: e.wji + pseudoWins }));
  // Without an estimate to find, the iteration would only run strengths off to 0 and infinity.
  const fit =
    mleExists || pseudoWins > 0
      ? fitDavidson(rated.length, fitEdges, options.maxIterations ?? 10_000, options.tolerance ?? 1e-10)
      : noFit(rated.length);
  const cov = covariance(rated.length, fitEdges, fit.logStrength, fit.nu);
  let gamesRated = 0;
  for (const e of edges) gamesRated += e.wij + e.wji + e.t;
  return {
    ...base,
    ratings: rankedRatings(rated, records, fit.logStrength, cov.theta, z),
    nu: fit.nu,
    nuSe: fit.nu * Math.sqrt(cov.logNu),
    equalStrengthTieShare: fit.nu / (2 + fit.nu),
    logLikelihood: logLikelihood(edges, fit.logStrength, fit.nu),
    iterations: fit.iterations,
    converged: fit.converged,
    mleExists,
    pseudoWins,
    games: gamesRated,
  };
}

/** The fit's part of a leaderboard where fewer than two models could be rated. */
function nothingRated(): Omit<Leaderboard, keyof LeaderboardBase> {
  return {
    ratings: [],
    nu: Number.NaN,
    nuSe: Number.NaN,
    equalStrengthTieShare: Number.NaN,
    logLikelihood: Number.NaN,
    iterations: 0,
    converged: false,
    mleExists: false,
    pseudoWins: 0,
    games: 0,
  };
}

function emptyRecord(model: string): ModelRecord {
  return { model, games: 0, wins: 0, losses: 0, ties: 0, bothBad: 0 };
}

/** One pass over the pairs: each model's record and the games by unordered pair of models. */
function tallyGames(pairs: Iterable<Pick<Pair, 'winner' | 'modelA' | 'modelB'>>): Tally {
  const records = new Map<string, ModelRecord>();
  const record = (model: string): ModelRecord => {
    let r = records.get(model);
    if (r === undefined) records.set(model, (r = emptyRecord(model)));
    return r;
  };
  const games = new Map<string, Game>();
  let selfComparisons = 0;
  let withoutModels = 0;
  for (const { winner, modelA, modelB } of pairs) {
    // A model named on one side only still gets a record (it is then listed unrated).
    if (modelA) record(modelA);
    if (modelB) record(modelB);
    if (!modelA || !modelB) {
      withoutModels++;
      continue;
    }
    if (modelA === modelB) {
      selfComparisons++;
      continue;
    }
    countOutcome(record(modelA), record(modelB), winner);
    const [x, y] = modelA < modelB ? [modelA, modelB] : [modelB, modelA];
    const key = JSON.stringify([x, y]);
    let g = games.get(key);
    if (g === undefined) games.set(key, (g = { x, y, wx: 0, wy: 0, t: 0 }));
    if (winner === 'a' || winner === 'b') {
      if ((winner === 'a') === (modelA === x)) g.wx++;
      else g.wy++;
    } else g.t++;
  }
  return { records, games, selfComparisons, withoutModels };
}

/** One game in both models' records: a the model of response A, b of response B. */
function countOutcome(a: ModelRecord, b: ModelRecord, winner: Pair['winner']): void {
  a.games++;
  b.games++;
  if (winner === 'a') {
    a.wins++;
    b.losses++;
  } else if (winner === 'b') {
    b.wins++;
    a.losses++;
  } else if (winner === 'tie') {
    a.ties++;
    b.ties++;
  } else {
    a.bothBad++;
    b.bothBad++;
  }
}

interface Component {
  /** Sorted by name. */
  models: string[];
  games: number;
}

/**
 * The models of the component of the comparison graph to rate, sorted by name: the most models,
 * then the most games, then the first name (so the choice does not depend on the pairs' order).
 * Empty when no two models were compared.
 */
function largestComponent(records: ReadonlyMap<string, ModelRecord>, games: Iterable<Game>): string[] {
  let best: Component | undefined;
  for (const c of components(records.keys(), games)) {
    if (c.models.length < 2) continue;
    if (
      best === undefined ||
      c.models.length > best.models.length ||
      (c.models.length === best.models.length && c.games > best.games) ||
      (c.models.length === best.models.length && c.games === best.games && c.models[0]! < best.models[0]!)
    ) {
      best = c;
    }
  }
  return best?.models ?? [];
}

/** Connected components of the comparison graph, by union-find over model names. */
function components(models: Iterable<string>, games: Iterable<Game>): Iterable<Component> {
  const parent = new Map<string, string>();
  const find = (m: string): string => {
    let root = m;
    while (parent.get(root) !== root) root = parent.get(root)!;
    // Path compression: point every model on the way straight at the root.
    for (let k = m; k !== root;) {
      const next = parent.get(k)!;
      parent.set(k, root);
      k = next;
    }
    return root;
  };
  const names = [...models];
  const gameList = [...games];
  for (const m of names) parent.set(m, m);
  for (const { x, y } of gameList) parent.set(find(x), find(y));
  const byRoot = new Map<string, Component>();
  for (const m of names.sort()) {
    const root = find(m);
    let c = byRoot.get(root);
    if (c === undefined) byRoot.set(root, (c = { models: [], games: 0 }));
    c.models.push(m);
  }
  for (const g of gameList) byRoot.get(find(g.x))!.games += g.wx + g.wy + g.t;
  return byRoot.values();
}

/** The models outside the rated set, by name, with why each has no rating. */
function unratedModels(records: ReadonlyMap<string, ModelRecord>, rated: ReadonlySet<string>): UnratedModel[] {
  return [...records.values()]
    .filter((r) => !rated.has(r.model))
    .map((r) => ({ ...r, reason: r.games === 0 ? ('no-comparisons' as const) : ('other-component' as const) }))
    .sort((p, q) => (p.model < q.model ? -1 : p.model > q.model ? 1 : 0));
}

/** The games among the rated models as edges between their indices in `rated`. */
function edgesAmong(rated: readonly string[], games: Iterable<Game>): Edge[] {
  const index = new Map(rated.map((m, k) => [m, k]));
  const edges: Edge[] = [];
  for (const g of games) {
    // A game's two models lie in one component: either both are rated or neither is.
    if (!index.has(g.x)) continue;
    edges.push({ i: index.get(g.x)!, j: index.get(g.y)!, wij: g.wx, wji: g.wy, t: g.t });
  }
  return edges;
}

/** The rated models on the rating scale, best first, with their ranks and intervals. */
function rankedRatings(
  rated: readonly string[],
  records: ReadonlyMap<string, ModelRecord>,
  logStrengths: readonly number[],
  variances: readonly number[],
  z: number,
): ModelRating[] {
  const ratings: ModelRating[] = rated.map((model, k) => {
    const logStrength = logStrengths[k]!;
    const rating = RATING_MEAN + POINTS_PER_NAT * logStrength;
    const se = POINTS_PER_NAT * Math.sqrt(variances[k]!);
    return {
      ...records.get(model)!,
      rank: 0,
      rating,
      se,
      interval: { lower: rating - z * se, upper: rating + z * se },
      strength: Math.exp(logStrength),
      logStrength,
    };
  });
  ratings.sort((p, q) => q.rating - p.rating || (p.model < q.model ? -1 : 1));
  ratings.forEach((r, k) => (r.rank = k + 1));
  return ratings;
}

/** Ford's condition (the "beat or tied" graph is strongly connected), and not every game a tie. */
function maximumLikelihoodExists(k: number, edges: readonly Edge[]): boolean {
  const forward: number[][] = Array.from({ length: k }, () => []);
  const backward: number[][] = Array.from({ length: k }, () => []);
  let decisive = 0;
  for (const { i, j, wij, wji, t } of edges) {
    decisive += wij + wji;
    if (wij + t > 0) {
      forward[i]!.push(j);
      backward[j]!.push(i);
    }
    if (wji + t > 0) {
      forward[j]!.push(i);
      backward[i]!.push(j);
    }
  }
  const reachesAll = (adjacency: number[][]): boolean => {
    const seen = new Array<boolean>(k).fill(false);
    const stack = [0];
    seen[0] = true;
    let count = 1;
    while (stack.length > 0) {
      for (const next of adjacency[stack.pop()!]!) {
        if (!seen[next]) {
          seen[next] = true;
          count++;
          stack.push(next);
        }
      }
    }
    return count === k;
  };
  return decisive > 0 && reachesAll(forward) && reachesAll(backward);
}

interface Fit {
  logStrength: number[];
  nu: number;
  iterations: number;
  converged: boolean;
}

/** Where there is no estimate and no pseudo-wins: NaN strengths, not converged. */
function noFit(k: number): Fit {
  return { logStrength: new Array<number>(k).fill(Number.NaN), nu: Number.NaN, iterations: 0, converged: false };
}

/** The MM iteration described at the top of the file. */
function fitDavidson(k: number, edges: readonly Edge[], maxIterations: number, tolerance: number): Fit {
  const score = new Array<number>(k).fill(0);
  let ties = 0;
  for (const { i, j, wij, wji, t } of edges) {
    score[i]! += wij + t / 2;
    score[j]! += wji + t / 2;
    ties += t;
  }
  let pi = new Array<number>(k).fill(1);
  let nu = ties > 0 ? 1 : 0;
  let iterations = 0;
  let converged = false;
  const denominators = new Array<number>(k);
  while (iterations < maxIterations) {
    iterations++;
    denominators.fill(0);
    for (const { i, j, wij, wji, t } of edges) {
      const n = wij + wji + t;
      const root = Math.sqrt(pi[i]! * pi[j]!);
      const d = pi[i]! + pi[j]! + nu * root;
      // n (1 + (nu/2) sqrt(pi_j / pi_i)) / D, written as n (pi_i + (nu/2) root) / (pi_i D)
      denominators[i]! += (n * (pi[i]! + (nu / 2) * root)) / (pi[i]! * d);
      denominators[j]! += (n * (pi[j]! + (nu / 2) * root)) / (pi[j]! * d);
    }
    const next = score.map((s, m) => s / denominators[m]!);
    let meanLog = 0;
    for (const p of next) meanLog += Math.log(p);
    meanLog /= k;
    const scale = Math.exp(meanLog);
    for (let m = 0; m < k; m++) next[m] = next[m]! / scale;
    let nextNu = 0;
    if (ties > 0) {
      let sum = 0;
      for (const { i, j, wij, wji, t } of edges) {
        const n = wij + wji + t;
        const root = Math.sqrt(next[i]! * next[j]!);
        sum += (n * root) / (next[i]! + next[j]! + nu * root);
      }
      nextNu = ties / sum;
    }
    let change = ties > 0 ? Math.abs(Math.log(nextNu) - Math.log(nu)) : 0;
    for (let m = 0; m < k; m++) change = Math.max(change, Math.abs(Math.log(next[m]!) - Math.log(pi[m]!)));
    pi = next;
    nu = nextNu;
    if (!(change > tolerance)) {
      converged = Number.isFinite(change);
      break;
    }
  }
  return { logStrength: pi.map((p) => Math.log(p)), nu, iterations, converged };
}

/** Log-likelihood of the games at log-strengths theta and tie parameter nu. */
function logLikelihood(edges: readonly Edge[], theta: readonly number[], nu: number): number {
  let total = 0;
  for (const { i, j, wij, wji, t } of edges) {
    const ti = theta[i]!;
    const tj = theta[j]!;
    const logD = Math.log(Math.exp(ti) + Math.exp(tj) + nu * Math.exp((ti + tj) / 2));
    total += wij * ti + wji * tj - (wij + wji + t) * logD;
    if (t > 0) total += t * (Math.log(nu) + (ti + tj) / 2);
  }
  return total;
}

/**
 * Variances of the centred log-strengths and of log(nu) from the Fisher information. Each game
 * is a draw from three outcomes with sufficient statistics (1, 0, 0), (0, 1, 0) and (1/2, 1/2, 1)
 * in (theta_i, theta_j, log nu), so its information is the covariance of those under the fitted
 * probabilities. Without ties log(nu) is not a parameter (nu = 0) and its variance is NaN.
 */
function covariance(
  k: number,
  edges: readonly Edge[],
  theta: readonly number[],
  nu: number,
): { theta: number[]; logNu: number } {
  const withNu = nu > 0;
  const size = withNu ? k + 1 : k;
  const info = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (const { i, j, wij, wji, t } of edges) {
    const n = wij + wji + t;
    const pi = Math.exp(theta[i]!);
    const pj = Math.exp(theta[j]!);
    const tie = nu * Math.sqrt(pi * pj);
    const d = pi + pj + tie;
    const p = [pi / d, pj / d, tie / d] as const;
    const features = [
      [1, 0, 0],
      [0, 1, 0],
      [0.5, 0.5, 1],
    ] as const;
    const mean = [0, 1, 2].map((c) => p[0] * features[0][c]! + p[1] * features[1][c]! + p[2] * features[2][c]!);
    const at = [i, j, k];
    const dims = withNu ? 3 : 2;
    for (let r = 0; r < dims; r++) {
      for (let c = 0; c < dims; c++) {
        let second = 0;
        for (let o = 0; o < 3; o++) second += p[o]! * features[o]![r]! * features[o]![c]!;
        info[at[r]!]![at[c]!]! += n * (second - mean[r]! * mean[c]!);
      }
    }
  }
  // (I + u u^T)^-1 - u u^T with u = (1, ..., 1, 0) / sqrt(k): the covariance under sum(theta) = 0.
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) info[r]![c]! += 1 / k;
  const inverse = invert(info);
  if (inverse === undefined) return { theta: new Array<number>(k).fill(Number.NaN), logNu: Number.NaN };
  return {
    theta: Array.from({ length: k }, (_, r) => inverse[r]![r]! - 1 / k),
    logNu: withNu ? inverse[k]![k]! : Number.NaN,
  };
}

/** Gauss-Jordan inversion with partial pivoting; undefined for a (numerically) singular matrix. */
function invert(matrix: readonly (readonly number[])[]): number[][] | undefined {
  const n = matrix.length;
  const a = matrix.map((row, r) => [...row, ...Array.from({ length: n }, (_, c) => (c === r ? 1 : 0))]);
  let largest = 0;
  for (const row of matrix) for (const v of row) largest = Math.max(largest, Math.abs(v));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (!(Math.abs(a[pivot]![col]!) > largest * 1e-13)) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const rowCol = a[col]!;
    const inv = 1 / rowCol[col]!;
    for (let c = 0; c < 2 * n; c++) rowCol[c]! *= inv;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = a[r]!;
      const factor = row[col]!;
      if (factor === 0) continue;
      for (let c = 0; c < 2 * n; c++) row[c]! -= factor * rowCol[c]!;
    }
  }
  return a.map((row) => row.slice(n));
}
