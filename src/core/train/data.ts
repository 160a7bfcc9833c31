// From stored pairs to what the trainer reads: decisive pairs tokenized once, split into
// train and held-out by prompt. Ties and both-bad pairs are counted, not trained on: the
// pairwise loss needs a chosen response. Held-out ties are still scored at each evaluation, to
// see how close the model puts two responses people judged equal.
import { chosenRejected, isDecisive, textOf, type Pair } from '../data/pair.ts';
import { planSplit, type Stratify } from '../data/split.ts';
import type { PairTokenizer } from '../model/tokenizer.ts';
import type { TokenizedPair } from './batch.ts';
import type { DataCounts, HeldOutMeta, TieMeta } from './events.ts';

export interface HeldOutPair extends TokenizedPair {
  meta: HeldOutMeta;
}

/** A held-out tie: both responses are scored, neither is chosen. */
export interface HeldOutTie {
  a: Int32Array;
  b: Int32Array;
  meta: TieMeta;
}

export interface TrainingData {
  train: TokenizedPair[];
  /** Scored at every evaluation, in this order (EvalPoint's rewards are aligned with it). */
  heldOut: HeldOutPair[];
  heldOutTies: HeldOutTie[];
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
  const heldOutTies: HeldOutTie[] = [];
  const split = planSplit(pairs, {
    seed: options.splitSeed,
    heldOutFraction: options.heldOutFraction,
    stratify: options.stratify,
  });
  const counts: DataCounts = { total: 0, train: 0, heldOut: 0, heldOutScored: 0, ties: 0, bothBad: 0, truncated: 0 };
  for (const pair of pairs) {
    counts.total++;
    const prompt = textOf(pair.prompt);
    if (!isDecisive(pair)) {
      if (pair.winner === 'tie') {
        counts.ties++;
        if (split.sideOf(pair) === 'heldout') {
          heldOutTies.push({
            a: tokenizer.encodePair(prompt, textOf(pair.responseA), options.maxLength).ids,
            b: tokenizer.encodePair(prompt, textOf(pair.responseB), options.maxLength).ids,
            meta: { pairId: pair.id, taskType: pair.taskType },
          });
        }
      } else counts.bothBad++;
      continue;
    }
    const { chosen, rejected } = chosenRejected(pair);
    const c = tokenizer.encodePair(prompt, textOf(chosen), options.maxLength);
    const r = tokenizer.encodePair(prompt, textOf(rejected), options.maxLength);
    if (c.truncated || r.truncated) counts.truncated++;
    const tokenized: TokenizedPair = { chosen: c.ids, rejected: r.ids, margin: pair.margin ?? 0 };
    if (split.sideOf(pair) === 'heldout') {
      const meta: HeldOutMeta = {
        pairId: pair.id,
        chosenSide: pair.winner === 'a' ? 'a' : 'b',
        chosenTokens: c.ids.length,
        rejectedTokens: r.ids.length,
      };
      if (pair.taskType !== undefined) meta.taskType = pair.taskType;
      if (pair.votes) meta.votes = pair.votes;
      heldOut.push({ ...tokenized, meta });
    } else {
      train.push(tokenized);
    }
  }
  counts.train = train.length;
  counts.heldOut = heldOut.length;
  const scored = heldOut.slice(0, options.maxHeldOutPairs);
  counts.heldOutScored = scored.length;
  return { train, heldOut: scored, heldOutTies: heldOutTies.slice(0, options.maxHeldOutPairs), counts };
}
