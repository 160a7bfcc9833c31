// The worker that imports datasets and trains, so the page never blocks on either.
// Its API is exposed to the page with comlink; LabClient (src/ui/lab-client.svelte.ts) owns it.
import * as Comlink from 'comlink';
import '@tensorflow/tfjs-backend-webgpu';
import './wasm-setup.ts';
import { parseTrainConfig, type BackendChoice } from '../core/train/config.ts';
import { addToFacets, emptyFacets, facetList, pairMatcher, type PairQuery } from '../core/data/query.ts';
import { textOf, type Pair, type Text } from '../core/data/pair.ts';
import { datasetStats, type DatasetStats } from '../core/data/stats/index.ts';
import { builtinTokenizer } from '../core/model/tokenizer.ts';
import { hashedSplit, planSplit, type SplitPlan, type SplitSettings } from '../core/data/split.ts';
import { listDatasets, scanPairs } from '../store/datasets.ts';
import { datasetTokens } from '../store/token-cache.ts';
import { exportDataset, mergeDatasets } from './dataset-ops.ts';
import type { ExportCounts, ExportFormat } from '../core/data/export.ts';
import { openLabDB } from '../store/db.ts';
import { holding, IMPORT_LOCK, TRAINING_LOCK } from '../store/liveness.ts';
import { importPairs, type ImportChoices, type ImportProgress, type ImportResult } from './import.ts';
import { PauseGate, resumeRun, runTraining, setHubEndpoint, type RunUpdate } from './train-run.ts';
import { openEncoder } from './encoder-load.ts';
import type { Pooling } from '../core/model/encoders/encoder.ts';
import type { EncoderSummary, LoadProgress } from '../core/model/pretrained.ts';
import type { DatasetRecord, RunRecord } from '../store/db.ts';
import {
  ScoringSession,
  type BatchScoreResult,
  type LoadedModel,
  type RegressionResult,
  type ScoreProgress,
} from './scoring.ts';
import type { RewardPart, ScoreItem } from '../core/eval/score.ts';
import { DATASET_URL_MAX_BYTES, fetchLimited, MODEL_URL_MAX_BYTES, readAll } from '../core/share/fetch-url.ts';
import type { SplitCounts } from '../core/export/trl.ts';
import type { ModelCard } from '../store/db.ts';
import {
  exportHuggingFace,
  exportModelFile,
  exportTrainBigger,
  importModelFile,
  scoreHeldOut,
  type HeldOutRewards,
  type TrainBiggerSource,
} from './model-io.ts';

export type ImportSource = { kind: 'file'; file: File } | { kind: 'url'; url: string; label: 'demo' | 'url' };

let cancelImport = false;
let encoderLoad: AbortController | undefined;
let stopTraining = false;
let training = false;
const pause = new PauseGate();
// The playground's model, kept loaded between requests; scoring shares a training run's backend.
const scoring = new ScoringSession(openLabDB, () => training);
let stopScoring = false;

