// A quick head's frozen encoder: a Hub feature-extraction model loaded through the one Transformers.js
// loader (hub-pipelines.ts), pooled and normalised as the source says. The last one loaded is kept, so
// retraining a head (or scoring with it) after a few new labels does not load the model again.
import type { EmbeddingSource } from '../core/quick-head/config.ts';
import { loadHubPipeline } from './hub-pipelines.ts';
import { currentHubEndpoint } from './hub-endpoint.ts';
import type { Embedder, OpenEmbedder } from './quick-head-session.ts';

let kept: { key: string; embedder: Promise<Embedder> } | undefined;

/** 'owner/name' with '@revision' unless it is main (the loader's form). */
function modelWithRevision(source: EmbeddingSource): string {
  return source.revision && source.revision !== 'main' ? `${source.model}@${source.revision}` : source.model;
}

export const openHubEmbedder: OpenEmbedder = (source, load) => {
  const endpoint = load.endpoint ?? currentHubEndpoint() ?? '';
  const key = JSON.stringify([source.model, source.revision, source.pooling, source.normalize, endpoint]);
  if (kept?.key === key) return kept.embedder;
  const embedder = loadEmbedder(source, load);
  kept = { key, embedder };
  // A failed or cancelled load is not kept: the next call tries again.
  embedder.catch(() => {
    if (kept?.embedder === embedder) kept = undefined;
  });
  return embedder;
};

async function loadEmbedder(source: EmbeddingSource, load: Parameters<OpenEmbedder>[1]): Promise<Embedder> {
  const loaded = await loadHubPipeline('feature-extraction', {
    model: modelWithRevision(source),
    signal: load.signal,
    onProgress: load.onProgress,
    endpoint: load.endpoint ?? currentHubEndpoint(),
  });
  const extract = loaded.pipeline;
  return {
    runtime: `${loaded.device}, ${loaded.dtype}`,
    async embed(texts: string[]): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      const output = await extract(texts, { pooling: source.pooling, normalize: source.normalize });
      try {
        const [rows, size] = output.dims as [number, number];
        if (output.dims.length !== 2 || rows !== texts.length)
          throw new Error(
            `${source.model} gave embeddings of shape [${output.dims.join(', ')}] for ${texts.length} texts`,
          );
        const data = Float32Array.from(output.data as Float32Array);
        return Array.from({ length: rows }, (_, i) => data.slice(i * size, (i + 1) * size));
      } finally {
        output.dispose();
      }
    },
  };
}
