// The dataset statistics on the hand-built dataset (tests/fixtures/stats/hand-pairs.json), with
// every expected value worked out by hand below, and on the edge cases: empty data, missing
// fields, mixed rater counts, swapped and repeated annotator rows, unrated models, no MLE.
// stats-reference.test.ts checks the same dataset against scipy / statsmodels / sklearn.
//
// The 20 pairs: 13 rows label 5 items (p1..p5) by annotators ann1..ann3 (p4 once with A and B
// swapped), 7 rows (v1..v7) carry PandaLM-style votes; models X, Y, Z; task types qa, code, chat
// and one missing. Responses are words like "a a" so that characters and tokens are countable.
import { describe, expect, it } from 'vitest';
import type { PairInput, Winner } from '../../src/core/data/pair.ts';
import {
  POINTS_PER_NAT,
  annotatorAgreement,
  characterCount,
  cohenKappa,
  datasetStats,
  davidsonLeaderboard,
  histogram,
  lengthBias,
  lengthDistributions,
  lengthSummary,
  niceBinWidth,
  pairsPerAnnotator,
  pairsPerModel,
  pairsPerTaskType,
  positionBias,
  votesAgreement,
  winnerCounts,
  winnerDistribution,
} from '../../src/core/data/stats/index.ts';
import handPairs from '../fixtures/stats/hand-pairs.json';

const pairs = handPairs as PairInput[];
const countTokens = (text: string): number => (text.match(/[^ \t\n\r\f\v]+/g) ?? []).length;
const Z95 = 1.959963984540054;

/** Wilson's interval written out: (k + z^2/2)/(n + z^2) -/+ z/(n + z^2) sqrt(k(n-k)/n + z^2/4). */
function wilson(k: number, n: number): [number, number] {
  const z2 = Z95 * Z95;
  const centre = (k + z2 / 2) / (n + z2);
  const half = (Z95 / (n + z2)) * Math.sqrt((k * (n - k)) / n + z2 / 4);
  return [centre - half, centre + half];
}

function game(modelA: string, modelB: string, winner: Winner): PairInput {
  return { prompt: 'p', responseA: 'x', responseB: 'y', winner, modelA, modelB };
}

function games(modelA: string, modelB: string, counts: Partial<Record<Winner, number>>): PairInput[] {
  return Object.entries(counts).flatMap(([winner, n]) =>
    Array.from({ length: n }, () => game(modelA, modelB, winner as Winner)),
  );
}

describe('winner distribution', () => {
  it('counts 9 a, 6 b, 3 tie, 2 both_bad of 20', () => {
    expect(winnerDistribution(pairs)).toEqual({
      total: 20,
      counts: { a: 9, b: 6, tie: 3, both_bad: 2 },
      shares: { a: 0.45, b: 0.3, tie: 0.15, both_bad: 0.1 },
      decisive: 15,
      decisiveShare: 0.75,
    });
  });

  it('counts winners', () => {
    expect(winnerCounts(pairs)).toEqual({ a: 9, b: 6, tie: 3, both_bad: 2, total: 20 });
  });

  it('has NaN shares, not 0, for no pairs', () => {
    const empty = winnerDistribution([]);
    expect(empty.total).toBe(0);
    expect(empty.shares.a).toBeNaN();
    expect(empty.decisiveShare).toBeNaN();
  });
});

describe('position bias', () => {
  it('is 9 A wins of 15 decisive pairs, with Wilson interval and p = 2 * 9949 / 2^15', () => {
    const bias = positionBias(pairs);
    expect(bias).toMatchObject({ n: 15, successes: 9, aWins: 9, bWins: 6, nonDecisive: 5, share: 0.6 });
    const [lower, upper] = wilson(9, 15);
    expect(bias.interval.lower).toBeCloseTo(lower, 14);
    expect(bias.interval.upper).toBeCloseTo(upper, 14);
    expect(bias.interval.lower).toBeCloseTo(0.357468, 6);
    expect(bias.interval.upper).toBeCloseTo(0.801755, 6);
    // P(X >= 9) = P(X <= 6) = (1 + 15 + 105 + 455 + 1365 + 3003 + 5005) / 2^15
    expect(bias.pValue).toBeCloseTo((2 * 9949) / 32768, 14);
  });

  it('is NaN for no decisive pairs and takes a confidence level', () => {
    const none = positionBias([{ winner: 'tie' }]);
    expect(none.n).toBe(0);
    expect(none.share).toBeNaN();
    expect(none.pValue).toBeNaN();
    const wide = positionBias(pairs, { confidence: 0.99 });
    expect(wide.confidence).toBe(0.99);
    expect(wide.interval.lower).toBeLessThan(positionBias(pairs).interval.lower);
  });
});

