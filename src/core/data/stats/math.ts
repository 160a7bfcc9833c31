// Numerical building blocks of the dataset statistics: the normal quantile, the Wilson score
// interval, the exact two-sided binomial test and sample quantiles. Plain float64 math, no DOM,
// no dependencies, so they run the same in a worker, the page and Node.

/** A two-sided confidence interval. */
export interface Interval {
  lower: number;
  upper: number;
}

// Wichura's AS 241 (PPND16) coefficients, highest power first, printed as the paper gives them.
// Each region's value is a ratio of two degree-7 polynomials in r.

/** |p - 0.5| <= 0.425: q * A(r) / B(r) with r = 0.180625 - q^2. */
const CENTRAL = {
  numerator: [
    2509.0809287301226727, 33430.575583588128105, 67265.770927008700853, 45921.953931549871457, 13731.693765509461125,
    1971.5909503065514427, 133.14166789178437745, 3.387132872796366608,
  ],
  denominator: [
    5226.495278852545925, 28729.085735721942674, 39307.89580009271061, 21213.794301586595867, 5394.1960214247511077,
    687.1870074920579083, 42.313330701600911252, 1,
  ],
} as const;

/** Tails with r = sqrt(-log(min(p, 1 - p))) <= 5: C(r - 1.6) / D(r - 1.6). */
const NEAR_TAIL = {
  numerator: [
    7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177, 1.27045825245236838258,
    3.64784832476320460504, 5.7694972214606914055, 4.6303378461565452959, 1.42343711074968357734,
  ],
  denominator: [
    1.05075007164441684324e-9, 5.475938084995344946e-4, 0.0151986665636164571966, 0.14810397642748007459,
    0.68976733498510000455, 1.6763848301838038494, 2.05319162663775882187, 1,
  ],
} as const;

/** Far tails, r > 5: E(r - 5) / F(r - 5). */
const FAR_TAIL = {
  numerator: [
    2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386, 0.026532189526576123093,
    0.29656057182850489123, 1.7848265399172913358, 5.4637849111641143699, 6.6579046435011037772,
  ],
  denominator: [
    2.04426310338993978564e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5, 7.868691311456132591e-4,
    0.0148753612908506148525, 0.13692988092273580531, 0.59983220655588793769, 1,
  ],
} as const;

/**
 * A polynomial at x by Horner's rule, coefficients highest power first: (((c0 x + c1) x + c2) ...),
 * the same operations in the same order as the nested form AS 241 prints, so the result is bit-for-bit
 * what the written-out expression gives.
 */
function horner(coefficients: readonly number[], x: number): number {
  let value = coefficients[0]!;
  for (let k = 1; k < coefficients.length; k++) value = value * x + coefficients[k]!;
  return value;
}

function rationalAt(table: { numerator: readonly number[]; denominator: readonly number[] }, x: number): number {
  return horner(table.numerator, x) / horner(table.denominator, x);
}

