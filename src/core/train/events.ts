// What a training run reports as it goes. The worker forwards these to the page and the store
// keeps them, so the charts of a finished run are drawn from exactly what was seen live.
import type { Votes } from '../data/pair.ts';
import type { RunBaselines } from '../eval/baselines/index.ts';

export interface DataCounts {
  /** Pairs in the dataset. */
  total: number;
  train: number;
  heldOut: number;
  /** Held-out pairs actually scored at each evaluation (at most maxHeldOutPairs). */
  heldOutScored: number;
  /** Decisive pairs of the validation slice (validationFraction > 0 only), which choose the best checkpoint. */
  validation?: number;
  /** Pairs labelled a tie (held-out ones included); trained on only under Davidson's model. */
  ties: number;
  /** Training-side ties trained with Davidson's tie-aware loss (0 when ties are left out). Absent in older runs. */
  tiesTrained?: number;
  /** Training pairs trained on their annotators' vote shares instead of a hard label. Absent in older runs. */
  softTargets?: number;
  /** Training pairs with a sample weight other than 1 (implicit-feedback pairs). Absent in older runs. */
  weighted?: number;
  /** Not trained on: a both-bad pair says nothing about which response is better. */
  bothBad: number;
  /** Pairs cut to maxLength tokens (counted once per pair, whichever response was cut). */
  truncated: number;
  /**
   * Running tokens of the training split's prompts and responses, and how many of them have a bundled
   * word vector (the built-in encoder under GloVe word vectors only; absent otherwise and in older runs).
   */
  vectorCoverage?: { tokens: number; covered: number };
}

/** What the held-out analyses need to know of a scored held-out pair, besides its rewards. */
export interface HeldOutMeta {
  pairId: string;
  /** Which position the preferred response was shown in ('a' or 'b'). */
  chosenSide: 'a' | 'b';
  /** Token lengths of [CLS] prompt [SEP] response [SEP], after truncation. */
  chosenTokens: number;
  rejectedTokens: number;
  /** The responses' own token counts before truncation (the length term's input). Absent in older runs. */
  chosenResponseTokens?: number;
  rejectedResponseTokens?: number;
  taskType?: string;
  /** The annotators' votes, where the data has several (unanimous vs split pairs). */
  votes?: Votes;
}

export interface TieMeta {
  pairId: string;
  taskType?: string;
}

export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  /** Batch accuracy on the training pairs of this step. */
  accuracy: number;
  /** Global L2 norm of all the gradients of this step (before the optimizer used them). */
  gradNorm?: number;
  /** The optimizer's learning rate at this step. */
  learningRate?: number;
  /** Mean and standard deviation of the rewards of this batch (chosen and rejected responses together). */
  rewardMean?: number;
  rewardStd?: number;
}

export interface EvalPoint {
  step: number;
  loss: number;
  accuracy: number;
  /** Mean of r_chosen - r_rejected over held-out pairs. */
  meanMargin: number;
  /** Aligned with the run's heldOut metadata. */
  chosenRewards: number[];
  rejectedRewards: number[];
  /** Rewards of the held-out ties' two responses, aligned with the run's heldOutTies. */
  tieRewards: { a: number[]; b: number[] };
  /** The validation slice's Bradley-Terry loss and accuracy (validationFraction > 0 only): what chooses the best step. */
  validation?: { loss: number; accuracy: number };
}

export type TrainEvent =
  | {
      type: 'start';
      totalSteps: number;
      stepsPerEpoch: number;
      counts: DataCounts;
      heldOut: HeldOutMeta[];
      heldOutTies: TieMeta[];
      /** Chance, the length rules and the bag of words on the same held-out pairs; absent on a resume. */
      baselines?: RunBaselines;
    }
  | { type: 'steps'; points: StepPoint[]; step: number; totalSteps: number; pairsPerSecond: number; elapsedMs: number }
  | { type: 'eval'; point: EvalPoint }
  | {
      type: 'end';
      step: number;
      stopped: boolean;
      /** Held-out loss had not improved for `patience` evaluations. */
      earlyStopped?: boolean;
      /** The evaluation with the lowest held-out loss: the weights stored as the run's model. */
      bestStep?: number;
      bestLoss?: number;
    };
