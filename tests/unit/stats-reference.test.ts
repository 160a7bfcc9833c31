// The dataset statistics against an independent Python reference (scipy, statsmodels,
// scikit-learn; scripts/reference/stats_reference.py writes tests/fixtures/stats/*.json), on the
// hand-built dataset (tests/fixtures/stats/hand-pairs.json) and on the real PandaLM test set as
// the bundled demo file holds it (public/demo/pandalm-testset.jsonl, built from the same file).
//
// Tolerances, by kind of number (largest difference seen when written, in brackets):
// - counts, bins, ranks, keys and their order: exact;
// - shares, Wilson bounds, kappas, agreements, length mean/median/p95: 1e-12 absolute
//   (closed forms in float64, summed in another order) [1.6e-15];
// - binomial p-values: 1e-9 relative [3.3e-14];
// - Davidson fit (our MM iteration, stopped when no parameter moves 1e-10, against scipy BFGS
//   polished by a root solve to |gradient| ~1e-14): ratings 1e-6 rating points, log-strengths
//   1e-8, strengths and nu 1e-8 relative, log-likelihood 1e-8 absolute [rating 3.1e-8 points,
//   log-strength 1.8e-10, nu 1.8e-10 relative, log-likelihood < 1e-13];
// - standard errors (ours from the analytic Fisher information, the reference's from a
//   finite-difference Hessian): 1e-4 relative [1.7e-6].
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRecord } from '../../src/core/data/formats/fields.ts';
import { pandalmToPair } from '../../src/core/data/formats/pandalm.ts';
import { rmlabToPair } from '../../src/core/data/formats/rmlab.ts';
import type { PairInput, Winner } from '../../src/core/data/pair.ts';
import {
  type DatasetStats,
  type Proportion,
  annotatorAgreement,
  datasetStats,
} from '../../src/core/data/stats/index.ts';
import handExpected from '../fixtures/stats/hand-expected.json';
import handPairs from '../fixtures/stats/hand-pairs.json';
import pandalmExpected from '../fixtures/stats/pandalm-expected.json';

/** The whitespace tokenizer the Python reference uses too: runs of non-ASCII-whitespace. */
const countTokens = (text: string): number => (text.match(/[^ \t\n\r\f\v]+/g) ?? []).length;

/** The part of a reference fixture both datasets have. */
type Expected = Pick<
  typeof handExpected,
  'winners' | 'positionBias' | 'lengthBias' | 'lengths' | 'perTaskType' | 'perModel' | 'votesAgreement' | 'leaderboard'
>;

const TOLERANCE = {
  share: 1e-12,
  pValue: 1e-9,
  rating: 1e-6,
  logStrength: 1e-8,
  nu: 1e-8,
  logLikelihood: 1e-8,
  se: 1e-4,
} as const;
type Kind = keyof typeof TOLERANCE;
/** Relative kinds compare |a - e| / |e|; the others |a - e|. */
const RELATIVE = new Set<Kind>(['pValue', 'nu', 'se']);

const worst = new Map<string, number>();

function close(dataset: string, kind: Kind, actual: number, expected: number | null, what: string): void {
  expect(expected, `${what}: the reference has no value`).not.toBeNull();
  const e = expected!;
  const d = RELATIVE.has(kind) && e !== 0 ? Math.abs(actual - e) / Math.abs(e) : Math.abs(actual - e);
  const key = `${dataset} ${kind}`;
  worst.set(key, Math.max(worst.get(key) ?? 0, d));
  expect(d, `${what}: ${actual} against ${e}`).toBeLessThanOrEqual(TOLERANCE[kind]);
}

afterAll(() => {
  const lines = [...worst.entries()].map(([key, d]) => `  ${key}: ${d.toExponential(2)}`);
  console.log(`largest differences from the Python reference:\n${lines.join('\n')}`);
});

function readDemoPairs(): PairInput[] {
  const file = fileURLToPath(new URL('../../public/demo/pandalm-testset.jsonl', import.meta.url));
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => rmlabToPair(expectRecord(JSON.parse(line))));
}