describe('length bias', () => {
  it('counts the longer response winning: 9 of 13 in characters, 9 of 15 in tokens', () => {
    const bias = lengthBias(pairs, { countTokens });
    expect(bias.decisive).toBe(15);
    expect(bias.nonDecisive).toBe(5);
    // Characters: v2 ("ab cd" / "abcde") and v7 ("vvv" / "w w") tie at 5 and 3 characters; v1
    // ("longword" beats "x y z") and v3 go to the longer, v5 and four p-rows (p1 a, a; p2 b) to the shorter.
    expect(bias.characters).toMatchObject({ n: 13, longerWins: 9, shorterWins: 4, equalLength: 2 });
    // Tokens: no ties; v1 (1 token beats 3), v5 and v7 flip to the shorter, v2 to the longer.
    expect(bias.tokens).toMatchObject({ n: 15, longerWins: 9, shorterWins: 6, equalLength: 0 });
    // 9 of 13: P(X <= 4) = (1 + 13 + 78 + 286 + 715) / 2^13 = 1093 / 8192.
    expect(bias.characters.pValue).toBeCloseTo((2 * 1093) / 8192, 14);
    const [lower, upper] = wilson(9, 13);
    expect(bias.characters.interval.lower).toBeCloseTo(lower, 14);
    expect(bias.characters.interval.upper).toBeCloseTo(upper, 14);
  });

  it('counts characters as code points, a surrogate pair as one', () => {
    expect(characterCount('a😀b')).toBe(3);
    expect(characterCount('\ud800x')).toBe(2);
    expect(characterCount('')).toBe(0);
    const bias = lengthBias([{ winner: 'a', responseA: '😀😀', responseB: 'abc' }], { countTokens });
    expect(bias.characters).toMatchObject({ n: 1, longerWins: 0 });
  });

  it('measures conversations by their flattened text', () => {
    const bias = lengthBias(
      [
        {
          winner: 'b',
          responseA: [{ role: 'assistant', content: 'short' }],
          responseB: [{ role: 'assistant', content: 'a longer one' }],
        },
      ],
      { countTokens },
    );
    expect(bias.tokens).toMatchObject({ n: 1, longerWins: 1 });
  });
});

