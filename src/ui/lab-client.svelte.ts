// The page's one handle on the lab worker and the store: it owns the Worker, keeps what the
// screens show as reactive state, and is changed only through its methods.
import * as Comlink from 'comlink';
import { DEMO_DATASET } from '../core/data/demo.ts';
import type { Pair, RejectedLine } from '../core/data/pair.ts';
import type { ExportCounts, ExportFormat } from '../core/data/export.ts';
import type { PairQuery } from '../core/data/query.ts';
import { downloadBlob } from './widgets/download.ts';
import type { DatasetStats } from '../core/data/stats/index.ts';
import type { SplitSettings } from '../core/data/split.ts';
import type { BackendChoice, TrainConfig } from '../core/train/config.ts';
import { applyTrainEvent } from '../core/train/run-progress.ts';
import type { DatasetRecord, ModelCard, RunRecord } from '../store/db.ts';
import {
  cleanUpAfterClosedTabs,
  deleteStoredDataset,
  deleteStoredModel,
  deleteStoredRun,
  readStoredLists,
  renameStoredDataset,
  renameStoredModel,
  storedPairs,
  storedRejectedLines,
  storedUnpairedEvents,
} from './lab-store.ts';
import { askToPersist, readHubEndpoint, saveHubEndpoint, storageInfo, type StorageInfo } from './browser-settings.ts';
import type { HeldOutRewards, TrainBiggerSource } from '../worker/model-io.ts';
import { isResumable } from '../store/runs.ts';
import type { Duplicate, ImportChoices, ImportProgress } from '../worker/import.ts';
import type { ImportSource, LabWorkerApi, PairQueryResult } from '../worker/lab.worker.ts';
import type { RunUpdate } from '../worker/train-run.ts';
import type { EncoderSummary, LoadProgress } from '../core/model/pretrained.ts';
import type { DownloadPlan, PlanRequest } from '../core/train/download-plan.ts';
import type { Pooling } from '../core/model/encoders/encoder.ts';
import type { RewardPart, ScoreItem } from '../core/eval/score.ts';
import type { UnpairedEvent } from '../core/data/implicit/derive.ts';
import type { BatchScoreResult, LoadedModel, RegressionResult, ScoreProgress } from '../worker/scoring.ts';
import type { EmbeddingSource, QuickHeadConfig } from '../core/quick-head/config.ts';
import type { JudgeWorker } from './playground/judge-state.svelte.ts';
import { followQuickHead, type QuickHeadState } from './train/quick-head-progress.ts';
import type { GeneratedResponse } from '../core/generate/answers.ts';
import type { GenerationEvent, GenerationRequest } from '../worker/generation.ts';

export interface ImportState {
  name: string;
  progress: ImportProgress;
  startedAt: number;
}

export interface ImportOutcome {
  /** The dataset stored, when one was. */
  datasetId?: string;
  datasetName: string;
  pairs: number;
  rejected: RejectedLine[];
  duplicates: Duplicate[];
  error?: string;
  /** Starts the same import again (after a failure, a stall or a cancel). */
  retry?: () => Promise<void>;
}

export class LabClient {
  // What the screens show, reactive; changed only by this class's methods (read through the getters).
  #datasets = $state.raw<DatasetRecord[]>([]);
  #runs = $state.raw<RunRecord[]>([]);
  #importing = $state<ImportState | undefined>();
  #lastImport = $state.raw<ImportOutcome | undefined>();
  #liveRun = $state.raw<RunRecord | undefined>();
  #ready = $state(false);
  #storage = $state.raw<StorageInfo | undefined>();
  #models = $state.raw<ModelCard[]>([]);
  #modelDownload = $state<{ url: string; bytesRead: number; totalBytes?: number } | undefined>();
  #encoderLoad = $state.raw<EncoderLoadState | undefined>();
  #hubModel = $state.raw<HubModelState | undefined>();
  #hubEndpoint = $state(readHubEndpoint());
  #quickHead = $state.raw<QuickHeadState | undefined>();

