// The labelling queue ranked by a stored quick head (query by committee): the labelling worker embeds
// the project's items with the head's frozen Hub encoder, prompt + response A and prompt + response B as
// the head was trained (embeddingText), and turns its members' reward gaps into P(A better) and their
// disagreement (core/quick-head/ensemble.ts), which queueOrder ranks by. The embeddings are cached in
// IndexedDB per project and encoder (store/embeddings.ts, under the key `label-project:<id>`): an
// item is embedded once, a refresh after new labels or a retrained head costs a matrix product.
//
// The encoder comes from `openEmbedder` (the worker passes the Transformers.js one, hub-embedder.ts;
// tests pass another), and the head's maths is plain arithmetic (member-gaps.ts): no tfjs here.
import { embeddingText } from '../core/quick-head/embedding-text.ts';
import { sourceKey } from '../core/quick-head/config.ts';
import { ensembleJudgements } from '../core/quick-head/ensemble.ts';
import { memberGaps } from '../core/quick-head/member-gaps.ts';
import { describeQuickHead, isQuickHeadSpec } from '../core/quick-head/spec.ts';
import type { LoadProgress } from '../core/model/pretrained.ts';
import type { RMLabDatabase } from '../store/db.ts';
import { datasetEmbeddings, projectEmbeddingKey, type EmbedProgress } from '../store/embeddings.ts';
import { projectItems } from '../store/labels.ts';
import { getModelRecord } from '../store/models.ts';
import type { OpenEmbedder } from './quick-head-session.ts';

export interface QueueHeadRequest {
  projectId: string;
  /** A stored model whose spec is a quick head (frozen-hub). */
  modelId: string;
  /** The Hub's address (the page's setting); the real Hub when absent. */
  endpoint?: string;
}

export type QueueHeadProgress =
  { kind: 'loading'; progress: LoadProgress } | { kind: 'embedding'; progress: EmbedProgress };

export interface QueueHeadJudgement {
  probabilityA: Map<string, number>;
  /** The members' standard deviation of r(A) - r(B) per item (0 everywhere for a one-member head). */
  disagreement: Map<string, number>;
  members: number;
  /** "Quick linear head (3 members) on ..." */
  head: string;
  /** Items embedded now, and read from the cache. */
  embedded: number;
  fromCache: number;
  tookMs: number;
}

export class QueueHeadJudge {
  #abort: AbortController | undefined;

  constructor(
    private readonly db: () => Promise<RMLabDatabase>,
    private readonly openEmbedder: OpenEmbedder,
  ) {}

  /** Stops the encoder's download or the embedding (what was embedded stays cached). */
  cancel(): void {
    this.#abort?.abort();
  }

  async judge(request: QueueHeadRequest, onProgress: (p: QueueHeadProgress) => void): Promise<QueueHeadJudgement> {
    this.#abort?.abort();
    const abort = (this.#abort = new AbortController());
    try {
      return await this.#judge(request, onProgress, abort.signal);
    } catch (error) {
      if (abort.signal.aborted) throw new Error('ranking by the quick head was cancelled', { cause: error });
      throw error;
    } finally {
      if (this.#abort === abort) this.#abort = undefined;
    }
  }

  async #judge(
    request: QueueHeadRequest,
    onProgress: (p: QueueHeadProgress) => void,
    signal: AbortSignal,
  ): Promise<QueueHeadJudgement> {
    const started = performance.now();
    const db = await this.db();
    const record = await getModelRecord(db, request.modelId);
    if (!record) throw new Error('the quick head picked for the queue is no longer stored (deleted?)');
    const { spec } = record;
    if (!isQuickHeadSpec(spec)) throw new Error('the model picked for the queue is not a quick head');
    const items = await projectItems(db, request.projectId);
    const embedder = await this.openEmbedder(spec.embedding, {
      signal,
      ...(request.endpoint ? { endpoint: request.endpoint } : {}),
      onProgress: (progress) => onProgress({ kind: 'loading', progress }),
    });
    const texts = items.map((item) => ({
      id: item.id,
      texts: [embeddingText(item.prompt, item.responseA), embeddingText(item.prompt, item.responseB)] as const,
    }));
    const { vectors, embedded, fromCache } = await datasetEmbeddings(
      db,
      projectEmbeddingKey(request.projectId),
      sourceKey(spec.embedding),
      texts,
      (t) => embedder.embed(t),
      { onProgress: (progress) => onProgress({ kind: 'embedding', progress }), shouldStop: () => signal.aborted },
    );
    const a = items.map((item) => vectors.get(item.id)!.a);
    const b = items.map((item) => vectors.get(item.id)!.b);
    const gaps = memberGaps(spec.head, record.weights, a, b);
    const judgements = ensembleJudgements(gaps, spec.head.members, items.length);
    return {
      probabilityA: new Map(items.map((item, i) => [item.id, judgements[i]!.probabilityA])),
      disagreement: new Map(items.map((item, i) => [item.id, judgements[i]!.disagreement])),
      members: spec.head.members,
      head: describeQuickHead(spec),
      embedded,
      fromCache,
      tookMs: performance.now() - started,
    };
  }
}
