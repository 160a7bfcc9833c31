// The learning rate at each step: a warmup from 0, then a linear or half-cosine fall to 0 by the last
// step, or a constant rate. These are Hugging Face's get_linear_schedule_with_warmup,
// get_cosine_schedule_with_warmup (num_cycles 0.5) and get_constant_schedule_with_warmup, as a
// torch LambdaLR applies them: the update of step s (s = 0 for the first) uses lr * lambda(s), so with
// a warmup the very first update has learning rate 0, as in the Trainer.
//
// The rate is a pure function of the step, so a run resumed from a checkpoint at step s continues the
// schedule exactly: the step is the schedule's whole state.
import type { ScheduleChoice } from './config.ts';

export interface ScheduleOptions {
  learningRate: number;
  lrSchedule: ScheduleChoice;
  warmupRatio: number;
  warmupSteps: number;
}

/** Warmup steps as the HF Trainer counts them: warmup_steps when set, else ceil(total * warmup_ratio). */
export function warmupStepsOf(options: Pick<ScheduleOptions, 'warmupRatio' | 'warmupSteps'>, totalSteps: number) {
  return options.warmupSteps > 0 ? options.warmupSteps : Math.ceil(totalSteps * options.warmupRatio);
}

/** The multiplier of the peak rate for update `s` (0-based) of `totalSteps`. */
export function lrLambda(kind: ScheduleChoice, s: number, totalSteps: number, warmup: number): number {
  if (s < warmup) return s / Math.max(1, warmup);
  if (kind === 'constant') return 1;
  if (kind === 'linear') return Math.max(0, (totalSteps - s) / Math.max(1, totalSteps - warmup));
  const progress = (s - warmup) / Math.max(1, totalSteps - warmup);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** The learning rate of update `s` (0-based) in a run of `totalSteps` updates. */
export function learningRateAt(options: ScheduleOptions, s: number, totalSteps: number): number {
  return options.learningRate * lrLambda(options.lrSchedule, s, totalSteps, warmupStepsOf(options, totalSteps));
}
