// Rewards from a quick head: each (prompt, response) embedded by its frozen encoder as in training
// (embeddingText), a few texts at a time so progress moves and Cancel is heard, then the ensemble's
// mean reward. Embeddings are not cached here: scored texts are the user's, not a dataset's.
import * as tf from '@tensorflow/tfjs';
import { ScoringCancelled, type ScoreItem } from '../core/eval/score.ts';
import { nextTask } from '../core/next-task.ts';
import { embeddingText } from '../core/quick-head/embedding-text.ts';
import type { QuickHead } from '../core/quick-head/head.ts';
import type { Embedder } from './quick-head-session.ts';

const TEXTS_PER_CALL = 32;

export async function scoreWithQuickHead(
  head: QuickHead,
  embedder: Embedder,
  items: readonly ScoreItem[],
  onProgress?: (done: number, total: number) => void,
  shouldStop?: () => boolean,
): Promise<number[]> {
  const rewards: number[] = [];
  for (let start = 0; start < items.length; start += TEXTS_PER_CALL) {
    await nextTask(); // a Cancel sent meanwhile is heard (the encoder's WASM run never yields)
    if (shouldStop?.()) throw new ScoringCancelled();
    const batch = items.slice(start, start + TEXTS_PER_CALL);
    const vectors = await embedder.embed(batch.map((it) => embeddingText(it.prompt, it.response)));
    const size = head.shape.inputSize;
    const bad = vectors.find((v) => v.length !== size);
    if (bad) throw new Error(`the encoder gives vectors of ${bad.length} floats; this head was trained on ${size}`);
    const flat = new Float32Array(vectors.length * size);
    vectors.forEach((v, i) => flat.set(v, i * size));
    const r = tf.tidy(() => head.rewards(tf.tensor2d(flat, [vectors.length, size]))); // [B]
    rewards.push(...((await r.data()) as Float32Array));
    r.dispose();
    onProgress?.(start + batch.length, items.length);
  }
  return rewards;
}
