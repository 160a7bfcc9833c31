// Turning run metrics into what the charts draw: plain functions, tested in Node.

/** Exponential moving average, debiased as TensorBoard smooths curves (weight 0 = raw). */
export function smooth(values: number[], weight: number): number[] {
  let last = 0;
  let debias = 0;
  return values.map((v) => {
    last = last * weight + (1 - weight) * v;
    debias = debias * weight + (1 - weight);
    return last / debias;
  });
}

export interface Histogram {
  /** Left edge of each bin; all bins have the same width. */
  edges: number[];
  width: number;
  counts: number[][];
}

/** Counts of several samples over shared bins, so their shapes can be compared. */
export function histogram(samples: number[][], bins: number): Histogram {
  const all = samples.flat().filter(Number.isFinite);
  if (all.length === 0) return { edges: [], width: 0, counts: samples.map(() => []) };
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins }, (_, i) => lo + i * width);
  const counts = samples.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s) if (Number.isFinite(v)) c[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
    return c;
  });
  return { edges, width, counts };
}

/**
 * Puts series sampled at different x (every step; every evaluation) on one shared x axis, with
 * null where a series has no value, which is the table uPlot draws.
 */
export function alignOnX(series: { x: number[]; y: number[] }[]): { x: number[]; ys: (number | null)[][] } {
  const x = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const ys = series.map((s) => {
    const row = new Array<number | null>(x.length).fill(null);
    s.x.forEach((xv, i) => (row[at.get(xv)!] = s.y[i]!));
    return row;
  });
  return { x, ys };
}
