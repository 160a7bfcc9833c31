// From stored pairs to what the trainer reads: decisive pairs tokenized once, split into
// train and held-out by prompt. Ties and both-bad pairs are counted, not trained on: the
// pairwise loss needs a chosen response.
import { chosenRejected, isDecisive, textOf, type Pair } from '../data/pair.ts';
import { planSplit, type Stratify } from '../data/split.ts';
import type { PairTokenizer } from '../model/tokenizer.ts';
import type { TokenizedPair } from './batch.ts';
import type { DataCounts } from './events.ts';

export interface HeldOutPair extends TokenizedPair {
  pairId: string;
}

export interface TrainingData {
  train: TokenizedPair[];
  heldOut: HeldOutPair[];
  counts: DataCounts;
}

export interface DataOptions {
  maxLength: number;
  heldOutFraction: number;
  splitSeed: number;
  stratify: Stratify;
  maxHeldOutPairs: number;
}

export function prepareTrainingData(
  pairs: Iterable<Pair>,
  tokenizer: PairTokenizer,
  options: DataOptions,
): TrainingData {
  const train: TokenizedPair[] = [];
  const heldOut: HeldOutPair[] = [];
  const split = planSplit(pairs, {
    seed: options.splitSeed,
    heldOutFraction: options.heldOutFraction,
    stratify: options.stratify,
  });
  const counts: DataCounts = { total: 0, train: 0, heldOut: 0, heldOutScored: 0, ties: 0, bothBad: 0, truncated: 0 };
  for (const pair of pairs) {
    counts.total++;
    if (!isDecisive(pair)) {
      if (pair.winner === 'tie') counts.ties++;
      else counts.bothBad++;
      continue;
    }
    const prompt = textOf(pair.prompt);
    const { chosen, rejected } = chosenRejected(pair);
    const c = tokenizer.encodePair(prompt, textOf(chosen), options.maxLength);
    const r = tokenizer.encodePair(prompt, textOf(rejected), options.maxLength);
    if (c.truncated || r.truncated) counts.truncated++;
    const tokenized: TokenizedPair = { chosen: c.ids, rejected: r.ids, margin: pair.margin ?? 0 };
    if (split.sideOf(pair) === 'heldout') {
      heldOut.push({ ...tokenized, pairId: pair.id });
    } else {
      train.push(tokenized);
    }
  }
  counts.train = train.length;
  counts.heldOut = heldOut.length;
  const scored = heldOut.slice(0, options.maxHeldOutPairs);
  counts.heldOutScored = scored.length;
  return { train, heldOut: scored, counts };
}
