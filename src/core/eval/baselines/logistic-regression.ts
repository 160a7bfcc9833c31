// L2-regularised logistic regression without an intercept on sparse rows, fitted by L-BFGS: the
// minimiser of  C * sum_i log(1 + exp(-y_i w.x_i)) + ||w||^2 / 2  (y_i = +-1), the objective of
// scikit-learn's LogisticRegression(penalty='l2', C, fit_intercept=False, solver='lbfgs'), which
// tests/unit/baselines.test.ts checks it against. Written here in plain Float64Arrays rather than
// tfjs: it is a few hundred sparse rows, runs in milliseconds on the CPU wherever the run is, needs no
// backend or GPU read-back, and is exactly deterministic (no parallel reductions, fixed iterations).

export interface SparseRows {
  /** Row i holds indices[rowStart[i] .. rowStart[i+1]) with their values. */
  rowStart: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  columns: number;
}

export interface LogisticOptions {
  /** Inverse of the L2 strength, as scikit-learn's C. */
  c: number;
  maxIterations: number;
  /** Stop when the largest gradient component is below this. */
  gradientTolerance: number;
  /** L-BFGS memory. */
  memory: number;
}

export const DEFAULT_LOGISTIC: LogisticOptions = { c: 1, maxIterations: 500, gradientTolerance: 1e-8, memory: 10 };

export function dot(rows: SparseRows, i: number, w: Float64Array): number {
  let s = 0;
  for (let k = rows.rowStart[i]!; k < rows.rowStart[i + 1]!; k++) s += rows.values[k]! * w[rows.indices[k]!]!;
  return s;
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** The objective and its gradient (into `grad`) at `w`; labels are +1 / -1. */
function objective(rows: SparseRows, labels: Int8Array, w: Float64Array, c: number, grad: Float64Array): number {
  let f = 0;
  for (let j = 0; j < w.length; j++) {
    f += 0.5 * w[j]! * w[j]!;
    grad[j] = w[j]!;
  }
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const m = labels[i]! * dot(rows, i, w);
    f += c * softplus(-m);
    const scale = -c * labels[i]! * sigmoid(-m); // d/dw of c*softplus(-y w.x) = -c y sigma(-m) x
    for (let k = rows.rowStart[i]!; k < rows.rowStart[i + 1]!; k++) grad[rows.indices[k]!]! += scale * rows.values[k]!;
  }
  return f;
}

function inner(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

/** Fits the weights; `iterations` says how many L-BFGS steps it took. */
export function fitLogistic(
  rows: SparseRows,
  labels: Int8Array,
  options: LogisticOptions = DEFAULT_LOGISTIC,
): { weights: Float64Array; iterations: number; objective: number } {
  const d = rows.columns;
  let w = new Float64Array(d);
  let g = new Float64Array(d);
  let f = objective(rows, labels, w, options.c, g);
  const history: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  const direction = new Float64Array(d);
  const alpha = new Float64Array(options.memory);
  let iterations = 0;
  for (; iterations < options.maxIterations; iterations++) {
    let gmax = 0;
    for (let j = 0; j < d; j++) gmax = Math.max(gmax, Math.abs(g[j]!));
    if (gmax <= options.gradientTolerance) break;
    // Two-loop recursion: direction = -H g, H the L-BFGS inverse-Hessian estimate.
    for (let j = 0; j < d; j++) direction[j] = -g[j]!;
    for (let k = history.length - 1; k >= 0; k--) {
      const h = history[k]!;
      alpha[k] = h.rho * inner(h.s, direction);
      for (let j = 0; j < d; j++) direction[j]! -= alpha[k]! * h.y[j]!;
    }
    if (history.length > 0) {
      const last = history.at(-1)!;
      const gamma = 1 / (last.rho * inner(last.y, last.y));
      for (let j = 0; j < d; j++) direction[j]! *= gamma;
    }
    for (let k = 0; k < history.length; k++) {
      const h = history[k]!;
      const beta = h.rho * inner(h.y, direction);
      for (let j = 0; j < d; j++) direction[j]! += (alpha[k]! - beta) * h.s[j]!;
    }
    let slope = inner(g, direction);
    if (!(slope < 0)) {
      history.length = 0;
      for (let j = 0; j < d; j++) direction[j] = -g[j]!;
      slope = inner(g, direction);
    }
    // Backtracking (Armijo) line search; the objective is strongly convex, so s.y > 0 always holds.
    let step = history.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const next = new Float64Array(d);
    const nextGrad = new Float64Array(d);
    let nextF = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 60; tries++) {
      for (let j = 0; j < d; j++) next[j] = w[j]! + step * direction[j]!;
      nextF = objective(rows, labels, next, options.c, nextGrad);
      if (nextF <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextF < f)) break; // no decrease left at machine precision: converged
    const s = new Float64Array(d);
    const y = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      s[j] = next[j]! - w[j]!;
      y[j] = nextGrad[j]! - g[j]!;
    }
    const sy = inner(s, y);
    if (sy > 1e-12) {
      history.push({ s, y, rho: 1 / sy });
      if (history.length > options.memory) history.shift();
    }
    w = next;
    g = nextGrad;
    f = nextF;
  }
  return { weights: w, iterations, objective: f };
}

export { sigmoid };
