// Held-out metrics from read-back rewards: plain numbers, no tensors, so the page, the worker
// and tests compute them the same way.

/** Held-out loss, strict accuracy and mean margin from read-back rewards (plain numbers, no tensors). */
export function pairwiseMetrics(
  chosen: number[],
  rejected: number[],
  margins: number[],
): { loss: number; accuracy: number; meanMargin: number } {
  let loss = 0;
  let correct = 0;
  let margin = 0;
  for (let i = 0; i < chosen.length; i++) {
    const d = chosen[i]! - rejected[i]!;
    const x = -(d - (margins[i] ?? 0)); // softplus(r_r - r_c + m)
    loss += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    if (d > 0) correct++;
    margin += d;
  }
  const n = Math.max(chosen.length, 1);
  return { loss: loss / n, accuracy: correct / n, meanMargin: margin / n };
}