  get datasets(): DatasetRecord[] {
    return this.#datasets;
  }
  get runs(): RunRecord[] {
    return this.#runs;
  }
  get importing(): ImportState | undefined {
    return this.#importing;
  }
  get lastImport(): ImportOutcome | undefined {
    return this.#lastImport;
  }
  /** The run training now, updated live from the worker's events. */
  get liveRun(): RunRecord | undefined {
    return this.#liveRun;
  }
  get ready(): boolean {
    return this.#ready;
  }
  get storage(): StorageInfo | undefined {
    return this.#storage;
  }
  /** Stored reward models (trained or imported), newest first. */
  get models(): ModelCard[] {
    return this.#models;
  }
  /** A model downloading from a link: bytes so far and, when the server said, of how many. */
  get modelDownload(): { url: string; bytesRead: number; totalBytes?: number } | undefined {
    return this.#modelDownload;
  }
  /** The pretrained encoder being loaded or last loaded (by the picker or a run), for the encoder picker. */
  get encoderLoad(): EncoderLoadState | undefined {
    return this.#encoderLoad;
  }
  /** The reward model being added from the Hub (Models screen), or the last one tried. */
  get hubModel(): HubModelState | undefined {
    return this.#hubModel;
  }
  /** Where Hub model ids download from; kept in this browser (tests point it at 127.0.0.1). */
  get hubEndpoint(): string {
    return this.#hubEndpoint;
  }
  /** The quick head being trained or last trained in this tab (Train screen). */
  get quickHead(): QuickHeadState | undefined {
    return this.#quickHead;
  }
  get training(): boolean {
    return this.#liveRun?.status === 'running';
  }

  readonly #worker: Worker;
  readonly #api: Comlink.Remote<LabWorkerApi>;

  constructor() {
    this.#worker = new Worker(new URL('../worker/lab.worker.ts', import.meta.url), { type: 'module' });
    this.#api = Comlink.wrap<LabWorkerApi>(this.#worker);
    void this.#api.setHubEndpoint(this.#hubEndpoint);
  }

  setHubEndpoint(endpoint: string): void {
    this.#hubEndpoint = saveHubEndpoint(endpoint);
    void this.#api.setHubEndpoint(this.#hubEndpoint);
  }

