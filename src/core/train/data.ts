// From stored pairs to what the trainer reads: pairs tokenized once, split into train and
// held-out by prompt. Decisive pairs train the pairwise loss. Ties train it only under Davidson's
// tie-aware model (ties: 'davidson', see loss.ts); under Bradley-Terry they are counted and left out,
// as TRL does. Both-bad pairs are never trained on: they say nothing about which response is better.
// Held-out ties are scored at each evaluation either way, to see how close the model puts two
// responses people judged equal.
//
// Soft targets: where annotators' votes are known (pair.votes, e.g. PandaLM's three annotators) and
// softTargets is 'votes', a pair trains on the share of votes for each side instead of a hard label
// (loss.ts). Under Bradley-Terry a tie vote counts half for each side; under Davidson it is the tie
// outcome's own weight. Both-bad votes say nothing about the order and are not counted.
import { chosenRejected, isDecisive, textOf, type Pair, type Votes } from '../data/pair.ts';
import { inValidationSlice, planSplit, type Stratify } from '../data/split.ts';
import type { EncodedPair, PairTokenizer } from '../model/tokenizer.ts';
import type { Outcome, TokenizedPair } from './batch.ts';
import type { TieModel } from './loss.ts';
import type { DataCounts, HeldOutMeta, TieMeta } from './events.ts';
import type { TextPair } from '../eval/baselines/text-pair.ts';

export interface HeldOutPair extends TokenizedPair {
  meta: HeldOutMeta;
}

/** A held-out tie: both responses are scored, neither is chosen. */
export interface HeldOutTie {
  a: Int32Array;
  b: Int32Array;
  /** Response token counts before truncation. */
  aLength: number;
  bLength: number;
  meta: TieMeta;
}

export interface TrainingData {
  train: TokenizedPair[];
  /** Scored at every evaluation, in this order (EvalPoint's rewards are aligned with it). */
  heldOut: HeldOutPair[];
  heldOutTies: HeldOutTie[];
  /**
   * The validation slice (validationFraction > 0): decisive pairs of training-side prompts kept out of
   * training, whose loss chooses the best checkpoint and stops early instead of the held-out loss.
   */
  validation?: TokenizedPair[];
  counts: DataCounts;
  /**
   * The texts of the decisive training pairs and of the held-out pairs (aligned with heldOut), for the
   * baselines, which read text rather than the run's token ids.
   */
  text?: { train: TextPair[]; heldOut: TextPair[] };
}

export interface DataOptions {
  maxLength: number;
  heldOutFraction: number;
  splitSeed: number;
  stratify: Stratify;
  maxHeldOutPairs: number;
  /** Whether train-side ties are trained on (Davidson) or left out (Bradley-Terry); 'drop' when omitted. */
  ties?: TieModel;
  /** Train on annotators' vote shares where a pair has them; 'off' when omitted. */
  softTargets?: 'off' | 'votes';
  /** Train with each pair's sample weight ('pair', the default) or every pair at 1 ('off'). */
  sampleWeights?: 'pair' | 'off';
  /** The share of training-side prompts kept out as the validation slice; 0 or omitted: none. */
  validationFraction?: number;
}

/**
 * The outcome weights of a pair's votes, seen from `chosen` ('a' or 'b'; a tie's "chosen" row is
 * response A), or undefined when there are no votes on the order (then the hard label stands).
 */
export function votesOutcome(votes: Votes, chosen: 'a' | 'b', ties: TieModel): Outcome | undefined {
  const forChosen = chosen === 'a' ? votes.a : votes.b;
  const forRejected = chosen === 'a' ? votes.b : votes.a;
  const n = forChosen + forRejected + votes.tie;
  if (!(n > 0)) return undefined;
  if (ties === 'davidson') return { chosen: forChosen / n, rejected: forRejected / n, tie: votes.tie / n };
  const p = (forChosen + votes.tie / 2) / n;
  return { chosen: p, rejected: 1 - p, tie: 0 };
}