const api = {
  async importDataset(
    source: ImportSource,
    name: string,
    choices: ImportChoices,
    onProgress: (p: ImportProgress) => void,
  ): Promise<ImportResult> {
    cancelImport = false;
    const db = await openLabDB();
    let stream: ReadableStream<Uint8Array>;
    let totalBytes: number | undefined;
    if (source.kind === 'file') {
      stream = source.file.stream();
      totalBytes = source.file.size;
    } else {
      // http(s) only, a size limit and plain-words errors (missing file, CORS): see fetch-url.ts.
      ({ stream, totalBytes } = await fetchLimited(source.url, 'dataset', DATASET_URL_MAX_BYTES));
    }
    const sourceName = source.kind === 'file' ? source.file.name : source.url;
    return holding(IMPORT_LOCK, () =>
      importPairs(
        db,
        stream,
        {
          name,
          source: { kind: source.kind === 'file' ? 'file' : source.label, name: sourceName },
          totalBytes,
          choices,
        },
        onProgress,
        () => cancelImport,
      ),
    );
  },

  cancelImport(): void {
    cancelImport = true;
  },

  /** Where Hub model ids are downloaded from (the page's setting). */
  setHubEndpoint(endpoint: string | undefined): void {
    setHubEndpoint(endpoint);
  },

  /**
   * Loads a pretrained encoder to show what it is, and keeps its files in the browser's cache for
   * the run: a Hub id or URL (downloaded once), or a folder the user picked or dropped (its files,
   * cached under 'folder:<name>'). One load at a time: a new one cancels the last.
   */
  async loadEncoder(
    encoder: string,
    pooling: Pooling,
    endpoint: string | undefined,
    folder: { files: File[] } | undefined,
    onProgress: (p: LoadProgress) => void,
  ): Promise<{ summary: EncoderSummary; cacheProblem?: string }> {
    encoderLoad?.abort();
    const controller = (encoderLoad = new AbortController());
    setHubEndpoint(endpoint);
    const folderFiles = folder && new Map(folder.files.map((f) => [f.name, f as Blob]));
    const opened = await openEncoder(encoder, pooling, {
      endpoint,
      folderFiles,
      signal: controller.signal,
      onProgress,
    });
    if (encoderLoad === controller) encoderLoad = undefined;
    return { summary: opened.summary, cacheProblem: opened.cacheProblem };
  },

  cancelEncoderLoad(): void {
    encoderLoad?.abort();
  },

  async train(
    dataset: { id: string; name: string },
    rawConfig: unknown,
    onUpdate: (u: RunUpdate) => void,
  ): Promise<RunRecord> {
    if (training) throw new Error('a run is already training in this tab');
    const config = parseTrainConfig(rawConfig);
    training = true;
    stopTraining = false;
    try {
      const db = await openLabDB();
      pause.resume();
      return await holding(TRAINING_LOCK, () => runTraining(db, dataset, config, onUpdate, () => stopTraining, pause));
    } finally {
      training = false;
    }
  },

  async mergeDatasets(ids: string[], name: string): Promise<DatasetRecord> {
    const db = await openLabDB();
    const all = await listDatasets(db);
    const sources = ids.map((id) => all.find((d) => d.id === id)).filter((d): d is DatasetRecord => !!d);
    return holding(IMPORT_LOCK, () => mergeDatasets(db, sources, name));
  },

  async exportDataset(datasetId: string, format: ExportFormat): Promise<{ file: Blob } & ExportCounts> {
    return exportDataset(await openLabDB(), datasetId, format);
  },

  /**
   * Ids of the pairs matching a query, in file order, with each one's side of the split, and the
   * values each filter can take. A stratified split needs the whole dataset, hence a first pass.
   */
  async queryPairs(datasetId: string, query: PairQuery, split: SplitSettings): Promise<PairQueryResult> {
    const db = await openLabDB();
    let plan: SplitPlan = hashedSplit(split);
    if (split.stratify !== 'none') {
      const keys: { prompt: Text; taskType?: string }[] = [];
      await scanPairs(db, datasetId, (p) => keys.push({ prompt: p.prompt, taskType: p.taskType }));
      plan = planSplit(keys, split);
    }
    const matches = pairMatcher(query, plan);
    const facets = emptyFacets();
    const ids: string[] = [];
    const heldOut: boolean[] = [];
    let total = 0;
    await scanPairs(db, datasetId, (pair) => {
      total++;
      addToFacets(facets, pair);
      if (!matches(pair)) return;
      ids.push(pair.id);
      heldOut.push(plan.sideOf(pair) === 'heldout');
    });
    return {
      ids,
      heldOut,
      total,
      facets: {
        taskTypes: facetList(facets.taskTypes),
        models: facetList(facets.models),
        annotators: facetList(facets.annotators),
      },
    };
  },

  /** Every statistic of a dataset, with lengths counted in the built-in encoder's tokens. */
  async datasetStats(datasetId: string): Promise<DatasetStats> {
    const db = await openLabDB();
    const pairs: Pair[] = [];
    await scanPairs(db, datasetId, (p) => pairs.push(p));
    const tokenizer = builtinTokenizer();
    // Token counts from the token-id cache that training shares: a dataset is tokenized once, and the
    // statistics open in a moment the second time (100,000 pairs took 16.5 s tokenizing each time).
    const { tokens } = await datasetTokens(db, datasetId, pairs, tokenizer);
    const counted = new Map<string, number>();
    for (const pair of pairs) {
      const ids = tokens.get(pair.id);
      if (!ids) continue;
      counted.set(textOf(pair.responseA), ids.a.length);
      counted.set(textOf(pair.responseB), ids.b.length);
    }
    const countTokens = (text: string) => {
      let n = counted.get(text);
      if (n === undefined) counted.set(text, (n = tokenizer.encodeText(text).length));
      return n;
    };
    return datasetStats(pairs, { countTokens });
  },

  /** A stored model as a .rmlab.safetensors file (model-io.ts). */
  async exportModel(id: string): Promise<{ fileName: string; file: Blob }> {
    return exportModelFile(await openLabDB(), id);
  },

  /** A BERT-family model as a Hugging Face folder (.zip); throws the reason for any other model. */
  async exportHuggingFace(id: string): Promise<{ fileName: string; file: Blob }> {
    return exportHuggingFace(await openLabDB(), id);
  },

  /** Stores a model file, picked or from a link, as a new model; nothing is stored if it is refused. */
  async importModel(
    source: { kind: 'file'; file: File } | { kind: 'url'; url: string },
    onProgress?: (bytesRead: number, totalBytes?: number) => void,
  ): Promise<ModelCard> {
    const db = await openLabDB();
    if (source.kind === 'file')
      return importModelFile(db, new Uint8Array(await source.file.arrayBuffer()), source.file.name);
    const download = await fetchLimited(source.url, 'model', MODEL_URL_MAX_BYTES);
    const bytes = await readAll(download, (n) => onProgress?.(n, download.totalBytes));
    return importModelFile(db, bytes, source.url);
  },

  /** Rewards a model gives a dataset's held-out pairs (model-io.ts). */
  async scoreHeldOut(modelId: string, datasetId: string, limit?: number): Promise<HeldOutRewards> {
    return scoreHeldOut(await openLabDB(), modelId, datasetId, limit);
  },

  /** A run's (or the form's) dataset and settings as a TRL RewardTrainer folder, zipped (core/export/trl.ts). */
  async exportTrainBigger(source: TrainBiggerSource): Promise<{ fileName: string; file: Blob; counts: SplitCounts }> {
    return exportTrainBigger(await openLabDB(), source);
  },

  stopTraining(): void {
    stopTraining = true;
    pause.resume(); // a paused run wakes up to stop
  },

  /** Pauses the run training in this tab after its current step (it writes a checkpoint, then waits). */
  pauseTraining(): void {
    if (training) pause.pause();
  },

  resumeTraining(): void {
    pause.resume();
  },

  /** Goes on with an interrupted, stopped or failed run from its latest checkpoint (see resumeRun). */
  async resumeRun(runId: string, onUpdate: (u: RunUpdate) => void, backend?: BackendChoice): Promise<RunRecord> {
    if (training) throw new Error('a run is already training in this tab');
    training = true;
    stopTraining = false;
    pause.resume();
    try {
      const db = await openLabDB();
      // One tab at a time resumes a run: two clicks in two tabs must not train it twice.
      const once = (lock: Lock | null) => {
        if (!lock) throw new Error('this run is being resumed in another tab');
        return resumeRun(db, runId, onUpdate, () => stopTraining, pause, backend);
      };
      const exclusive = () =>
        navigator.locks.request(`rm-lab-resume-${runId}`, { ifAvailable: true }, once) as unknown as Promise<RunRecord>;
      return await holding(TRAINING_LOCK, exclusive);
    } finally {
      training = false;
    }
  },

  /** Loads a stored model for the playground and keeps it (the one loaded before is disposed). */
  loadModel(card: Parameters<ScoringSession['load']>[0]): Promise<LoadedModel> {
    return scoring.load(card);
  },

  unloadModel(): void {
    scoring.unload();
  },

  /** Whether scoring gives the whole reward or its quality part (without the length term) from now on. */
  setRewardPart(part: RewardPart): void {
    scoring.setPart(part);
  },

  /** Rewards of (prompt, response) items from the loaded model, in their order ('quality': without its length term). */
  scoreResponses(items: ScoreItem[], part?: RewardPart): Promise<number[]> {
    return scoring.score(items, undefined, undefined, part);
  },

  /** Scores a JSONL file of rows as it streams; the scored rows come back as a JSONL Blob. */
  batchScore(file: File, onProgress: (p: ScoreProgress) => void): Promise<BatchScoreResult> {
    stopScoring = false;
    return scoring.batchScore(file, onProgress, () => stopScoring);
  },

  /** Regression of model versions: from a JSONL file, or from a dataset's model_a/b_version fields. */
  regression(
    source: { kind: 'file'; file: File } | { kind: 'dataset'; id: string; name: string },
    onProgress: (p: ScoreProgress) => void,
  ): Promise<RegressionResult> {
    stopScoring = false;
    return source.kind === 'file'
      ? scoring.regressionFromFile(source.file, onProgress, () => stopScoring)
      : scoring.regressionFromDataset(source, onProgress, () => stopScoring);
  },

  cancelScoring(): void {
    stopScoring = true;
  },
};

export interface PairQueryResult {
  ids: string[];
  /** Aligned with ids: whether that pair is on the held-out side of the split. */
  heldOut: boolean[];
  total: number;
  facets: { taskTypes: [string, number][]; models: [string, number][]; annotators: [string, number][] };
}

export type LabWorkerApi = typeof api;

Comlink.expose(api);