/**
 * The standard normal quantile (inverse CDF), Phi^-1(p), by Wichura's algorithm AS 241 (PPND16,
 * Applied Statistics 37, 1988), accurate to about 1e-16 relative: the same algorithm as R's qnorm.
 * Returns -Infinity at 0, Infinity at 1 and NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner(CENTRAL.numerator, r)) / horner(CENTRAL.denominator, r);
  }
  // The tails are symmetric: work with the smaller of p and 1 - p and give the sign back at the end.
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const value = r <= 5 ? rationalAt(NEAR_TAIL, r - 1.6) : rationalAt(FAR_TAIL, r - 5);
  return q < 0 ? -value : value;
}

/** z such that a standard normal lies in [-z, z] with probability `confidence` (1.96 for 0.95). */
export function zFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1) (got ${confidence})`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * The Wilson score interval for a binomial proportion (Wilson 1927): the proportions p whose
 * score test |k/n - p| / sqrt(p(1-p)/n) <= z does not reject. With z^2 = z*z:
 *   centre = (k + z^2/2) / (n + z^2),  half-width = z / (n + z^2) * sqrt(k(n-k)/n + z^2/4).
 * Unlike the Wald interval it stays inside [0, 1] and behaves at k = 0 and k = n; it is what
 * statsmodels' proportion_confint(method='wilson') computes. NaN bounds when n is 0.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  checkCounts(successes, n);
  return wilsonShare(successes, n, confidence);
}

/**
 * The Wilson score interval above for a share k/n whose k need not be whole: a win rate with ties
 * counted as half a win (the formula holds for any k in [0, n]). NaN bounds when n is 0.
 */
export function wilsonShare(k: number, n: number, confidence = 0.95): Interval {
  if (!(k >= 0 && k <= n)) throw new RangeError(`need 0 <= k <= n (got ${k} of ${n})`);
  if (n === 0) return { lower: Number.NaN, upper: Number.NaN };
  const z = zFor(confidence);
  const z2 = z * z;
  const centre = (k + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((k * (n - k)) / n + z2 / 4);
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * The exact two-sided binomial test of k successes in n trials against success probability p:
 * the probability, under Binomial(n, p), of every outcome no more likely than the observed one,
 *   p-value = sum of P(X = i) over i with P(X = i) <= P(X = k) * (1 + 1e-7),
 * the definition of scipy.stats.binomtest (the 1e-7 absorbs rounding between equal terms; for
 * p = 0.5 it is twice the smaller tail, capped at 1). Exact for every n: the probabilities are
 * walked outward from the mode by the ratio P(i+1)/P(i) = (n-i)/(i+1) * p/(1-p), relative to the
 * mode, and normalised by their sum, so no factorial is formed and nothing overflows; the walk stops
 * where the terms underflow, about 40 sqrt(n p (1-p)) steps from the mode. NaN when n is 0.
 */
export function binomialTest(successes: number, n: number, p = 0.5): number {
  checkCounts(successes, n);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1) (got ${p})`);
  if (n === 0) return Number.NaN;
  const odds = p / (1 - p);
  const mode = Math.min(n, Math.floor((n + 1) * p));
  // The observed outcome's probability relative to the mode's.
  let observed = 1;
  if (successes > mode) for (let i = mode; i < successes; i++) observed *= ((n - i) / (i + 1)) * odds;
  else for (let i = mode; i > successes; i--) observed *= i / (n - i + 1) / odds;
  const threshold = observed * (1 + 1e-7);
  let total = 1;
  let tail = 1 <= threshold ? 1 : 0;
  // Upward from the mode: term(i + 1) = term(i) * (n - i) / (i + 1) * odds.
  let term = 1;
  for (let i = mode; i < n && term > 0; i++) {
    term *= ((n - i) / (i + 1)) * odds;
    total += term;
    if (term <= threshold) tail += term;
  }
  // Downward: term(i - 1) = term(i) * i / (n - i + 1) / odds.
  term = 1;
  for (let i = mode; i > 0 && term > 0; i--) {
    term *= i / (n - i + 1) / odds;
    total += term;
    if (term <= threshold) tail += term;
  }
  return Math.min(1, tail / total);
}

function checkCounts(successes: number, n: number): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`need integers 0 <= successes <= n (got ${successes} of ${n})`);
  }
}

/**
 * The q-quantile of ascending-sorted values by linear interpolation between order statistics,
 * Hyndman & Fan's type 7 (numpy's and R's default): h = (n - 1) q, x[floor h] + (h - floor h)
 * (x[floor h + 1] - x[floor h]). NaN for no values.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return below + (h - lo) * (above - below);
}

/** A share that is NaN, not 0, when there is nothing to share: 0 of 0 is no evidence of 0%. */
export function ratio(count: number, total: number): number {
  return total === 0 ? Number.NaN : count / total;
}
