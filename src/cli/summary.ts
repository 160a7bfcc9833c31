// The lines a person reads at the end of `rmlab train` and `rmlab eval`: held-out accuracy with its
// interval and n, and each baseline on the same pairs.
import {
  BASELINE_LABELS,
  baselineSentence,
  describeAccuracy,
  type HeldOutAccuracy,
  type RunBaselines,
} from '../core/eval/baselines/index.ts';

/** "baselines: chance 50.0%; longer response wins 61.4% (95% interval …, n = 70); …". */
export function baselinesLine(baselines: RunBaselines): string {
  return `baselines: ${baselines.results.map((b) => `${BASELINE_LABELS[b.id]} ${describeAccuracy(b)}`).join('; ')}`;
}

/** The one summary line: accuracy, interval, n, baselines, and which of them the model beat. */
export function summaryLine(what: string, model: HeldOutAccuracy, baselines: RunBaselines | undefined): string {
  const head = `${what}: accuracy ${describeAccuracy(model)}`;
  if (!baselines) return head;
  return `${head}; ${baselinesLine(baselines)}. ${baselineSentence(model, baselines)}`;
}
