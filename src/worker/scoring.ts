// Using a stored reward model in the worker: load it once and keep it while the playground is open
// (a switch disposes the one before), score one or a few responses, batch-score a file as it
// streams, and compute a regression report of model versions from a file or a dataset.
import * as tf from '@tensorflow/tfjs';
import { readLines } from '../core/data/jsonl.ts';
import {
  describeEmpty,
  REJECTED_KEPT,
  scoreFile,
  type BatchScoreResult,
  type ReferenceJudge,
  type ScoreProgress,
} from './batch-scoring.ts';
import type { Pair, RejectedLine } from '../core/data/pair.ts';
import {
  collectPrompts,
  promptsFromPairs,
  regressionReport,
  responsesToScore,
  type RegressionReport,
  type VersionPrompt,
} from '../core/eval/regression.ts';
import { maxLengthOf, scoreTexts, type RewardPart, type ScoreItem } from '../core/eval/score.ts';
import { parseRegressionRow, type RegressionRow } from '../core/eval/score-rows.ts';
import { RewardModel, type LengthReward } from '../core/model/reward-model.ts';
import { tokenizerFor, type PairTokenizer } from '../core/model/tokenizer.ts';
import { selectBackend } from '../core/train/backend.ts';
import { scanPairs } from '../store/datasets.ts';
import type { ModelCard, ModelRecord, RMLabDatabase } from '../store/db.ts';
import { getModelRecord } from '../store/models.ts';
import type { LoadProgress } from '../core/model/pretrained.ts';
import { QuickHead } from '../core/quick-head/head.ts';
import { isQuickHeadSpec } from '../core/quick-head/spec.ts';
import type { Embedder, OpenEmbedder } from './quick-head-session.ts';
import { scoreWithQuickHead } from './quick-head-scoring.ts';

export type { BatchScoreResult, ReferenceJudge, ScoreProgress } from './batch-scoring.ts';

export interface LoadedModel {
  id: string;
  name: string;
  /** The tokens it reads of prompt + response (undefined: a quick head whose encoder does not say). */
  maxLength: number | undefined;
  backend: string;
  /** Whether the reward has a length term ('off': none), so that scoring can leave it out. */
  lengthTerm: LengthReward;
}

export interface RegressionResult {
  report: RegressionReport;
  /** Where the prompts came from, in words. */
  source: string;
  /** Pairs without two different versions (dataset), or rejected lines (file). */
  skipped: number;
  rejected: RejectedLine[];
  responses: number;
  /** The reference judge that scored the same responses (its view is in report.judge). */
  judgeModel?: string;
}

interface Held {
  card: Pick<ModelCard, 'id' | 'name' | 'trainConfig'>;
  record: ModelRecord;
  /** An RM Lab encoder and head with its tokenizer, or a quick head with its frozen Hub encoder. */
  scorer:
    | { kind: 'model'; model: RewardModel; tokenizer: PairTokenizer; maxLength: number }
    | { kind: 'quick-head'; head: QuickHead; embedder: Embedder };
  /** The tfjs backend the weights live on: a run started since may have switched it. */
  backend: string;
}

export class ScoringSession {
  #held: Held | undefined;
  /** What score() returns, unless told: the whole reward, or its quality part (without the length term). */
  #part: RewardPart = 'reward';
  #loading: AbortController | undefined;

  constructor(
    private readonly db: () => Promise<RMLabDatabase>,
    /** Whether a run is training in this worker: scoring then shares its backend, never switches it. */
    private readonly training: () => boolean,
    /** Loads a quick head's frozen encoder (hub-embedder.ts in the worker). */
    private readonly openEmbedder?: OpenEmbedder,
  ) {}

