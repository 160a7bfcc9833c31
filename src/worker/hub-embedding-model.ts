// A Hub feature-extraction model as a quick head's frozen encoder, loaded through the one Transformers.js
// loader (hub-pipelines.ts): texts in, one pooled (and, as the source says, normalised) vector each out,
// with the tokens it reads of a text (its tokenizer's limit). Free of the worker's state, so the CLI
// (`rmlab score` of a quick head) loads it the same way; the worker keeps one loaded (hub-embedder.ts).
import type { LoadProgress } from '../core/model/pretrained.ts';
import type { EmbeddingSource } from '../core/quick-head/config.ts';
import { encoderMaxLength } from '../core/quick-head/embedding-text.ts';
import { loadHubPipeline } from './hub-pipelines.ts';
import type { Embedder } from './quick-head-session.ts';

/** 'owner/name' with '@revision' unless it is main (the loader's form). */
export function modelWithRevision(source: EmbeddingSource): string {
  return source.revision && source.revision !== 'main' ? `${source.model}@${source.revision}` : source.model;
}

export async function loadHubEmbedder(
  source: EmbeddingSource,
  load: { signal?: AbortSignal; onProgress?: (p: LoadProgress) => void; endpoint?: string | undefined },
): Promise<Embedder> {
  const loaded = await loadHubPipeline('feature-extraction', {
    model: modelWithRevision(source),
    ...(load.signal ? { signal: load.signal } : {}),
    ...(load.onProgress ? { onProgress: load.onProgress } : {}),
    ...(load.endpoint ? { endpoint: load.endpoint } : {}),
  });
  const extract = loaded.pipeline;
  const tokenizer = extract.tokenizer as unknown as { model_max_length?: unknown };
  return {
    runtime: `${loaded.device}, ${loaded.dtype}`,
    maxLength: encoderMaxLength(tokenizer.model_max_length, loaded.config.max_position_embeddings),
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
