// The life of a uPlot inside a chart component (LineChart, HistogramChart): mounted once the
// container is there, rebuilt only when the chart's shape (its set of series) changes, and otherwise
// fed new data in place, which is cheap enough for every training update.
import { untrack } from 'svelte';
import type uPlot from 'uplot';
import { mountPlot, type MountedPlot } from './uplot-setup.ts';

/**
 * Call from a component's script. `options` is read when the plot is (re)built, not tracked:
 * a change of `shape()` (e.g. the series' labels joined) is what rebuilds it.
 */
export function livePlot(
  container: () => HTMLElement,
  shape: () => string,
  options: () => Omit<uPlot.Options, 'width'>,
  data: () => uPlot.AlignedData,
): void {
  let plot: MountedPlot | undefined;
  $effect(() => {
    void shape();
    plot = untrack(() => mountPlot(container(), options(), data()));
    return () => {
      plot?.destroy();
      plot = undefined;
    };
  });
  $effect(() => {
    plot?.setData(data());
  });
}
