// Reading a run's curves for the commonest failure of a small reward model on a few hundred pairs:
// it memorises the training pairs. Held-out loss has stopped falling and risen for several
// evaluations while training loss kept falling. Said in plain words, with what to try, wherever the
// run is shown (the page, the CLI), from the run's stored curves alone.
import type { EvalPoint, StepPoint } from './events.ts';

export interface Memorising {
  bestStep: number;
  bestLoss: number;
  lastLoss: number;
  /** Evaluations after the best one, none lower. */
  evaluations: number;
  /** Mean training loss over the steps up to the best evaluation (as many as after it), and after it. */
  trainBefore: number;
  trainAfter: number;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Memorising when the lowest held-out loss is at least `evaluations` evaluations old, the last is
 * above it, and training loss after the best evaluation is lower on average than over as many steps
 * before it. Undefined otherwise (or with fewer evaluations than that).
 */
export function detectMemorising(steps: StepPoint[], evals: EvalPoint[], evaluations: number): Memorising | undefined {
  const n = Math.max(1, evaluations);
  if (evals.length < n + 1) return undefined;
  let best = 0;
  for (let i = 1; i < evals.length; i++) if (evals[i]!.loss < evals[best]!.loss) best = i;
  const since = evals.length - 1 - best;
  const last = evals.at(-1)!;
  if (since < n || !(last.loss > evals[best]!.loss)) return undefined;
  const bestStep = evals[best]!.step;
  const after = steps.filter((s) => s.step > bestStep).map((s) => s.loss);
  const before = steps
    .filter((s) => s.step <= bestStep)
    .slice(-after.length)
    .map((s) => s.loss);
  if (after.length === 0 || before.length === 0) return undefined;
  const trainBefore = mean(before);
  const trainAfter = mean(after);
  if (!(trainAfter < trainBefore)) return undefined;
  return { bestStep, bestLoss: evals[best]!.loss, lastLoss: last.loss, evaluations: since, trainBefore, trainAfter };
}

export function memorisingMessage(m: Memorising): string {
  return (
    `The model is memorising the training pairs: held-out loss has risen from ${m.bestLoss.toFixed(3)} at step ` +
    `${m.bestStep} to ${m.lastLoss.toFixed(3)} over ${m.evaluations} evaluations while training loss fell from ` +
    `${m.trainBefore.toFixed(3)} to ${m.trainAfter.toFixed(3)}. The stored model is the one from step ${m.bestStep}. ` +
    'To try: fewer epochs, a smaller model (fewer layers, a narrower width), more weight decay, more training ' +
    'pairs, or a pretrained encoder.'
  );
}
