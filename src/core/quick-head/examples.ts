// A dataset's pairs as a quick head's training and held-out examples: the decisive pairs (ties and
// both-bad pairs have no chosen response, and Bradley-Terry no place for them), oriented chosen /
// rejected, split by prompt as every run splits, with their cached vectors; and the same pairs as
// text for the run's baselines, so the head is measured against chance, length and a bag of words on
// exactly the pairs it is measured on.
import { chosenRejected, isDecisive, textOf, type Pair } from '../data/pair.ts';
import type { SplitPlan } from '../data/split.ts';
import type { TextPair } from '../eval/baselines/index.ts';
import { embeddingText } from './embedding-text.ts';
import type { PairEmbeddings } from './fit.ts';

/** The two texts the encoder embeds for a pair: prompt + response A, prompt + response B. */
export function pairTexts(pair: Pair): [string, string] {
  return [embeddingText(pair.prompt, pair.responseA), embeddingText(pair.prompt, pair.responseB)];
}

export interface QuickHeadExamples {
  train: PairEmbeddings;
  heldOut: PairEmbeddings;
  trainText: TextPair[];
  heldOutText: TextPair[];
  /** Pairs left out for having no winner (ties, both bad). */
  undecided: number;
  /**
   * Held-out pairs whose two texts embed to the very same vector: the encoder cut both responses off
   * (a prompt as long as its maximum length) or cannot tell them apart. No head can order them.
   */
  identicalHeldOut: number;
}

/** `vectors` must hold every decisive pair (datasetEmbeddings gives them). */
export function quickHeadExamples(
  pairs: readonly Pair[],
  vectors: ReadonlyMap<string, { a: Float32Array; b: Float32Array }>,
  split: SplitPlan,
): QuickHeadExamples {
  const sides = { train: [] as Pair[], heldout: [] as Pair[] };
  let undecided = 0;
  for (const p of pairs) {
    if (isDecisive(p)) sides[split.sideOf(p)].push(p);
    else undecided++;
  }
  const size = vectors.values().next().value?.a.length ?? 0;
  const embed = (list: Pair[]): PairEmbeddings => {
    const chosen = new Float32Array(list.length * size);
    const rejected = new Float32Array(list.length * size);
    list.forEach((p, i) => {
      const v = vectors.get(p.id);
      if (!v) throw new Error(`pair ${p.id} has no embedding`);
      const [c, r] = p.winner === 'a' ? [v.a, v.b] : [v.b, v.a];
      chosen.set(c, i * size);
      rejected.set(r, i * size);
    });
    return { count: list.length, size, chosen, rejected };
  };
  const text = (list: Pair[]): TextPair[] =>
    list.map((p) => {
      const { chosen, rejected } = chosenRejected(p);
      return { prompt: textOf(p.prompt), chosen: textOf(chosen), rejected: textOf(rejected) };
    });
  const heldOut = embed(sides.heldout);
  let identicalHeldOut = 0;
  for (let i = 0; i < heldOut.count; i++) {
    const c = heldOut.chosen.subarray(i * size, (i + 1) * size);
    const r = heldOut.rejected.subarray(i * size, (i + 1) * size);
    if (c.every((x, j) => x === r[j])) identicalHeldOut++;
  }
  return {
    train: embed(sides.train),
    heldOut,
    identicalHeldOut,
    trainText: text(sides.train),
    heldOutText: text(sides.heldout),
    undecided,
  };
}