describe('length distributions', () => {
  const distributions = lengthDistributions(pairs, { countTokens });

  it('bins token lengths 0..5 in width-1 bins shared by all groups', () => {
    expect(distributions.binWidth).toBe(1);
    expect(distributions.edges).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // chosen: 2 2 4 1 5 5 5 3 3 3 1 2 2 1 1; rejected: 4 4 2 3 2 2 2 1 1 1 3 1 1 3 2
    expect(distributions.groups.chosen.counts).toEqual([0, 4, 4, 3, 1, 3]);
    expect(distributions.groups.rejected.counts).toEqual([0, 5, 5, 3, 2, 0]);
    expect(distributions.groups.a.counts).toEqual([0, 7, 6, 4, 0, 3]);
    expect(distributions.groups.b.counts).toEqual([0, 6, 8, 3, 3, 0]);
  });

  it('summarises chosen and rejected lengths', () => {
    const chosen = distributions.groups.chosen.summary;
    // sorted 1 1 1 1 2 2 2 2 3 3 3 4 5 5 5: mean 40/15, median x[7], p95 = x[13] + 0.3 (x[14] - x[13])
    expect(chosen).toEqual({ count: 15, mean: 40 / 15, median: 2, p95: 5, min: 1, max: 5 });
    const rejected = distributions.groups.rejected.summary;
    // sorted 1 1 1 1 1 2 2 2 2 2 3 3 3 4 4
    expect(rejected).toEqual({ count: 15, mean: 32 / 15, median: 2, p95: 4, min: 1, max: 4 });
    expect(distributions.groups.a.summary).toMatchObject({ count: 20, mean: 2.3, median: 2, max: 5 });
  });

  it('picks 1-2-5 bin widths, caps at an upper bound and counts the overflow', () => {
    expect(niceBinWidth(6, 30)).toBe(1);
    expect(niceBinWidth(6, 2)).toBe(5);
    expect(niceBinWidth(501, 30)).toBe(20);
    expect(niceBinWidth(1001, 10)).toBe(200);
    const capped = lengthDistributions(pairs, { countTokens, upper: 3 });
    expect(capped.edges).toEqual([0, 1, 2, 3]);
    expect(capped.groups.chosen.counts).toEqual([0, 4, 4]);
    expect(capped.groups.chosen.overflow).toBe(7);
    const coarse = lengthDistributions(pairs, { countTokens, maxBins: 2 });
    expect(coarse.edges).toEqual([0, 5, 10]);
    expect(coarse.groups.chosen.counts).toEqual([12, 3]);
  });

  it('puts a value on an edge in the bin it opens, and refuses negative lengths', () => {
    expect(histogram([0, 1, 1.5, 2, 3, 9], [0, 1, 2, 3])).toEqual({ counts: [1, 2, 1], overflow: 2 });
    expect(() => histogram([-1], [0, 1])).toThrow(RangeError);
    expect(() => lengthDistributions(pairs, { countTokens: () => -1 })).toThrow(RangeError);
  });

  it('has NaN summaries for no values, and one empty bin for no pairs', () => {
    expect(lengthSummary([]).mean).toBeNaN();
    const empty = lengthDistributions([], { countTokens });
    expect(empty.edges).toEqual([0, 1]);
    expect(empty.groups.a.counts).toEqual([0]);
  });
});

describe('breakdowns', () => {
  it('counts pairs per task type, largest first, ties by name, with winners', () => {
    const tasks = pairsPerTaskType(pairs);
    expect(tasks.rows.map((r) => [r.key, r.count])).toEqual([
      ['qa', 9],
      ['chat', 5],
      ['code', 5],
    ]);
    expect(tasks.rows[0]!.share).toBe(9 / 20);
    expect(tasks.rows[0]!.winners).toEqual({ a: 6, b: 3, tie: 0, both_bad: 0 });
    expect([tasks.missing, tasks.total]).toEqual([1, 20]);
  });

  it('counts pairs per annotator and per model', () => {
    const annotators = pairsPerAnnotator(pairs);
    expect(annotators.rows.map((r) => [r.key, r.count])).toEqual([
      ['ann1', 5],
      ['ann2', 5],
      ['ann3', 3],
    ]);
    expect(annotators.missing).toBe(7);
    const models = pairsPerModel(pairs);
    expect(models.rows.map((r) => [r.key, r.count])).toEqual([
      ['X', 16],
      ['Z', 13],
      ['Y', 11],
    ]);
    expect(models.rows.reduce((sum, r) => sum + r.asA, 0)).toBe(20);
    expect(models.rows.reduce((sum, r) => sum + r.asB, 0)).toBe(20);
  });

  it('counts a self-comparison once and reports missing model names', () => {
    const models = pairsPerModel([{ modelA: 'X', modelB: 'X' }, { modelA: 'X' }, {}]);
    expect(models.rows).toEqual([{ key: 'X', count: 2, asA: 2, asB: 1, share: 2 / 3 }]);
    expect([models.missingA, models.missingB]).toEqual([1, 2]);
  });
});

