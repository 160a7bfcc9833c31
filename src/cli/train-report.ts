// What `rmlab train` says as a run goes and at its end: the JSON lines (stdout and metrics.jsonl) and
// the lines a person reads (stderr), from the trainer's events, and the model files it writes (the
// weights of the lowest held-out loss as the model, the last weights beside them where they differ).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModelFile, MODEL_FILE_SUFFIX } from '../core/model/model-file.ts';
import type { ModelSpec, NamedWeight, TokenizerFiles } from '../core/model/reward-model.ts';
import { runHeldOutAccuracy, type RunBaselines } from '../core/eval/baselines/index.ts';
import type { TrainConfig } from '../core/train/config.ts';
import type { DataCounts, EvalPoint, StepPoint, TrainEvent } from '../core/train/events.ts';
import { detectMemorising, memorisingMessage } from '../core/train/memorising.ts';
import type { TrainResult } from '../core/train/trainer.ts';
import type { Progress } from './progress.ts';
import { baselinesLine, summaryLine } from './summary.ts';

/** Lines of stdout (and metrics.jsonl): plain numbers, no reward lists. */
export type MetricLine = Record<string, unknown> & { type: string };

export interface RunFiles {
  outDir: string;
  name: string;
  datasetName: string;
  spec: ModelSpec;
  tokenizer?: TokenizerFiles;
}

export class TrainReport {
  readonly steps: StepPoint[] = [];
  readonly evals: EvalPoint[] = [];
  baselines: RunBaselines | undefined;
  pairsPerSecond = 0;
  readonly #started = performance.now();

  constructor(
    private readonly config: TrainConfig,
    private readonly emit: (line: MetricLine) => void,
    private readonly progress: Progress,
  ) {}

  readonly onEvent = (event: TrainEvent): void => {
    if (event.type === 'start') {
      const c = event.counts;
      const tiesLeftOut = c.ties - (c.tiesTrained ?? 0);
      const hint = tiesLeftOut > 0 && this.config.ties === 'drop' ? ' (--ties davidson trains on them)' : '';
      const slice =
        c.validation !== undefined ? `, ${c.validation} in the validation slice (they choose the best step)` : '';
      this.progress.note(
        `training on ${c.train} pairs, ${c.heldOutScored} held out${slice}: ${event.totalSteps} steps; ` +
          `left out of training: ${tiesLeftOut} ties${hint}, ${c.bothBad} both-bad`,
      );
      if (event.baselines) {
        this.baselines = event.baselines;
        this.emit({ type: 'baselines', ...event.baselines });
        this.progress.note(`held-out ${baselinesLine(event.baselines)}`);
      }
    } else if (event.type === 'steps') {
      this.pairsPerSecond = event.pairsPerSecond;
      for (const point of event.points) this.emit({ type: 'step', ...point });
      this.steps.push(...event.points);
      this.progress.steps(event.points.at(-1)!, event.totalSteps, event.pairsPerSecond, event.elapsedMs);
    } else if (event.type === 'eval') {
      this.evals.push(event.point);
      const { step, loss, accuracy, meanMargin, validation } = event.point;
      const heldOutPairs = event.point.chosenRewards.length;
      this.emit({ type: 'eval', step, loss, accuracy, meanMargin, heldOutPairs, ...(validation && { validation }) });
      this.progress.note(
        `held-out at step ${step}: accuracy ${(100 * accuracy).toFixed(1)}%, loss ${loss.toFixed(4)}, ` +
          `mean margin ${meanMargin.toFixed(3)}` +
          (validation ? `; validation loss ${validation.loss.toFixed(4)}` : ''),
      );
    }
  };

  /** Writes the model file(s), the summary line of stdout and the closing lines of stderr. */
  finish(result: TrainResult, last: NamedWeight[], files: RunFiles, counts: DataCounts): void {
    const best = result.best && result.best.step !== result.steps ? result.best : undefined;
    const modelPath = join(files.outDir, `model${MODEL_FILE_SUFFIX}`);
    const finalPath = join(files.outDir, `model.final${MODEL_FILE_SUFFIX}`);
    this.#writeModel(modelPath, files, best ? best.weights : last, best ? best.step : result.steps, best && 'best');
    if (best) this.#writeModel(finalPath, files, last, result.steps, 'final');
    const held = runHeldOutAccuracy({ evals: this.evals, counts, best: result.best });
    this.emit({
      type: 'summary',
      steps: result.steps,
      stopped: result.stopped,
      earlyStopped: result.earlyStopped,
      bestStep: result.best?.step ?? null,
      seconds: (performance.now() - this.#started) / 1000,
      pairsPerSecond: this.pairsPerSecond,
      heldOutAccuracy: held?.accuracy ?? null,
      heldOutInterval: held ? [held.interval.lower, held.interval.upper] : null,
      heldOutPairs: held?.n ?? 0,
      heldOutLoss: this.evals.filter((e) => e.step === (result.best?.step ?? result.steps)).at(-1)?.loss ?? null,
      chosenOn: this.#chosenOn(),
      ...(result.best && this.#chosenOn() === 'validation' && { validationLoss: result.best.loss }),
      baselines: this.baselines ?? null,
      counts,
      model: modelPath,
      finalModel: best ? finalPath : null,
    });
    const memorising = detectMemorising(this.steps, this.evals, this.config.patience || 4);
    if (memorising) this.progress.note(memorisingMessage(memorising));
    const on = this.#chosenOn();
    const how = result.stopped
      ? 'stopped'
      : result.earlyStopped
        ? `stopped early (${on} loss stopped improving)`
        : 'done';
    const both = best
      ? ` (the weights of step ${best.step}, the lowest ${on} loss) and ${finalPath} (the last weights)`
      : '';
    this.progress.note(`${how} at step ${result.steps}: wrote ${modelPath}${both}`);
    this.progress.note(
      held
        ? summaryLine(`held-out, step ${held.step}`, held, this.baselines)
        : 'no held-out pairs: held-out accuracy and baselines cannot be measured (raise --held-out-fraction)',
    );
  }

  /** Which pairs' loss chose the best step: the validation slice's, or (without one) the held-out pairs'. */
  #chosenOn(): 'validation' | 'held-out' {
    return this.evals.some((e) => e.validation) ? 'validation' : 'held-out';
  }

  #writeModel(path: string, files: RunFiles, weights: NamedWeight[], step: number, kept?: 'best' | 'final'): void {
    const at = this.evals.filter((e) => e.step === step).at(-1);
    const bytes = encodeModelFile({
      spec: files.spec,
      ...(files.tokenizer ? { tokenizer: files.tokenizer } : {}),
      weights,
      meta: {
        name: kept === 'final' ? `${files.name} (final weights)` : files.name,
        createdAt: new Date().toISOString(),
        datasetName: files.datasetName,
        trainConfig: { ...this.config },
        steps: step,
        ...(at ? { heldOutAccuracy: at.accuracy, heldOutPairs: at.chosenRewards.length } : {}),
        ...(this.baselines ? { baselines: this.baselines } : {}),
        ...(kept ? { checkpoint: kept } : {}),
      },
    });
    writeFileSync(path, bytes);
  }
}
