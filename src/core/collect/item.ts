// What a labelling project is made of: items (a prompt and two responses to compare, in a fixed
// canonical A/B order) and labels (one annotator's decision on one item, in that order).
//
// The canonical order is what the label file records as response_a / response_b; which of the two
// the annotator saw on the left is drawn per item (sides.ts) and recorded beside the decision, so
// position bias can be measured and the labels stay comparable between annotators.
import type { Text, Winner } from '../data/pair.ts';

export interface LabelItem {
  /** A hash of the prompt, task type and both responses: the same item in two files has the same id. */
  id: string;
  prompt: Text;
  responseA: Text;
  responseB: Text;
  modelA?: string;
  modelB?: string;
  taskType?: string;
  /** The line of the candidates file it came from (the first, for a prompt spread over several lines). */
  line?: number;
}

/** Which canonical response was shown on the left. */
export type Side = 'a' | 'b';

/** One decision; `winner` is in the canonical order (a = responseA), whatever side it was shown on. */
export interface Label {
  id: string;
  projectId: string;
  itemId: string;
  annotatorId: string;
  winner: Winner;
  shownLeft: Side;
  guidelineVersion: number;
  /** Milliseconds from the item being shown to the decision. */
  timeTakenMs: number;
  comment?: string;
  /** ISO 8601, when the label was committed. */
  timestamp: string;
}

/** What the annotator pressed: the response on the left or on the right, a tie, both bad. */
export type Choice = 'left' | 'right' | 'tie' | 'both_bad';

/** The canonical winner of a choice made with `shownLeft` on the left. */
export function winnerOfChoice(choice: Choice, shownLeft: Side): Winner {
  if (choice === 'tie' || choice === 'both_bad') return choice;
  const left: Winner = shownLeft;
  const right: Winner = shownLeft === 'a' ? 'b' : 'a';
  return choice === 'left' ? left : right;
}

/** The choice on screen that gave `winner` (the inverse of winnerOfChoice). */
export function choiceOfWinner(winner: Winner, shownLeft: Side): Choice {
  if (winner === 'tie' || winner === 'both_bad') return winner;
  return winner === shownLeft ? 'left' : 'right';
}
