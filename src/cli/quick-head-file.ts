// `rmlab score` of a quick head: a model file whose spec is 'frozen-hub' holds only the head; its
// embedding model is loaded through the app's one Transformers.js loader (src/worker/hub-pipelines.ts,
// ONNX Runtime's CPU build in Node) from $HF_ENDPOINT (a mirror, or a test's server) or the Hub, and
// kept in a file cache ($RMLAB_HUB_CACHE, else ~/.cache/rmlab/hub: ONNX Runtime in Node reads the graph
// from a file). Each (prompt, response) is embedded as in training (embeddingText) and scored by the
// head (scoreWithQuickHead), so the CLI gives the app's rewards.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ScoreItem } from '../core/eval/score.ts';
import { DEFAULT_HUB_ENDPOINT } from '../core/model/hub.ts';
import type { RewardModelFile } from '../core/model/model-file.ts';
import { QuickHead } from '../core/quick-head/head.ts';
import { describeQuickHead, type QuickHeadModelSpec } from '../core/quick-head/spec.ts';
import { loadHubEmbedder, modelWithRevision } from '../worker/hub-embedding-model.ts';
import { setHubFileCache } from '../worker/hub-pipelines.ts';
import { scoreWithQuickHead } from '../worker/quick-head-scoring.ts';

/** What `rmlab score` scores with: a model file's model, a Hub folder's, or a quick head on its encoder. */
export interface CliScorer {
  score(items: ScoreItem[]): Promise<ArrayLike<number>>;
  dispose(): void;
}

/** Where downloaded Hub files are kept between runs. */
export function hubCacheDir(): string {
  return process.env.RMLAB_HUB_CACHE || join(homedir(), '.cache', 'rmlab', 'hub');
}

/** The quick head of a model file on its embedding model; a refusal names the file, the model and where it was sought. */
export async function openQuickHeadFile(
  path: string,
  file: RewardModelFile & { spec: QuickHeadModelSpec },
): Promise<CliScorer> {
  const spec = file.spec;
  const endpoint = (process.env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/$/, '');
  setHubFileCache(hubCacheDir());
  let embedder: Awaited<ReturnType<typeof loadHubEmbedder>>;
  try {
    embedder = await loadHubEmbedder(spec.embedding, { endpoint });
  } catch (error) {
    throw new Error(
      `${path} is a quick head (${describeQuickHead(spec)}): it scores only with its embedding model ` +
        `${modelWithRevision(spec.embedding)}, which could not be loaded from ${endpoint}: ` +
        `${(error as Error).message ?? error}. Run where that address is reachable, or set HF_ENDPOINT to a ` +
        'Hub mirror that has the model (a Transformers.js feature-extraction model with ONNX weights)',
      { cause: error },
    );
  }
  const head = QuickHead.fromWeights(spec.head, file.weights);
  return {
    score: (items) => scoreWithQuickHead(head, embedder, items),
    dispose: () => head.dispose(),
  };
}