describe("Fleiss' kappa from votes", () => {
  it('is 28/109 over the six 3-vote items, the 2-vote item left out', () => {
    const agreement = votesAgreement(pairs);
    // P_i: 1, 1/3, 1/3, 0, 1, 1/3 -> mean 1/2; votes a 7, b 7, tie 2, both_bad 2 of 18
    // -> P_e = (49 + 49 + 4 + 4) / 324; kappa = (1/2 - 106/324) / (1 - 106/324) = 56/218.
    expect(agreement.kappa).toBeCloseTo(28 / 109, 14);
    expect(agreement.observedAgreement).toBeCloseTo(0.5, 14);
    expect(agreement.expectedAgreement).toBeCloseTo(106 / 324, 14);
    expect(agreement.categoryShares).toEqual({ a: 7 / 18, b: 7 / 18, tie: 2 / 18, both_bad: 2 / 18 });
    expect(agreement).toMatchObject({
      raters: 3,
      items: 6,
      unanimousItems: 2,
      otherRaterCounts: [[2, 1]],
      withoutVotes: 13,
    });
    expect(agreement.unanimousShare).toBeCloseTo(1 / 3, 14);
  });

  it('uses the rater count asked for, and the larger of equally common counts', () => {
    const v = (a: number, b: number) => ({ votes: { a, b, tie: 0, both_bad: 0 } });
    const mixed = [v(2, 0), v(1, 1), v(3, 0), v(2, 1), v(1, 0)];
    expect(votesAgreement(mixed)).toMatchObject({
      raters: 3,
      items: 2,
      otherRaterCounts: [
        [1, 1],
        [2, 2],
      ],
    });
    const two = votesAgreement(mixed, { raters: 2 });
    // P_i: 1, 0 -> 1/2; p = (3/4, 1/4) -> P_e = 10/16; kappa = (1/2 - 10/16) / (6/16) = -1/3
    expect(two.kappa).toBeCloseTo(-1 / 3, 14);
    expect(() => votesAgreement(mixed, { raters: 1 })).toThrow(RangeError);
  });

  it('is NaN when every vote is in one category, or there are no votes', () => {
    const v = { votes: { a: 3, b: 0, tie: 0, both_bad: 0 } };
    expect(votesAgreement([v, v]).kappa).toBeNaN();
    expect(votesAgreement([v, v]).unanimousShare).toBe(1);
    const none = votesAgreement([{}]);
    expect(none.kappa).toBeNaN();
    expect(none).toMatchObject({ raters: 0, items: 0, withoutVotes: 1 });
  });
});

describe("Cohen's kappa from annotator rows", () => {
  it('gives every annotator pair its shared items, agreement and kappa', () => {
    const agreement = annotatorAgreement(pairs);
    expect(agreement.items).toBe(5);
    expect(agreement.withoutAnnotator).toBe(7);
    expect(agreement.repeatedLabels).toBe(0);
    expect(agreement.annotators).toEqual([
      { annotatorId: 'ann1', sharedItems: 5 },
      { annotatorId: 'ann2', sharedItems: 5 },
      { annotatorId: 'ann3', sharedItems: 3 },
    ]);
    const [ab, ac, bc] = agreement.pairs;
    // ann1 a b a b both_bad, ann2 a tie a b tie: 3/5 agree; p_e = (2*2 + 2*1) / 25 = 6/25;
    // kappa = (3/5 - 6/25) / (19/25) = 9/19.
    expect(ab).toMatchObject({ annotatorA: 'ann1', annotatorB: 'ann2', sharedItems: 5, agreement: 0.6 });
    expect(ab!.kappa).toBeCloseTo(9 / 19, 14);
    // ann1 a a b, ann3 b a b on p1, p3, p4 (ann3's swapped p4 row "a" is b in p4's first orientation):
    // 2/3 agree; p_e = (2*1 + 1*2) / 9; kappa = (2/3 - 4/9) / (5/9) = 2/5.
    expect(ac).toMatchObject({ annotatorA: 'ann1', annotatorB: 'ann3', sharedItems: 3 });
    expect(ac!.agreement).toBeCloseTo(2 / 3, 14);
    expect(ac!.kappa).toBeCloseTo(0.4, 14);
    expect(bc).toMatchObject({ annotatorA: 'ann2', annotatorB: 'ann3', sharedItems: 3 });
    expect(bc!.kappa).toBeCloseTo(0.4, 14);
  });

  it("keeps an annotator's first label of an item and counts the repeats", () => {
    const row = (annotatorId: string, winner: Winner): PairInput => ({
      prompt: 'p',
      responseA: 'x',
      responseB: 'y',
      winner,
      annotatorId,
    });
    const agreement = annotatorAgreement([row('u', 'a'), row('v', 'a'), row('u', 'b')]);
    expect(agreement.repeatedLabels).toBe(1);
    expect(agreement.pairs).toEqual([
      { annotatorA: 'u', annotatorB: 'v', sharedItems: 1, agreement: 1, kappa: Number.NaN },
    ]);
  });

  it('is NaN for one and the same label throughout, and -1 for complete disagreement over two labels', () => {
    expect(cohenKappa(['a', 'a'], ['a', 'a']).kappa).toBeNaN();
    expect(cohenKappa(['a', 'b'], ['b', 'a'])).toEqual({ agreement: 0, kappa: -1 });
    expect(() => cohenKappa(['a'], [])).toThrow(RangeError);
  });
});

