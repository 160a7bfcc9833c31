// Numbers as the held-out analyses show them: a missing value (NaN, an empty slice) is '–',
// never 0% or "NaN".

/** 0.7234 -> "72.3%"; NaN or infinite -> '–'. */
export function percent(v: number, digits = 1): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '–';
}

/** A plain number with `digits` decimals; NaN or infinite -> '–'. */
export function decimal(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

/** "72.3% (64.1–79.2%)": a share with its interval, '–' where there is none. */
export function percentWithInterval(v: number, lower: number, upper: number): string {
  if (!Number.isFinite(v)) return '–';
  if (!Number.isFinite(lower) || !Number.isFinite(upper)) return percent(v);
  return `${percent(v)} (${(lower * 100).toFixed(1)}–${percent(upper)})`;
}