const TIE: Outcome = Object.freeze({ chosen: 0, rejected: 0, tie: 1 });

function emptyCounts(): Required<Omit<DataCounts, 'vectorCoverage' | 'validation'>> & Pick<DataCounts, 'validation'> {
  return {
    total: 0,
    train: 0,
    heldOut: 0,
    heldOutScored: 0,
    ties: 0,
    tiesTrained: 0,
    softTargets: 0,
    bothBad: 0,
    truncated: 0,
    weighted: 0,
  };
}

/** A decisive pair's texts, chosen and rejected, as the baselines read them. */
function textPairOf(pair: Pair): TextPair {
  const { chosen, rejected } = chosenRejected(pair);
  return { prompt: textOf(pair.prompt), chosen: textOf(chosen), rejected: textOf(rejected) };
}

/** A pair's texts as token ids, untruncated, made earlier (the token-id cache in IndexedDB). */
export interface PairTokenIds {
  prompt: ArrayLike<number>;
  a: ArrayLike<number>;
  b: ArrayLike<number>;
}

/** Two encoded responses as a training pair, with their lengths before truncation (the length term's input). */
function tokenizedPair(c: EncodedPair, r: EncodedPair, margin: number): TokenizedPair {
  return { chosen: c.ids, rejected: r.ids, chosenLength: c.responseTokens, rejectedLength: r.responseTokens, margin };
}

function heldOutMeta(pairId: string, chosenSide: 'a' | 'b', c: EncodedPair, r: EncodedPair): HeldOutMeta {
  return {
    pairId,
    chosenSide,
    chosenTokens: c.ids.length,
    rejectedTokens: r.ids.length,
    chosenResponseTokens: c.responseTokens,
    rejectedResponseTokens: r.responseTokens,
  };
}

/**
 * `tokens`, where given, holds pairs' token ids by pair id: those pairs are not tokenized again, only
 * cut to maxLength (the same sequences encodePair would give).
 */
export function prepareTrainingData(
  pairs: Iterable<Pair>,
  tokenizer: PairTokenizer,
  options: DataOptions,
  tokens?: ReadonlyMap<string, PairTokenIds>,
): TrainingData {
  const encode = (pair: Pair, side: 'a' | 'b') => {
    const ids = tokens?.get(pair.id);
    if (ids) return tokenizer.pairFromIds(ids.prompt, side === 'a' ? ids.a : ids.b, options.maxLength);
    const response = side === 'a' ? pair.responseA : pair.responseB;
    return tokenizer.encodePair(textOf(pair.prompt), textOf(response), options.maxLength);
  };
  const train: TokenizedPair[] = [];
  const heldOut: HeldOutPair[] = [];
  const heldOutTies: HeldOutTie[] = [];
  const text: { train: TextPair[]; heldOut: TextPair[] } = { train: [], heldOut: [] };
  const split = planSplit(pairs, {
    seed: options.splitSeed,
    heldOutFraction: options.heldOutFraction,
    stratify: options.stratify,
  });
  const ties = options.ties ?? 'drop';
  const soft = options.softTargets === 'votes';
  const counts = emptyCounts();
  const slice = { seed: options.splitSeed, fraction: options.validationFraction ?? 0 };
  const validation: TokenizedPair[] = [];
  for (const pair of pairs) {
    counts.total++;
    if (!isDecisive(pair)) {
      if (pair.winner === 'tie') {
        counts.ties++;
        const heldOutSide = split.sideOf(pair) === 'heldout';
        // A tie of a validation prompt is neither trained on nor scored (the slice's loss is Bradley-Terry's).
        if (!heldOutSide && (ties !== 'davidson' || inValidationSlice(pair.prompt, slice))) continue;
        const a = encode(pair, 'a');
        const b = encode(pair, 'b');
        if (heldOutSide) {
          const { chosen, rejected, chosenLength, rejectedLength } = tokenizedPair(a, b, 0);
          const meta = { pairId: pair.id, taskType: pair.taskType };
          heldOutTies.push({ a: chosen, b: rejected, aLength: chosenLength!, bLength: rejectedLength!, meta });
        } else {
          if (a.truncated || b.truncated) counts.truncated++;
          const outcome = (soft && pair.votes && votesOutcome(pair.votes, 'a', ties)) || TIE;
          if (outcome !== TIE) counts.softTargets++;
          train.push({ ...tokenizedPair(a, b, 0), outcome });
          counts.tiesTrained++;
        }
      } else counts.bothBad++;
      continue;
    }
    const c = encode(pair, pair.winner === 'a' ? 'a' : 'b');
    const r = encode(pair, pair.winner === 'a' ? 'b' : 'a');
    if (c.truncated || r.truncated) counts.truncated++;
    const tokenized = tokenizedPair(c, r, pair.margin ?? 0);
    if (options.sampleWeights !== 'off' && pair.weight !== undefined && pair.weight !== 1)
      tokenized.weight = pair.weight;
    const asText = textPairOf(pair);
    const outcome = soft && pair.votes ? votesOutcome(pair.votes, pair.winner === 'a' ? 'a' : 'b', ties) : undefined;
    if (split.sideOf(pair) === 'heldout') {
      const meta = heldOutMeta(pair.id, pair.winner === 'a' ? 'a' : 'b', c, r);
      if (pair.taskType !== undefined) meta.taskType = pair.taskType;
      if (pair.votes) meta.votes = pair.votes;
      heldOut.push({ ...tokenized, meta });
      text.heldOut.push(asText);
    } else if (inValidationSlice(pair.prompt, slice)) {
      validation.push(tokenized);
    } else {
      if (outcome) {
        tokenized.outcome = outcome;
        counts.softTargets++;
      }
      train.push(tokenized);
      text.train.push(asText);
    }
  }
  const sliced = slice.fraction > 0 ? validation : undefined;
  return finished({ train, heldOut, heldOutTies, validation: sliced, text }, counts, options.maxHeldOutPairs);
}

