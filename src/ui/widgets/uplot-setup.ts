// The one place uPlot is set up for RM Lab's charts (LineChart, HistogramChart): axes ticked at
// round values with labels that tell them apart, a plain legend (each series' colour and name,
// no "--" placeholders for values under a cursor), and a plot that follows its container's width.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatTick, niceTicks } from './ticks.ts';

/** An axis ticked at 1, 2 or 5 times a power of ten, its labels as precise as the step needs. */
export function roundAxis(label?: string): uPlot.Axis {
  return {
    label,
    splits: (_u, _axis, min, max) => {
      if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
      const eps = (max - min) * 1e-9;
      return niceTicks(min, max).ticks.filter((t) => t >= min - eps && t <= max + eps);
    },
    values: (_u, splits) => {
      const step = splits.length > 1 ? splits[1]! - splits[0]! : Math.abs(splits[0] ?? 1) || 1;
      return splits.map((v) => formatTick(v, step));
    },
  };
}

/** A value scale whose ends are round ticks (the data inside), unless the caller fixes the range. */
export function roundScale(range?: [number, number]): uPlot.Scale {
  if (range) return { range };
  return {
    range: (_u, min, max) => (Number.isFinite(min) && Number.isFinite(max) ? niceTicks(min, max).domain : [0, 1]),
  };
}

export interface MountedPlot {
  setData(data: uPlot.AlignedData): void;
  destroy(): void;
}

/** Draws a plot into `container` at its width, and redraws at the new width when that changes. */
export function mountPlot(
  container: HTMLElement,
  options: Omit<uPlot.Options, 'width'>,
  data: uPlot.AlignedData,
): MountedPlot {
  const plot = new uPlot(
    // A legend of names and colours only: the numbers are in the chart's text alternative.
    { legend: { live: false }, ...options, width: container.clientWidth || 400 },
    data,
    container,
  );
  const observer = new ResizeObserver(() => {
    // Hidden (another screen on show): keep the size; it is set again when shown.
    if (container.clientWidth > 0) plot.setSize({ width: container.clientWidth, height: options.height });
  });
  observer.observe(container);
  return {
    setData: (next) => plot.setData(next),
    destroy: () => {
      observer.disconnect();
      plot.destroy();
    },
  };
}

/** A number for a chart's text alternative: three significant digits. */
export function spoken(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(3))) : 'none';
}

/** The index of the last element that passes `test`, or -1. */
export function lastIndexWhere<T>(values: readonly T[], test: (value: T) => boolean): number {
  for (let i = values.length - 1; i >= 0; i--) if (test(values[i]!)) return i;
  return -1;
}
