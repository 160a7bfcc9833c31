// A labelling project: its items, how they are queued and shown, and its guidelines' history.
import type { RejectedLine } from '../data/pair.ts';
import type { ABSetups } from './ab-report.ts';
import type { Guidelines } from './guidelines.ts';
import type { Strategy } from './queue.ts';

export interface LabelProject {
  id: string;
  name: string;
  createdAt: number;
  /** Where the items came from: a candidates file, a stored dataset, a workshop link, merged label files. */
  source: { kind: 'file' | 'dataset' | 'link' | 'labels' | 'generated'; name: string };
  /** Filled from two generation setups: their version names, for the "A won x%" report (ab-report.ts). */
  ab?: ABSetups;
  /**
   * The stored quick head (a model id) whose ensemble ranks the uncertainty queue: the labelling worker
   * embeds the items with its encoder and orders by its members' disagreement. None: the queue's own
   * bag-of-words preference head (preference-head.ts).
   */
  queueHead?: string;
  /** Seeds the left/right draw, the overlap draw and the random order. */
  seed: number;
  strategy: Strategy;
  /** Share of items also shown to a second annotator (0 to 1). */
  overlapShare: number;
  /** The queue's model is refitted, and the queue re-ranked, after every this many labels. */
  updateEvery: number;
  /** Only these task types are queued (all when empty). */
  taskTypes: string[];
  /** Every saved version, oldest first; the last is current. */
  guidelines: Guidelines[];
  itemCount: number;
  /** Candidate lines that did not become items, with their reasons. */
  rejected: RejectedLine[];
  /** Lines read from the candidates file. */
  lineCount: number;
}

export const PROJECT_DEFAULTS = {
  strategy: 'random' as Strategy,
  /** 10%: enough shared items for a kappa with a usable interval in a few hundred labels, at a tenth more work. */
  overlapShare: 0.1,
  /** Refit every 10 labels: a few seconds of labelling, milliseconds of fitting. */
  updateEvery: 10,
};

/** A project option read from a link or a form, checked where it enters. */
export function checkProjectOptions(options: { overlapShare: number; updateEvery: number }): void {
  if (!(options.overlapShare >= 0 && options.overlapShare <= 1)) {
    throw new RangeError(`the second-annotator share must be between 0 and 1 (got ${options.overlapShare})`);
  }
  if (!Number.isInteger(options.updateEvery) || options.updateEvery < 1) {
    throw new RangeError(`"update every" must be a whole number of labels from 1 (got ${options.updateEvery})`);
  }
}