/** The data with its counts filled in, the held-out pairs and ties cut to the first maxHeldOutPairs. */
function finished(
  parts: Omit<TrainingData, 'counts' | 'text'> & { text: NonNullable<TrainingData['text']> },
  counts: DataCounts,
  maxHeldOutPairs: number,
): TrainingData {
  const { train, heldOut, heldOutTies, validation, text } = parts;
  counts.train = train.length;
  counts.weighted = train.filter((p) => p.weight !== undefined).length;
  counts.heldOut = heldOut.length;
  const scored = heldOut.slice(0, maxHeldOutPairs);
  counts.heldOutScored = scored.length;
  if (validation) counts.validation = validation.length;
  return {
    train,
    heldOut: scored,
    heldOutTies: heldOutTies.slice(0, maxHeldOutPairs),
    ...(validation && { validation }),
    counts,
    text: { train: text.train, heldOut: text.heldOut.slice(0, maxHeldOutPairs) },
  };
}

/**
 * The prompts and responses of the pairs trained on (the training side of the run's split, less its
 * validation slice: the same split prepareTrainingData makes): what a run's own vocabulary is built
 * from, so held-out and validation text stays unseen.
 */
export function trainingSplitTexts(
  pairs: readonly Pair[],
  options: Pick<DataOptions, 'heldOutFraction' | 'splitSeed' | 'stratify' | 'validationFraction'>,
): string[] {
  const split = planSplit(pairs, {
    seed: options.splitSeed,
    heldOutFraction: options.heldOutFraction,
    stratify: options.stratify,
  });
  const texts: string[] = [];
  const slice = { seed: options.splitSeed, fraction: options.validationFraction ?? 0 };
  for (const pair of pairs) {
    if (split.sideOf(pair) === 'heldout' || inValidationSlice(pair.prompt, slice)) continue;
    texts.push(textOf(pair.prompt), textOf(pair.responseA), textOf(pair.responseB));
  }
  return texts;
}