  /**
   * Loads a pretrained encoder (a Hub id, a URL, or a picked folder's files) into the browser's
   * cache and says what it is. Resolves with the state shown; a cancelled load leaves no state.
   */
  async loadEncoder(
    encoder: string,
    pooling: Pooling,
    folderFiles?: File[],
    plan?: PlanRequest,
  ): Promise<EncoderLoadState | undefined> {
    const state: EncoderLoadState = { encoder, loading: true, folderFiles };
    this.#encoderLoad = state;
    const onProgress = (progress: LoadProgress) => {
      if (this.#encoderLoad?.encoder === encoder) this.#encoderLoad = { ...this.#encoderLoad, progress };
    };
    const onPlan = (planned: DownloadPlan) => {
      if (this.#encoderLoad?.encoder === encoder) this.#encoderLoad = { ...this.#encoderLoad, plan: planned };
    };
    try {
      const { summary, cacheProblem } = await this.#api.loadEncoder(
        encoder,
        pooling,
        this.#hubEndpoint,
        folderFiles && { files: folderFiles },
        Comlink.proxy(onProgress),
        plan,
        Comlink.proxy(onPlan),
      );
      if (this.#encoderLoad?.encoder === encoder)
        this.#encoderLoad = { ...this.#encoderLoad, loading: false, summary, cacheProblem };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const cancelled = /cancelled/.test(message);
      if (this.#encoderLoad?.encoder === encoder) {
        this.#encoderLoad = cancelled
          ? undefined
          : { ...this.#encoderLoad, encoder, loading: false, error: message, tooLarge: isTooLarge(message) };
      }
    }
    return this.#encoderLoad;
  }

  cancelEncoderLoad(): void {
    void this.#api.cancelEncoderLoad();
  }

  /**
   * Adds a one-label sequence classifier from the Hub, a URL or a picked folder as a model: the
   * memory plan (for `plan`, the training form's settings) shows before its weights download.
   * Resolves with the state shown; a cancelled add leaves none.
   */
  async addHubRewardModel(source: string, plan: PlanRequest, folderFiles?: File[]): Promise<HubModelState | undefined> {
    this.#hubModel = { source, phase: 'checking', folderFiles };
    const mine = () => this.#hubModel?.source === source;
    // Callbacks come through their own message ports and may land after the answer: one that comes
    // once the add is settled (added, failed) is old news.
    const going = () => mine() && (this.#hubModel!.phase === 'checking' || this.#hubModel!.phase === 'downloading');
    const onPlan = (planned: DownloadPlan) => {
      if (going()) this.#hubModel = { ...this.#hubModel!, plan: planned };
    };
    const onProgress = (progress: LoadProgress) => {
      if (going()) this.#hubModel = { ...this.#hubModel!, phase: 'downloading', progress };
    };
    try {
      const { card, cacheProblem } = await this.#api.addHubRewardModel(
        source,
        this.#hubEndpoint,
        folderFiles && { files: folderFiles },
        plan,
        Comlink.proxy(onPlan),
        Comlink.proxy(onProgress),
      );
      if (mine()) this.#hubModel = { ...this.#hubModel!, phase: 'added', card, cacheProblem, progress: undefined };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (mine()) {
        this.#hubModel = /cancelled/.test(message)
          ? undefined
          : { ...this.#hubModel!, phase: 'failed', error: message, tooLarge: isTooLarge(message), progress: undefined };
      }
    } finally {
      await this.refresh();
    }
    return this.#hubModel;
  }

  cancelHubRewardModel(): void {
    void this.#api.cancelHubRewardModel();
  }

  /** Responses from a Hub text generator (the Hub address is this page's setting); see GenerationRun. */
  generateResponses(
    request: Omit<GenerationRequest, 'endpoint'>,
    onEvent: (e: GenerationEvent) => void,
  ): Promise<{ responses: GeneratedResponse[]; cancelled: boolean }> {
    return this.#api.generateResponses({ ...request, endpoint: this.#hubEndpoint }, Comlink.proxy(onEvent));
  }

  cancelGeneration(): void {
    void this.#api.cancelGeneration();
  }

  async init(): Promise<void> {
    await cleanUpAfterClosedTabs();
    await this.refresh();
    this.#ready = true;
  }

  async refresh(): Promise<void> {
    const [lists, storage] = await Promise.all([readStoredLists(), storageInfo()]);
    this.#datasets = lists.datasets;
    this.#runs = lists.runs;
    this.#models = lists.models;
    this.#storage = storage;
  }

  async mergeDatasets(ids: string[], name: string): Promise<void> {
    try {
      const merged = await this.#api.mergeDatasets(ids, name);
      this.#lastImport = {
        datasetId: merged.id,
        datasetName: merged.name,
        pairs: merged.pairCount,
        rejected: [],
        duplicates: [],
      };
    } catch (error) {
      this.#lastImport = {
        datasetName: name,
        pairs: 0,
        rejected: [],
        duplicates: [],
        error: error instanceof Error ? error.message : String(error),
      };
    } finally {
      await this.refresh();
    }
  }

  async importDataset(source: ImportSource, name: string, choices: ImportChoices = {}): Promise<void> {
    // Ask once that the browser not evict this site's data under storage pressure.
    await askToPersist(this.#storage);
    this.#importing = { name, startedAt: performance.now(), progress: { bytesRead: 0, pairs: 0, rejected: 0 } };
    try {
      const result = await this.#api.importDataset(
        source,
        name,
        $state.snapshot(choices) as ImportChoices,
        Comlink.proxy((progress: ImportProgress) => {
          if (this.#importing) this.#importing = { ...this.#importing, progress };
        }),
      );
      this.#lastImport = {
        datasetId: result.dataset.id,
        datasetName: name,
        pairs: result.dataset.pairCount,
        rejected: result.rejected,
        duplicates: result.duplicates,
      };
    } catch (error) {
      const rejected = (error as { rejected?: RejectedLine[] }).rejected ?? [];
      this.#lastImport = {
        datasetName: name,
        pairs: 0,
        rejected,
        duplicates: [],
        error: error instanceof Error ? error.message : String(error),
        retry: () => this.importDataset(source, name, choices),
      };
    } finally {
      this.#importing = undefined;
      await this.refresh();
    }
  }

  /** The bundled demo dataset (public/demo), fetched from the site like any file by URL. */
  loadDemo(): Promise<void> {
    return this.importDataset(
      { kind: 'url', url: new URL(DEMO_DATASET.path, document.baseURI).href, label: 'demo' },
      DEMO_DATASET.name,
    );
  }

