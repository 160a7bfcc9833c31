// Training a quick reward model in the worker: embed the dataset's prompt + response texts with a
// frozen Hub encoder (cached in IndexedDB per dataset and source: store/embeddings.ts), fit a small
// head on them (core/quick-head/), measure it against the run's baselines on the same held-out pairs,
// and store it as a model like any other (a card naming the encoder it needs).
//
// The encoder comes from `openEmbedder` (the worker passes the Transformers.js one, hub-embedder.ts;
// tests may pass another), so this file holds the steps and none of the library.
import * as tf from '@tensorflow/tfjs';
import type { Pair } from '../core/data/pair.ts';
import { planSplit } from '../core/data/split.ts';
import { computeBaselines } from '../core/eval/baselines/index.ts';
import type { LoadProgress } from '../core/model/pretrained.ts';
import {
  parseQuickHeadConfig,
  sourceKey,
  type EmbeddingSource,
  type QuickHeadConfig,
} from '../core/quick-head/config.ts';
import { quickHeadExamples, pairTexts } from '../core/quick-head/examples.ts';
import { fitQuickHead, type QuickHeadEpoch } from '../core/quick-head/fit.ts';
import { describeQuickHead, type QuickHeadModelSpec } from '../core/quick-head/spec.ts';
import { selectBackend } from '../core/train/backend.ts';
import { scanPairs } from '../store/datasets.ts';
import { newId, type ModelCard, type RMLabDatabase } from '../store/db.ts';
import { datasetEmbeddings, type EmbedProgress } from '../store/embeddings.ts';
import { saveModelWithCard } from '../store/models.ts';

/** A loaded frozen encoder: one vector per text, of `size` floats. */
export interface Embedder {
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Where it runs and with which weights, in words ("wasm, q8"). */
  runtime: string;
  /** The tokens it reads of a text (its tokenizer truncates there); undefined where the model does not say. */
  maxLength: number | undefined;
}

export type OpenEmbedder = (
  source: EmbeddingSource,
  load: { signal: AbortSignal; onProgress: (p: LoadProgress) => void; endpoint?: string },
) => Promise<Embedder>;

export type QuickHeadEvent =
  | { kind: 'loading'; progress: LoadProgress }
  | { kind: 'embedding'; progress: EmbedProgress }
  | { kind: 'epoch'; epoch: QuickHeadEpoch };

export interface QuickHeadRequest {
  dataset: { id: string; name: string };
  source: EmbeddingSource;
  /** Options as the form sends them: checked here (parseQuickHeadConfig). */
  config: Partial<QuickHeadConfig>;
  /** The Hub's address (the page's setting); the real Hub when absent. */
  endpoint?: string;
}

export class QuickHeadSession {
  #abort: AbortController | undefined;

  constructor(
    private readonly db: () => Promise<RMLabDatabase>,
    private readonly openEmbedder: OpenEmbedder,
    /** Whether a run is training in this worker: the head then shares its backend. */
    private readonly training: () => boolean,
  ) {}

  get busy(): boolean {
    return this.#abort !== undefined;
  }

  /** Stops the download, the embedding or the fit in progress (what was embedded stays cached). */
  cancel(): void {
    this.#abort?.abort();
  }

  async train(request: QuickHeadRequest, onEvent: (event: QuickHeadEvent) => void): Promise<ModelCard> {
    if (this.#abort) throw new Error('a quick head is already being trained in this tab');
    const abort = (this.#abort = new AbortController());
    try {
      return await this.#train(request, onEvent, abort.signal);
    } catch (error) {
      if (abort.signal.aborted) throw new Error('the quick head was cancelled', { cause: error });
      throw error;
    } finally {
      this.#abort = undefined;
    }
  }

  async #train(
    request: QuickHeadRequest,
    onEvent: (e: QuickHeadEvent) => void,
    signal: AbortSignal,
  ): Promise<ModelCard> {
    const config = parseQuickHeadConfig(request.config);
    const db = await this.db();
    const pairs: Pair[] = [];
    await scanPairs(db, request.dataset.id, (p) => pairs.push(p));
    if (pairs.length === 0) throw new Error(`the dataset "${request.dataset.name}" has no pairs`);
    const embedder = await this.openEmbedder(request.source, {
      signal,
      ...(request.endpoint ? { endpoint: request.endpoint } : {}),
      onProgress: (progress) => onEvent({ kind: 'loading', progress }),
    });
    const embedStart = performance.now();
    const { vectors, embedded } = await datasetEmbeddings(
      db,
      request.dataset.id,
      sourceKey(request.source),
      pairs.map((p) => ({ id: p.id, texts: pairTexts(p) })),
      (texts) => embedder.embed(texts),
      { onProgress: (progress) => onEvent({ kind: 'embedding', progress }), shouldStop: () => signal.aborted },
    );
    const embedSeconds = embedded > 0 ? (performance.now() - embedStart) / 1000 : 0;
    const split = planSplit(pairs, {
      seed: config.splitSeed,
      heldOutFraction: config.heldOutFraction,
      stratify: 'none',
    });
    const examples = quickHeadExamples(pairs, vectors, split);
    const baselines = computeBaselines(examples.trainText, examples.heldOutText);
    if (!this.training() && !tf.engine().backendName) await selectBackend('auto');
    const fit = await fitQuickHead(examples.train, examples.heldOut, config, {
      onEpoch: (epoch) => onEvent({ kind: 'epoch', epoch }),
      shouldStop: () => signal.aborted,
    });
    const spec: QuickHeadModelSpec = {
      encoder: 'frozen-hub',
      tokenizer: 'hub',
      embedding: request.source,
      head: fit.shape,
    };
    const id = newId();
    const card: ModelCard = {
      id,
      name: `${request.dataset.name} · ${describeQuickHead(spec)}`,
      origin: 'quick-head',
      spec,
      createdAt: Date.now(),
      datasetName: request.dataset.name,
      ...(fit.heldOut.n > 0
        ? { heldOutAccuracy: fit.heldOut.correct / fit.heldOut.n, heldOutPairs: fit.heldOut.n }
        : {}),
      baselines,
      quickHead: {
        config,
        bestEpoch: fit.bestEpoch,
        trainPairs: examples.train.count,
        memberAccuracy: fit.heldOut.memberAccuracy,
        meanSpread: fit.heldOut.meanSpread,
        embedSeconds,
        fitSeconds: fit.seconds,
        encoderRuntime: embedder.runtime,
        identicalHeldOut: examples.identicalHeldOut,
      },
    };
    await saveModelWithCard(db, { runId: id, spec, weights: fit.weights, savedAt: Date.now() }, card);
    return card;
  }
}