/** Every statistic the reference computes, compared within the tolerances above. */
function compareWithReference(dataset: string, actual: DatasetStats, expected: Expected): void {
  const share = (a: number, e: number | null, what: string): void => close(dataset, 'share', a, e, what);

  // Winners
  expect(actual.winners.total).toBe(expected.winners.total);
  expect(actual.winners.counts).toEqual(expected.winners.counts);
  for (const w of ['a', 'b', 'tie', 'both_bad'] as const)
    share(actual.winners.shares[w], expected.winners.shares[w], `share ${w}`);

  // Position and length bias
  const proportion = (
    a: Proportion,
    e: Expected['positionBias'] | Expected['lengthBias']['tokens'],
    what: string,
  ): void => {
    expect([a.n, a.successes], what).toEqual([e.n, e.successes]);
    share(a.share, e.share, `${what} share`);
    share(a.interval.lower, e.interval.lower, `${what} Wilson lower`);
    share(a.interval.upper, e.interval.upper, `${what} Wilson upper`);
    close(dataset, 'pValue', a.pValue, e.pValue, `${what} p-value`);
  };
  proportion(actual.positionBias, expected.positionBias, 'position bias');
  expect(actual.positionBias).toMatchObject({
    aWins: expected.positionBias.aWins,
    bWins: expected.positionBias.bWins,
    nonDecisive: expected.positionBias.nonDecisive,
  });
  for (const measure of ['characters', 'tokens'] as const) {
    const a = actual.lengthBias[measure];
    const e = expected.lengthBias[measure];
    proportion(a, e, `length bias (${measure})`);
    expect([a.longerWins, a.shorterWins, a.equalLength]).toEqual([e.longerWins, e.shorterWins, e.equalLength]);
  }

  // Length distributions
  expect(actual.lengths.edges).toEqual(expected.lengths.edges);
  expect(actual.lengths.binWidth).toBe(expected.lengths.binWidth);
  for (const group of ['chosen', 'rejected', 'a', 'b'] as const) {
    const a = actual.lengths.groups[group];
    const e = expected.lengths.groups[group];
    expect(a.counts, `${group} histogram`).toEqual(e.counts);
    expect(a.overflow).toBe(0);
    expect([a.summary.count, a.summary.min, a.summary.max]).toEqual([e.summary.count, e.summary.min, e.summary.max]);
    for (const stat of ['mean', 'median', 'p95'] as const) share(a.summary[stat], e.summary[stat], `${group} ${stat}`);
  }

  // Breakdowns
  expect(actual.perTaskType.rows.map((r) => [r.key, r.count])).toEqual(
    expected.perTaskType.rows.map((r) => [r.key, r.count]),
  );
  actual.perTaskType.rows.forEach((r, i) => share(r.share, expected.perTaskType.rows[i]!.share, `task ${r.key}`));
  expect([actual.perTaskType.missing, actual.perTaskType.total]).toEqual([
    expected.perTaskType.missing,
    expected.perTaskType.total,
  ]);
  expect(actual.perModel.rows.map(({ key, count, asA, asB }) => ({ key, count, asA, asB }))).toEqual(
    expected.perModel.rows,
  );

  // Fleiss' kappa from the votes
  const va = actual.votesAgreement;
  const ve = expected.votesAgreement;
  expect([va.raters, va.items, va.unanimousItems]).toEqual([ve.raters, ve.items, ve.unanimousItems]);
  share(va.kappa, ve.kappa, "Fleiss' kappa");
  share(va.unanimousShare, ve.unanimousShare, 'unanimous share');
  for (const c of ['a', 'b', 'tie', 'both_bad'] as const)
    share(va.categoryShares[c], ve.categoryShares[c], `vote share ${c}`);

  // Davidson leaderboard
  const la = actual.leaderboard;
  const le = expected.leaderboard;
  expect(la.converged).toBe(true);
  expect(la.mleExists).toBe(true);
  expect(la.pseudoWins).toBe(0);
  expect(la.unrated).toEqual([]);
  expect(la.games).toBe(le.games);
  expect(la.ratings.map((r) => r.model)).toEqual(le.ratings.map((r) => r.model));
  la.ratings.forEach((r, i) => {
    const e = le.ratings[i]!;
    expect({ ...r, rating: 0, se: 0, strength: 0, logStrength: 0, interval: 0 }).toEqual({
      ...e,
      rating: 0,
      se: 0,
      strength: 0,
      logStrength: 0,
      interval: 0,
    });
    close(dataset, 'rating', r.rating, e.rating, `${r.model} rating`);
    close(dataset, 'logStrength', r.logStrength, e.logStrength, `${r.model} log-strength`);
    close(dataset, 'nu', r.strength, e.strength, `${r.model} strength`);
    close(dataset, 'se', r.se, e.se, `${r.model} standard error`);
    expect(r.interval.lower).toBeCloseTo(r.rating - 1.959963984540054 * r.se, 9);
  });
  close(dataset, 'nu', la.nu, le.nu, 'nu');
  close(dataset, 'se', la.nuSe, le.nuSe, 'standard error of nu');
  close(dataset, 'logLikelihood', la.logLikelihood, le.logLikelihood, 'log-likelihood');
}

