// What an ensemble of quick heads says about an unlabelled comparison of responses A and B, for the
// labelling queue's uncertainty sampling (src/core/collect/queue.ts): P(A better) from the members'
// mean reward gap, and the members' disagreement, the standard deviation of their gaps. The first is
// the model's own doubt; the second is doubt about the model (few labels near this item), which is
// what query-by-committee sends to an annotator first.

export interface EnsembleJudgement {
  probabilityA: number;
  disagreement: number;
}

/** gaps: member k's r(A) - r(B) for item i at [k * n + i] -> each item's judgement. */
export function ensembleJudgements(gaps: Float32Array, members: number, n: number): EnsembleJudgement[] {
  return Array.from({ length: n }, (_, i) => {
    let mean = 0;
    for (let k = 0; k < members; k++) mean += gaps[k * n + i]! / members;
    let variance = 0;
    for (let k = 0; k < members; k++) variance += (gaps[k * n + i]! - mean) ** 2 / members;
    return { probabilityA: 1 / (1 + Math.exp(-mean)), disagreement: Math.sqrt(variance) };
  });
}