  cancelImport(): void {
    void this.#api.cancelImport();
  }

  rejectedLines(datasetId: string): Promise<RejectedLine[]> {
    return storedRejectedLines(datasetId);
  }

  /** A feedback-log dataset's events that made no pair, each with why. */
  unpairedEvents(datasetId: string): Promise<UnpairedEvent[]> {
    return storedUnpairedEvents(datasetId);
  }

  queryPairs(datasetId: string, query: PairQuery, split: SplitSettings): Promise<PairQueryResult> {
    return this.#api.queryPairs(datasetId, query, split);
  }

  /** Downloads a dataset as JSONL; returns how many pairs the format could not hold. */
  async exportDataset(dataset: DatasetRecord, format: ExportFormat): Promise<ExportCounts> {
    const { file, ...counts } = await this.#api.exportDataset(dataset.id, format);
    const slug = dataset.name.replace(/[^\w.-]+/g, '-').replace(/^-|-$/g, '') || 'dataset';
    downloadBlob(`${slug}.${format === 'trl' ? 'trl' : 'rmlab'}.jsonl`, file);
    return counts;
  }

  /** A dataset as RM Lab JSONL text (for a link that carries it: small datasets only). */
  async datasetJsonl(datasetId: string): Promise<string> {
    const { file } = await this.#api.exportDataset(datasetId, 'rmlab');
    return file.text();
  }

  datasetStats(datasetId: string): Promise<DatasetStats> {
    return this.#api.datasetStats(datasetId);
  }

  pairsById(ids: string[]): Promise<Pair[]> {
    return storedPairs(ids);
  }

  async renameDataset(id: string, name: string): Promise<void> {
    await renameStoredDataset(id, name);
    await this.refresh();
  }

  async deleteRun(id: string): Promise<void> {
    await deleteStoredRun(id);
    await this.refresh();
  }

  /** Downloads a stored model as a .rmlab.safetensors file. */
  async exportModel(card: ModelCard): Promise<void> {
    const { fileName, file } = await this.#api.exportModel(card.id);
    downloadBlob(fileName, file);
  }

  /** Downloads a BERT-family model as a Hugging Face model folder (.zip). */
  async exportHuggingFace(card: ModelCard): Promise<void> {
    const { fileName, file } = await this.#api.exportHuggingFace(card.id);
    downloadBlob(fileName, file);
  }

  /** Downloads a model trained with LoRA as a PEFT adapter folder (.zip). */
  async exportPeftAdapter(card: ModelCard): Promise<void> {
    const { fileName, file } = await this.#api.exportPeftAdapter(card.id);
    downloadBlob(fileName, file);
  }