describe('hand-built dataset against the reference', () => {
  const pairs = handPairs as PairInput[];
  const stats = datasetStats(pairs, { countTokens });

  it('matches every statistic', () => {
    compareWithReference('hand', stats, handExpected);
  });

  it('matches per-annotator counts and pairwise Cohen kappa (sklearn)', () => {
    expect(stats.perAnnotator.rows.map((r) => [r.key, r.count])).toEqual(
      handExpected.perAnnotator.rows.map((r) => [r.key, r.count]),
    );
    expect(stats.perAnnotator.missing).toBe(handExpected.perAnnotator.missing);
    const a = stats.annotatorAgreement;
    const e = handExpected.annotatorAgreement;
    expect([a.items, a.repeatedLabels]).toEqual([e.items, e.repeatedLabels]);
    expect(a.pairs.map((p) => [p.annotatorA, p.annotatorB, p.sharedItems])).toEqual(
      e.pairs.map((p) => [p.annotatorA, p.annotatorB, p.sharedItems]),
    );
    a.pairs.forEach((p, i) => {
      close('hand', 'share', p.agreement, e.pairs[i]!.agreement, `${p.annotatorA}/${p.annotatorB} agreement`);
      close('hand', 'share', p.kappa, e.pairs[i]!.kappa, `${p.annotatorA}/${p.annotatorB} kappa`);
    });
  });
});

describe('PandaLM test set against the reference', () => {
  const pairs = readDemoPairs();
  const stats = datasetStats(pairs, { countTokens });

  it('matches every statistic', () => {
    expect(pairs).toHaveLength(999);
    compareWithReference('PandaLM', stats, pandalmExpected);
    console.log(
      `PandaLM Davidson fit: ${stats.leaderboard.iterations} MM iterations; ` +
        stats.leaderboard.ratings.map((r) => `${r.model} ${r.rating.toFixed(1)} ± ${r.se.toFixed(1)}`).join(', ') +
        `; nu ${stats.leaderboard.nu.toFixed(4)}`,
    );
  });

  /** One row per annotator and PandaLM row, labelled with that annotator's own vote. */
  function annotatorRows(prompt: (pair: PairInput, row: number) => string): PairInput[] {
    const label: Record<string, Winner> = { '1': 'a', '2': 'b', '0': 'tie' };
    return pairs.flatMap((pair, row) =>
      Object.entries(pandalmExpected.labels).map(([annotatorId, labels]) => {
        const { votes: _votes, ...rest } = pair;
        return { ...rest, prompt: prompt(pair, row), annotatorId, winner: label[labels[row]!]! };
      }),
    );
  }

  function compareAgreement(
    actual: ReturnType<typeof annotatorAgreement>['pairs'],
    expected: (typeof pandalmExpected)['annotatorColumns'],
  ): void {
    expect(actual.map((p) => [p.annotatorA, p.annotatorB, p.sharedItems])).toEqual(
      expected.map((p) => [p.annotatorA, p.annotatorB, p.sharedItems]),
    );
    actual.forEach((p, i) => {
      close('PandaLM', 'share', p.agreement, expected[i]!.agreement, `${p.annotatorA}/${p.annotatorB} agreement`);
      close('PandaLM', 'share', p.kappa, expected[i]!.kappa, `${p.annotatorA}/${p.annotatorB} kappa`);
    });
  }

  it("matches sklearn's Cohen kappa of the three annotator columns, each row its own item", () => {
    // A prompt made unique per row: every row is one item, as the columns of the source file are.
    const result = annotatorAgreement(annotatorRows((pair, row) => `${row}\n${pair.prompt as string}`));
    expect([result.items, result.repeatedLabels, result.withoutAnnotator]).toEqual([999, 0, 0]);
    compareAgreement(result.pairs, pandalmExpected.annotatorColumns);
  });

  it('merges the rows that repeat a prompt and its two responses into one item, as the reference does', () => {
    const result = annotatorAgreement(annotatorRows((pair) => pair.prompt as string));
    const e = pandalmExpected.annotatorAgreement;
    expect([result.items, result.repeatedLabels]).toEqual([e.items, e.repeatedLabels]);
    compareAgreement(result.pairs, e.pairs);
  });

  const rawFile = fileURLToPath(new URL('../../../shared/data/pandalm-testset-v1.json', import.meta.url));
  // The raw file lives outside the repository; without it this check is skipped.
  it.skipIf(!existsSync(rawFile))('gives the same statistics from the raw PandaLM file', () => {
    const raw = JSON.parse(readFileSync(rawFile, 'utf8')) as unknown[];
    const fromRaw = datasetStats(
      raw.map((row) => pandalmToPair(expectRecord(row))),
      { countTokens },
    );
    expect(fromRaw).toEqual(stats);
  });
});
