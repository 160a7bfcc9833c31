// Axis ticks at round values (1, 2 or 5 times a power of ten) and labels precise enough to tell
// neighbouring ticks apart: 0.0003 must not read "0", nor 0.0005 "0.001".

/** The round step (1, 2 or 5 x 10^k) that cuts [lo, hi] into about `count` parts. */
export function niceStep(lo: number, hi: number, count = 5): number {
  // A span of a few ulps (a smoothed curve's first point beside the raw one) is no span: ticks a
  // billionth of the value apart would count past 2^53, where i++ stops moving (a hung page).
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  const span = Math.abs(hi - lo) > 1e-9 * scale ? Math.abs(hi - lo) : scale || 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  // 0.0005 / 5 comes out a hair above 1e-4: still a step of 1e-4, not 2e-4
  const m = raw / power - 1e-9;
  return Number(((m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power).toPrecision(12));
}

/** Round ticks covering [lo, hi], and the domain they span (lo and hi rounded outwards to a tick). */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; domain: [number, number] } {
  const step = niceStep(lo, hi, count);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  // Built from integers times the step, so 0.1 + 0.2 drift never shows in a label.
  // Bounded whatever the inputs: a few ticks are asked for, never more than a hundred drawn.
  const end = Math.min(Math.max(last, first + 1), first + 100);
  for (let i = first; i <= end; i++) ticks.push(roundTo(i * step, step));
  return { ticks, domain: [ticks[0]!, ticks.at(-1)!] };
}

/** Decimals needed to write multiples of `step` exactly (0.0005 -> 4, 0.25 -> 2, 50 -> 0). */
export function decimalsFor(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return 2;
  for (let d = 0; d <= 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * scaled) return d;
  }
  return 12;
}

/** A tick label: as many decimals as the step needs, exponent form for tiny or huge values. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || (abs < 1e-4 && step < 1e-4)) {
    // 3e-5, 1.5e-4: as many significant digits as the step needs beside the value's own magnitude
    const digits = Math.max(0, Math.floor(Math.log10(abs)) - Math.floor(Math.log10(step)));
    return value.toExponential(Math.min(digits, 6)).replace(/\.?0+e/, 'e');
  }
  return value.toFixed(decimalsFor(step));
}

function roundTo(value: number, step: number): number {
  const d = decimalsFor(step);
  return Number(value.toFixed(Math.min(d + 2, 15)));
}
