// Which response is shown on the left, drawn per item with the project's seed. Randomising the
// side is what makes position bias measurable (and cancels it on average): a fixed A-left would
// turn every annotator's left-preference into a preference for response A.
import { uniformOf } from '../data/hash.ts';
import type { Side } from './item.ts';

/**
 * The canonical response shown on the left for `itemId`: 'a' or 'b', each with probability 1/2.
 * The annotator is part of the draw, so an item shown to two annotators gets two independent
 * draws: their agreement cannot come from sharing one side's pull.
 */
export function shownLeft(projectSeed: number, itemId: string, annotatorId: string): Side {
  return uniformOf(`left:${annotatorId}:${itemId}`, projectSeed) < 0.5 ? 'a' : 'b';
}
