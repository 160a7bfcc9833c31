// What the playground gives its one-prompt views (ScoreView, CompareView, BestOfNView): the picked
// model's scoring function and what its held-out pairs say of it.
import type { HeldOutEvidence } from '../../core/eval/held-out-evidence.ts';
import type { ScoreItem } from '../../core/eval/score.ts';

export interface ScoringViewProps {
  score: (items: ScoreItem[]) => Promise<number[]>;
  /** The picked model's held-out accuracy, shown with the probabilities. */
  evidence: HeldOutEvidence | undefined;
}
