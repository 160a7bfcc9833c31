// A quick head's frozen encoder in the worker (hub-embedding-model.ts), from the Hub the page's setting
// names. The last one loaded is kept, so retraining a head (or scoring with it) after a few new labels
// does not load the model again.
import { loadHubEmbedder } from './hub-embedding-model.ts';
import { currentHubEndpoint } from './hub-endpoint.ts';
import type { Embedder, OpenEmbedder } from './quick-head-session.ts';

let kept: { key: string; embedder: Promise<Embedder> } | undefined;

export const openHubEmbedder: OpenEmbedder = (source, load) => {
  const endpoint = load.endpoint ?? currentHubEndpoint() ?? '';
  const key = JSON.stringify([source.model, source.revision, source.pooling, source.normalize, endpoint]);
  if (kept?.key === key) return kept.embedder;
  const embedder = loadHubEmbedder(source, { ...load, endpoint });
  kept = { key, embedder };
  // A failed or cancelled load is not kept: the next call tries again.
  embedder.catch(() => {
    if (kept?.embedder === embedder) kept = undefined;
  });
  return embedder;
};