describe('Davidson leaderboard', () => {
  it('counts wins, losses, ties and both-bad per model on the hand data', () => {
    const board = davidsonLeaderboard(pairs);
    expect(
      board.ratings.map(({ model, games, wins, losses, ties, bothBad }) => [model, games, wins, losses, ties, bothBad]),
    ).toEqual([
      ['X', 16, 10, 3, 1, 2],
      ['Y', 11, 2, 5, 3, 1],
      ['Z', 13, 3, 7, 2, 1],
    ]);
    expect(board.ratings.map((r) => r.rank)).toEqual([1, 2, 3]);
    expect(board).toMatchObject({ converged: true, mleExists: true, pseudoWins: 0, games: 20 });
    const mean = board.ratings.reduce((sum, r) => sum + r.rating, 0) / 3;
    expect(mean).toBeCloseTo(1000, 9);
    expect(board.ratings.reduce((product, r) => product * r.strength, 1)).toBeCloseTo(1, 12);
  });

  it('has the closed form for two models: strength ratio wins/losses, nu = ties / sqrt(wins losses)', () => {
    // X beats Y 6 times, loses 2, ties 1 and both-bad 1 (2 ties for the fit). With two models the
    // fit reproduces the observed frequencies: pi_X / pi_Y = 6/2 = 3, nu = 2 / sqrt(6 * 2).
    // Standard errors by the delta method on the multinomial: Var(log pi_X/pi_Y) = 1/6 + 1/2 = 2/3,
    // so SE(centred log pi_X) = sqrt(2/3) / 2; Var(log nu) = 1/2 + (1/4)(1/6 + 1/2) = 2/3.
    const data = [
      ...games('X', 'Y', { a: 4, b: 1, tie: 1 }),
      ...games('Y', 'X', { b: 2, a: 1, both_bad: 1 }),
      game('W', 'W', 'a'), // a model against itself: left out
      { ...game('Q', 'Q', 'a'), modelB: undefined }, // Q has no opponent
      ...games('U', 'V', { a: 1 }), // another component
    ];
    const board = davidsonLeaderboard(data, { tolerance: 1e-13 });
    expect(board.converged).toBe(true);
    const [x, y] = board.ratings;
    expect(x!.model).toBe('X');
    expect(x!.strength / y!.strength).toBeCloseTo(3, 10);
    expect(x!.rating - y!.rating).toBeCloseTo(400 * Math.log10(3), 8);
    expect(x!.rating).toBeCloseTo(1000 + 200 * Math.log10(3), 8);
    expect(board.nu).toBeCloseTo(2 / Math.sqrt(12), 10);
    expect(board.equalStrengthTieShare).toBeCloseTo(board.nu / (2 + board.nu), 14);
    expect(x!.se).toBeCloseTo((POINTS_PER_NAT * Math.sqrt(2 / 3)) / 2, 8);
    expect(board.nuSe).toBeCloseTo(board.nu * Math.sqrt(2 / 3), 10);
    expect([board.games, board.selfComparisons, board.withoutModels]).toEqual([10, 1, 1]);
    expect(board.unrated.map(({ model, reason, games }) => [model, reason, games])).toEqual([
      ['Q', 'no-comparisons', 0],
      ['U', 'other-component', 1],
      ['V', 'other-component', 1],
      ['W', 'no-comparisons', 0],
    ]);
    // Log-likelihood at the fit: 6 log(6/10) + 2 log(2/10) + 2 log(2/10).
    expect(board.logLikelihood).toBeCloseTo(6 * Math.log(0.6) + 4 * Math.log(0.2), 10);
  });

  it('is plain Bradley-Terry without ties: nu = 0', () => {
    const board = davidsonLeaderboard(games('X', 'Y', { a: 3, b: 1 }));
    expect(board.nu).toBe(0);
    expect(board.nuSe).toBeNaN();
    expect(board.ratings[0]!.strength / board.ratings[1]!.strength).toBeCloseTo(3, 9);
    // Var(log pi_X / pi_Y) = 1/3 + 1/1
    expect(board.ratings[0]!.se).toBeCloseTo((POINTS_PER_NAT * Math.sqrt(4 / 3)) / 2, 8);
  });

  it('adds pseudo-wins when a model never won nor tied (no maximum-likelihood estimate)', () => {
    const data = [
      ...games('X', 'Y', { a: 3, b: 1 }),
      ...games('Y', 'Z', { a: 2 }),
      ...games('X', 'Z', { a: 1, tie: 1 }),
    ];
    // Z tied X once, so Z is in reach; without that tie Z never wins nor ties.
    expect(davidsonLeaderboard(data).mleExists).toBe(true);
    const lost = [...games('X', 'Y', { a: 3, b: 1 }), ...games('Y', 'Z', { a: 2 }), ...games('X', 'Z', { a: 1 })];
    const auto = davidsonLeaderboard(lost);
    expect(auto).toMatchObject({ mleExists: false, pseudoWins: 0.5, converged: true });
    expect(auto.ratings.map((r) => r.model)).toEqual(['X', 'Y', 'Z']);
    expect(auto.ratings.every((r) => Number.isFinite(r.rating) && Number.isFinite(r.se))).toBe(true);
    expect(auto.nu).toBe(0);
    const plain = davidsonLeaderboard(lost, { pseudoWins: 0 });
    expect(plain.converged).toBe(false);
    expect(plain.ratings.every((r) => Number.isNaN(r.rating))).toBe(true);
    // All ties: nu has no finite estimate either.
    expect(davidsonLeaderboard(games('X', 'Y', { tie: 3 })).mleExists).toBe(false);
  });

  it('rates nobody when no two models were compared', () => {
    const board = davidsonLeaderboard([game('X', 'X', 'a'), { winner: 'a' }]);
    expect(board.ratings).toEqual([]);
    expect(board.unrated).toMatchObject([{ model: 'X', reason: 'no-comparisons' }]);
    expect(board.nu).toBeNaN();
  });

  it('stops at maxIterations and says it did not converge', () => {
    const board = davidsonLeaderboard(pairs, { maxIterations: 2 });
    expect(board).toMatchObject({ iterations: 2, converged: false });
  });
});

describe('datasetStats', () => {
  it('is each statistic over the same pairs, from any iterable', () => {
    const stats = datasetStats(new Set(pairs), { countTokens });
    expect(stats.winners).toEqual(winnerDistribution(pairs));
    expect(stats.positionBias).toEqual(positionBias(pairs));
    expect(stats.lengthBias).toEqual(lengthBias(pairs, { countTokens }));
    expect(stats.lengths).toEqual(lengthDistributions(pairs, { countTokens }));
    expect(stats.perTaskType).toEqual(pairsPerTaskType(pairs));
    expect(stats.votesAgreement).toEqual(votesAgreement(pairs));
    expect(stats.annotatorAgreement).toEqual(annotatorAgreement(pairs));
    expect(stats.leaderboard).toEqual(davidsonLeaderboard(pairs));
  });
});