  /** Loads a stored model (disposing the one held before); a second load of the same model is free. */
  async load(
    card: Pick<ModelCard, 'id' | 'name' | 'trainConfig'>,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<LoadedModel> {
    if (this.#held?.card.id === card.id && this.#held.backend === tf.getBackend()) return this.info(this.#held);
    const record = await getModelRecord(await this.db(), card.id);
    if (!record) throw new Error(`the model "${card.name}" is no longer stored`);
    await this.ensureBackend();
    const scorer = await this.scorerOf(card, record, onProgress);
    this.unload();
    this.#held = { card, record, scorer, backend: tf.getBackend() };
    return this.info(this.#held);
  }

  private async scorerOf(
    card: Pick<ModelCard, 'trainConfig'>,
    record: ModelRecord,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<Held['scorer']> {
    const spec = record.spec;
    if (!isQuickHeadSpec(spec)) {
      const model = RewardModel.fromWeights(spec, record.weights);
      // What it was trained with (a quick head reads what its encoder's tokenizer keeps: Embedder.maxLength).
      const maxLength = maxLengthOf(spec, card.trainConfig);
      return { kind: 'model', model, tokenizer: tokenizerFor(spec, record.tokenizer), maxLength };
    }
    if (!this.openEmbedder) throw new Error('quick heads cannot be scored here: no Hub encoder loader');
    this.#loading?.abort();
    const loading = (this.#loading = new AbortController());
    try {
      const embedder = await this.openEmbedder(spec.embedding, {
        signal: loading.signal,
        onProgress: onProgress ?? (() => {}),
      });
      return { kind: 'quick-head', head: QuickHead.fromWeights(spec.head, record.weights), embedder };
    } finally {
      if (this.#loading === loading) this.#loading = undefined;
    }
  }

  /** Stops the download of a quick head's encoder in progress. */
  cancelLoad(): void {
    this.#loading?.abort();
  }

  unload(): void {
    const scorer = this.#held?.scorer;
    if (scorer?.kind === 'model') scorer.model.dispose();
    else scorer?.head.dispose();
    this.#held = undefined;
  }

  /** Whether scoring (score, batch files, regression) gives the whole reward or its quality part only (score.ts). */
  setPart(part: RewardPart): void {
    this.#part = part;
  }

  /** Rewards of (prompt, response) items, in their order; `part` 'quality' leaves out a length term (score.ts). */
  async score(
    items: ScoreItem[],
    onProgress?: (done: number, total: number) => void,
    shouldStop?: () => boolean,
    part?: RewardPart,
  ): Promise<number[]> {
    const held = await this.current();
    const { scorer } = held;
    if (scorer.kind === 'quick-head')
      return scoreWithQuickHead(scorer.head, scorer.embedder, items, onProgress, shouldStop);
    const rewards = await scoreTexts(scorer.model, scorer.tokenizer, items, {
      maxLength: scorer.maxLength,
      onProgress,
      shouldStop,
      part: part ?? this.#part,
    });
    return Array.from(rewards);
  }

  /** Streams a JSONL file of rows and scores it (batch-scoring.ts), with a reference judge beside when given. */
  batchScore(
    file: Blob,
    onProgress: (p: ScoreProgress) => void,
    shouldStop: () => boolean,
    judge?: ReferenceJudge,
  ): Promise<BatchScoreResult> {
    return scoreFile(file, (items, p, stop) => this.score(items, p, stop), judge, onProgress, shouldStop);
  }

  /** A regression report from a JSONL file of prompts with responses by model version. */
  async regressionFromFile(
    file: Blob & { name?: string },
    onProgress: (p: ScoreProgress) => void,
    shouldStop: () => boolean,
    judge?: ReferenceJudge,
  ): Promise<RegressionResult> {
    const rows: RegressionRow[] = [];
    const rejected: RejectedLine[] = [];
    let rejectedCount = 0;
    for await (const line of readLines(file.stream())) {
      const parsed = parseRegressionRow(line);
      if (parsed.ok) rows.push(parsed.row);
      else {
        rejectedCount++;
        if (rejected.length < REJECTED_KEPT) rejected.push(parsed.rejected);
      }
    }
    if (rows.length === 0) {
      throw Object.assign(new Error(describeEmpty(rejectedCount, 'prompt with responses by model version')), {
        rejected,
      });
    }
    const prompts = collectPrompts(rows);
    const source = `the file ${file.name ?? ''}`.trim();
    const result = await this.regression(prompts, source, onProgress, shouldStop, judge);
    return { ...result, skipped: rejectedCount, rejected };
  }

  /** A regression report from a dataset's pairs and their model_a_version / model_b_version. */
  async regressionFromDataset(
    dataset: { id: string; name: string },
    onProgress: (p: ScoreProgress) => void,
    shouldStop: () => boolean,
    judge?: ReferenceJudge,
  ): Promise<RegressionResult> {
    const pairs: Pair[] = [];
    await scanPairs(await this.db(), dataset.id, (p) => pairs.push(p));
    const { prompts, skipped } = promptsFromPairs(pairs);
    if (prompts.length === 0) {
      throw new Error(
        `no pair of "${dataset.name}" names two different model versions (model_a_version and model_b_version)`,
      );
    }
    const result = await this.regression(prompts, `the dataset "${dataset.name}"`, onProgress, shouldStop, judge);
    return { ...result, skipped, rejected: [] };
  }

  private async regression(
    prompts: VersionPrompt[],
    source: string,
    onProgress: (p: ScoreProgress) => void,
    shouldStop: () => boolean,
    judge: ReferenceJudge | undefined,
  ): Promise<Omit<RegressionResult, 'skipped' | 'rejected'>> {
    const versions = new Set(prompts.flatMap((p) => Object.keys(p.responses)));
    if (versions.size < 2) {
      throw new Error(`${source} has responses from ${versions.size} model version; a comparison needs two or more`);
    }
    const { items, attach } = responsesToScore(prompts);
    const rewards = await this.score(
      items,
      (done, total) => onProgress({ phase: 'scoring responses', done, total }),
      shouldStop,
    );
    const judged = judge
      ? await judge.score(
          items,
          (done, total) => onProgress({ phase: `scoring with the reference judge ${judge.model}`, done, total }),
          shouldStop,
        )
      : undefined;
    return {
      report: regressionReport(attach(rewards, judged)),
      source,
      responses: items.length,
      ...(judge ? { judgeModel: judge.model } : {}),
    };
  }

  /** The held model, rebuilt on the current backend when a run has switched it since it was loaded. */
  private async current(): Promise<Held> {
    const held = this.#held;
    if (!held) throw new Error('no model is loaded: pick one first');
    if (held.backend === tf.getBackend()) return held;
    await this.load(held.card);
    return this.#held!;
  }

  /**
   * The first model loaded in a worker that has not trained yet picks a backend as a run would
   * ('auto': measured, and a software-only GPU adapter is passed over); a training run's is kept.
   */
  private async ensureBackend(): Promise<void> {
    if (this.training() || tf.engine().backendName) return;
    await selectBackend('auto');
  }

  private info(held: Held): LoadedModel {
    return {
      id: held.card.id,
      name: held.card.name,
      maxLength: held.scorer.kind === 'model' ? held.scorer.maxLength : held.scorer.embedder.maxLength,
      backend: held.backend,
      lengthTerm: held.record.spec.length ?? 'off',
    };
  }
}