  /** Stores a model file (picked, dropped or at a URL) as a new model; resolves with it, or throws the reason. */
  async importModel(source: { kind: 'file'; file: File } | { kind: 'url'; url: string }): Promise<ModelCard> {
    if (source.kind === 'url') this.#modelDownload = { url: source.url, bytesRead: 0 };
    try {
      return await this.#api.importModel(
        source,
        Comlink.proxy((bytesRead: number, totalBytes?: number) => {
          if (source.kind === 'url') this.#modelDownload = { url: source.url, bytesRead, totalBytes };
        }),
      );
    } finally {
      this.#modelDownload = undefined;
      await this.refresh();
    }
  }

  /** Stops the model download in progress; its import then fails as cancelled, storing nothing. */
  cancelModelDownload(): void {
    void this.#api.cancelModelDownload();
  }

  async renameModel(id: string, name: string): Promise<void> {
    const trimmed = name.trim();
    if (!trimmed) throw new Error('a model needs a name');
    await renameStoredModel(id, trimmed);
    await this.refresh();
  }

  /** Removes an imported model or a quick head (a trained one goes with its run). */
  async deleteModel(id: string): Promise<void> {
    await deleteStoredModel(id);
    await this.refresh();
  }

  scoreHeldOut(modelId: string, datasetId: string, limit?: number): Promise<HeldOutRewards> {
    return this.#api.scoreHeldOut(modelId, datasetId, limit);
  }

  /**
   * Downloads a dataset with training settings as a TRL RewardTrainer folder (.zip): a run's, or
   * the form's for a dataset. Returns the split's counts.
   */
  async exportTrainBigger(source: TrainBiggerSource): Promise<{ train: number; test: number; skipped: number }> {
    const { fileName, file, counts } = await this.#api.exportTrainBigger(
      source.kind === 'form' ? { ...source, config: $state.snapshot(source.config) } : source,
    );
    downloadBlob(fileName, file);
    return counts;
  }

  async deleteDataset(id: string): Promise<void> {
    await deleteStoredDataset(id);
    await this.refresh();
  }

  async train(dataset: DatasetRecord, config: TrainConfig): Promise<void> {
    const onUpdate = (u: RunUpdate) => {
      if (u.type === 'encoder') {
        this.#encoderLoad = {
          ...this.#encoderLoad,
          encoder: config.encoder,
          loading: true,
          progress: u.progress,
          error: undefined,
        };
      } else if (u.type === 'encoderLoaded') {
        // The plan made before the download (TrainPanel's planned load) stays shown beside what was loaded.
        const plan = this.#encoderLoad?.encoder === config.encoder ? this.#encoderLoad.plan : undefined;
        this.#encoderLoad = {
          encoder: config.encoder,
          loading: false,
          summary: u.summary,
          cacheProblem: u.cacheProblem,
          ...(plan ? { plan } : {}),
        };
      }
      if (u.type === 'created' || u.type === 'saved') this.#liveRun = u.run;
      else if (this.#liveRun) this.#liveRun = applyUpdate(this.#liveRun, u);
      if (u.type === 'created' || u.type === 'saved') void this.refresh();
    };
    try {
      await this.#api.train({ id: dataset.id, name: dataset.name }, $state.snapshot(config), Comlink.proxy(onUpdate));
    } finally {
      await this.refresh();
    }
  }

  stopTraining(): void {
    void this.#api.stopTraining();
  }

  /** Pauses the live run after its current step; it writes a checkpoint and waits (liveRun.paused). */
  pauseTraining(): void {
    if (this.#liveRun?.status === 'running') this.#liveRun = { ...this.#liveRun, paused: true };
    void this.#api.pauseTraining();
  }

  resumeTraining(): void {
    if (this.#liveRun?.paused) this.#liveRun = { ...this.#liveRun, paused: undefined };
    void this.#api.resumeTraining();
  }

  /** Whether to offer "Resume" for a stored run (interrupted, stopped or failed, with a checkpoint). */
  canResume(run: RunRecord): boolean {
    return !this.training && isResumable(run);
  }

  /**
   * Goes on with a run from its latest checkpoint, to the result it would have reached without the
   * break. Resolves with undefined once the run ends (its outcome is in liveRun), or with the reason,
   * in plain words, why it could not resume (no checkpoint, dataset changed): the run is then untouched.
   */
  /** Goes on with a run from its checkpoint; `backend` picks another than the checkpoint's. */
  async resumeRun(runId: string, backend?: BackendChoice): Promise<string | undefined> {
    const onUpdate = (u: RunUpdate) => {
      if (u.type === 'created' || u.type === 'saved') this.#liveRun = u.run;
      else if (this.#liveRun) this.#liveRun = applyUpdate(this.#liveRun, u);
      if (u.type === 'created' || u.type === 'saved') void this.refresh();
    };
    try {
      await this.#api.resumeRun(runId, Comlink.proxy(onUpdate), backend);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await this.refresh();
    }
  }

  // The playground and regression views (src/worker/scoring.ts): the worker keeps the model picked
  // loaded between requests, until another is picked or the views close.
  loadModel(card: Pick<ModelCard, 'id' | 'name' | 'trainConfig'>): Promise<LoadedModel> {
    return this.#api.loadModel({ id: card.id, name: card.name, trainConfig: card.trainConfig });
  }

  unloadModel(): void {
    void this.#api.unloadModel();
  }

  scoreResponses(items: ScoreItem[]): Promise<number[]> {
    return this.#api.scoreResponses(items);
  }

  /** Whether the playground's scores (score, compare, best-of-N, batch, regression) leave out the length term. */
  setRewardPart(part: RewardPart): Promise<void> {
    return this.#api.setRewardPart(part);
  }

  /** Scores a file of rows; `judge` (the loaded reference judge's id) scores every response beside the model. */
  batchScore(file: File, onProgress: (p: ScoreProgress) => void, judge?: string): Promise<BatchScoreResult> {
    // Braces: a callback's return value goes back to the worker, and page state is not cloneable.
    return this.#api.batchScore(
      file,
      Comlink.proxy((p: ScoreProgress) => {
        onProgress(p);
      }),
      judge,
    );
  }

  regression(
    source: { kind: 'file'; file: File } | { kind: 'dataset'; id: string; name: string },
    onProgress: (p: ScoreProgress) => void,
    judge?: string,
  ): Promise<RegressionResult> {
    return this.#api.regression(
      source,
      Comlink.proxy((p: ScoreProgress) => {
        onProgress(p);
      }),
      judge,
    );
  }

  cancelScoring(): void {
    void this.#api.cancelScoring();
  }

  /** The worker's judge calls, for the playground's JudgeState (src/ui/playground/judge-state.svelte.ts). */
  get judgeWorker(): JudgeWorker {
    const api = this.#api;
    return {
      loadJudge: (model, onProgress) =>
        api.loadJudge(
          model,
          Comlink.proxy((p: LoadProgress) => {
            onProgress(p);
          }),
        ),
      cancelJudgeLoad: () => api.cancelJudgeLoad(),
      unloadJudge: () => api.unloadJudge(),
      judgeResponses: (items) => api.judgeResponses(items),
    };
  }

  /** Trains a quick head on a frozen Hub encoder (src/worker/quick-head-session.ts); the result is a stored model. */
  async trainQuickHead(
    dataset: DatasetRecord,
    source: EmbeddingSource,
    config: Partial<QuickHeadConfig>,
  ): Promise<ModelCard | undefined> {
    const request = { dataset: { id: dataset.id, name: dataset.name }, source, config, endpoint: this.#hubEndpoint };
    const card = await followQuickHead(
      (onEvent) => this.#api.trainQuickHead(request, Comlink.proxy(onEvent)),
      (state) => (this.#quickHead = state),
    );
    if (!card) return undefined;
    try {
      await this.refresh();
      return card;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#quickHead = { ...this.#quickHead!, phase: 'failed', error: message };
      return undefined;
    }
  }

  cancelQuickHead(): void {
    void this.#api.cancelQuickHead();
  }
}

export interface EncoderLoadState {
  /** The encoder field's value it is for. */
  encoder: string;
  loading: boolean;
  progress?: LoadProgress;
  summary?: EncoderSummary;
  /** Why the files could not be kept in the browser's cache (the next load downloads again). */
  cacheProblem?: string;
  error?: string;
  /** The memory plan made from config.json before the weights downloaded. */
  plan?: DownloadPlan;
  /** The load stopped because the plan says the model will not fit (it may be asked for anyway). */
  tooLarge?: boolean;
  /** A picked folder's files, kept to load it again ("Download anyway"). */
  folderFiles?: File[];
}

/** A reward model being added from the Hub (Models screen), or the last one tried. */
export interface HubModelState {
  /** What the user named: a Hub id, a URL or 'folder:<name>'. */
  source: string;
  phase: 'checking' | 'downloading' | 'added' | 'failed';
  plan?: DownloadPlan;
  progress?: LoadProgress;
  card?: ModelCard;
  cacheProblem?: string;
  error?: string;
  tooLarge?: boolean;
  folderFiles?: File[];
}

/** Whether a load's error is the memory plan's refusal (download-plan.ts PlanTooLarge). */
function isTooLarge(message: string): boolean {
  return /will not fit/.test(message) && /Nothing was downloaded but config\.json/.test(message);
}

/** The live run after one worker event (a new object, so charts redraw). */
function applyUpdate(run: RunRecord, u: RunUpdate): RunRecord {
  switch (u.type) {
    case 'created':
    case 'saved':
      return u.run;
    case 'backend':
      return { ...run, backend: u.backend };
    case 'encoder':
    case 'encoderLoaded':
      return run; // shown by the encoder picker (LabClient.encoderLoad)
    case 'train':
      return applyTrainEvent(run, u.event);
  }
}
