// The labelling screen's state: one project open, its items and labels as stored, the queue for
// this annotator, and the worker that refits the queue's model. Every decision is written to
// IndexedDB before the next item shows (one transaction a key press); the queue is computed from
// what is stored, so a reload resumes exactly where labelling stopped.
import * as Comlink from 'comlink';
import { abReport } from '../../core/collect/ab-report.ts';
import { annotatorSummaries, overlapKappas } from '../../core/collect/agreement.ts';
import { itemsFromPairs, readCandidates } from '../../core/collect/candidates.ts';
import { firstGuidelines, reviseGuidelines, type GuidelineExample } from '../../core/collect/guidelines.ts';
import { winnerOfChoice, type Choice, type Label, type LabelItem } from '../../core/collect/item.ts';
import { labelFromPair, labelToPair, LabelFileError } from '../../core/collect/labels.ts';
import { mergeLabels } from '../../core/collect/merge.ts';
import { checkProjectOptions, PROJECT_DEFAULTS, type LabelProject } from '../../core/collect/project.ts';
import { queueOrder, type Strategy } from '../../core/collect/queue.ts';
import { shownLeft } from '../../core/collect/sides.ts';
import { encodeTaskLink, type LabelTask } from '../../core/collect/task-link.ts';
import { exportJsonl } from '../../core/data/export.ts';
import { readLines, readLinesFromText } from '../../core/data/jsonl.ts';
import { parsePairs } from '../../core/data/parse.ts';
import type { RejectedLine } from '../../core/data/pair.ts';
import { fetchLimited, httpUrl, readAll, DATASET_URL_MAX_BYTES } from '../../core/share/fetch-url.ts';
import { InlineDatasetTooLarge } from '../../core/share/inline-dataset.ts';
import { getPairs } from '../../store/datasets.ts';
import { clearEmbeddings, projectEmbeddingKey } from '../../store/embeddings.ts';
import { newId, openLabDB } from '../../store/db.ts';
import {
  addMerged,
  createProject,
  deleteLabel,
  deleteProject,
  listProjects,
  projectItems,
  projectLabels,
  putLabel,
  putProject,
} from '../../store/labels.ts';
import type { LabelWorkerApi } from '../../worker/label.worker.ts';
import type { QueueModelUpdate } from '../../worker/labelling-session.ts';
import type { QueueHeadJudgement, QueueHeadProgress } from '../../worker/queue-head.ts';
import { downloadBlob } from '../widgets/download.ts';

const ANNOTATOR_KEY = 'rm-lab:annotator-id';

/** What the last refit of the queue's model changed, for the page to say. */
export interface ModelChange {
  fittedOn: number;
  fitAgreement: number;
  tookMs: number;
  /** Of the next 10 items before the refit, how many are still among the next 10. */
  keptInNextTen: number;
  at: number;
}

/** What the last ranking by a quick head did, for the page to say. */
export type QueueHeadSummary = Omit<QueueHeadJudgement, 'probabilityA' | 'disagreement'> & { at: number };

export interface MergeOutcome {
  file: string;
  added: number;
  newItems: number;
  alreadyThere: number;
  rejected: RejectedLine[];
}

/** A new project's record, with the defaults, for candidates that hold at least one item. */
export function newProject(
  name: string,
  source: LabelProject['source'],
  candidates: { items: LabelItem[]; rejected: RejectedLine[]; lines: number },
  options: Partial<LabelProject> = {},
): LabelProject {
  if (candidates.items.length === 0) {
    const first = candidates.rejected[0];
    throw new Error(
      `no item to label in ${source.name}${first ? `: line ${first.line}: ${first.reason}` : ': the file is empty'}`,
    );
  }
  return {
    id: newId(),
    name,
    createdAt: Date.now(),
    source,
    seed: Math.floor(Math.random() * 2 ** 31),
    ...PROJECT_DEFAULTS,
    taskTypes: [],
    guidelines: [firstGuidelines(new Date())],
    itemCount: candidates.items.length,
    rejected: candidates.rejected,
    lineCount: candidates.lines,
    ...options,
  };
}

export class LabelSession {
  #projects = $state.raw<LabelProject[]>([]);
  #project = $state.raw<LabelProject | undefined>();
  #items = $state.raw<LabelItem[]>([]);
  #labels = $state.raw<Label[]>([]);
  #annotatorId = $state<string>('');
  #skipped = $state.raw<string[]>([]);
  /** Labels this annotator made in this visit, newest last: what Undo takes back. */
  #undoable = $state.raw<string[]>([]);
  #probabilityA = $state.raw<Map<string, number> | undefined>();
  /** A quick head's members' disagreement per item (when one ranks the queue). */
  #disagreement = $state.raw<Map<string, number> | undefined>();
  #headProgress = $state.raw<QueueHeadProgress | undefined>();
  #headSummary = $state.raw<QueueHeadSummary | undefined>();
  #modelChange = $state.raw<ModelChange | undefined>();
  #updating = $state(false);
  #shownAt = performance.now();
  #error = $state<string | undefined>();
  #lastMerge = $state.raw<MergeOutcome | undefined>();
  #worker: Worker | undefined;
  #api: Comlink.Remote<LabelWorkerApi> | undefined;

  get projects() {
    return this.#projects;
  }
  get project() {
    return this.#project;
  }
  get items() {
    return this.#items;
  }
  get labels() {
    return this.#labels;
  }
  get annotatorId() {
    return this.#annotatorId;
  }
  get modelChange() {
    return this.#modelChange;
  }
  get updating() {
    return this.#updating;
  }
  get error() {
    return this.#error;
  }
  get lastMerge() {
    return this.#lastMerge;
  }
  get canUndo() {
    return this.#undoable.length > 0;
  }
  /** The quick head's encoder download or the items' embedding, while it ranks the queue. */
  get headProgress() {
    return this.#headProgress;
  }
  get headSummary() {
    return this.#headSummary;
  }

  /** `hubEndpoint` is read when a quick head's encoder loads (the page's Hub address setting). */
  constructor(private readonly hubEndpoint: () => string | undefined = () => undefined) {}

  /** The items this annotator may label, best first; skipped ones go to the end. */
  readonly queue = $derived.by(() => {
    const project = this.#project;
    if (!project || !this.#annotatorId) return [];
    const order = queueOrder(this.#items, this.#labels, {
      strategy: project.strategy,
      seed: project.seed,
      annotatorId: this.#annotatorId,
      overlapShare: project.overlapShare,
      taskTypes: project.taskTypes,
      probabilityA: this.#probabilityA,
      disagreement: this.#disagreement,
    });
    const skipped = new Set(this.#skipped);
    return [...order.filter((i) => !skipped.has(i.id)), ...order.filter((i) => skipped.has(i.id))];
  });

  readonly current = $derived(this.queue[0]);
  /** Which canonical response the current item shows on the left. */
  readonly currentLeft = $derived(
    this.current && this.#project ? shownLeft(this.#project.seed, this.current.id, this.#annotatorId) : 'a',
  );
  readonly guidelines = $derived(this.#project?.guidelines.at(-1));
  readonly annotators = $derived(annotatorSummaries(this.#labels));
  readonly kappas = $derived(overlapKappas(this.#labels));
  readonly taskTypes = $derived([...new Set(this.#items.map((i) => i.taskType).filter((t) => t !== undefined))].sort());
  readonly myLabels = $derived(this.#labels.filter((l) => l.annotatorId === this.#annotatorId).length);
  /** A project filled from two generation setups: how often A's answer won. */
  readonly ab = $derived(this.#project?.ab ? abReport(this.#items, this.#labels, this.#project.ab) : undefined);

  async init(): Promise<void> {
    this.#annotatorId = localStorage.getItem(ANNOTATOR_KEY) ?? '';
    this.#projects = await listProjects(await openLabDB());
    if (this.#projects[0] && !this.#project) await this.open(this.#projects[0].id);
  }

  setAnnotator(id: string): void {
    const trimmed = id.trim();
    if (!trimmed) return;
    localStorage.setItem(ANNOTATOR_KEY, trimmed);
    this.#annotatorId = trimmed;
    this.#undoable = [];
    this.#skipped = [];
    this.#markShown();
  }

  async open(projectId: string): Promise<void> {
    const db = await openLabDB();
    const project = this.#projects.find((p) => p.id === projectId);
    if (!project) throw new Error(`no labelling project ${projectId}`);
    this.#project = project;
    this.#items = await projectItems(db, projectId);
    this.#labels = await projectLabels(db, projectId);
    this.#skipped = [];
    this.#undoable = [];
    this.#probabilityA = undefined;
    this.#disagreement = undefined;
    this.#headSummary = undefined;
    this.#modelChange = undefined;
    this.#lastMerge = undefined;
    this.#markShown();
    if (project.strategy === 'uncertainty') await this.updateModel();
  }

  /** A project from a candidates file (regression layouts or pair rows without a winner). */
  async createFromFile(file: File, name: string): Promise<void> {
    const candidates = await readCandidates(readLines(file.stream()));
    await this.#create(name || file.name, { kind: 'file', name: file.name }, candidates);
  }

  async createFromText(
    text: string,
    name: string,
    source: LabelProject['source'],
    options: Partial<LabelProject> = {},
  ) {
    const candidates = await readCandidates(readLinesFromText(text));
    await this.#create(name, source, candidates, options);
  }

  /** A project to relabel (or label a second time) a stored dataset. */
  async createFromDataset(datasetId: string, name: string): Promise<void> {
    const pairs = await getPairs(await openLabDB(), datasetId);
    const items = itemsFromPairs(pairs);
    await this.#create(name, { kind: 'dataset', name }, { items, rejected: [], lines: pairs.length, duplicates: 0 });
  }

  /** Reads the stored projects again (another screen added one) and opens `projectId`. */
  async reload(projectId: string): Promise<void> {
    this.#projects = await listProjects(await openLabDB());
    await this.open(projectId);
  }

  /** A participant's project from a workshop link (the same link opened again reopens it). */
  async openTask(task: LabelTask): Promise<void> {
    const existing = this.#projects.find(
      (p) => p.source.kind === 'link' && p.name === task.name && p.seed === task.seed,
    );
    if (existing) return this.open(existing.id);
    let text: string;
    if ('inline' in task.candidates) text = task.candidates.inline;
    else {
      const download = await fetchLimited(task.candidates.url, 'candidates', DATASET_URL_MAX_BYTES);
      text = new TextDecoder().decode(await readAll(download));
    }
    const now = new Date();
    await this.createFromText(
      text,
      task.name,
      { kind: 'link', name: task.name },
      {
        seed: task.seed,
        strategy: task.strategy,
        overlapShare: task.overlapShare,
        updateEvery: task.updateEvery,
        guidelines: [
          {
            ...firstGuidelines(now, task.guidelines.text, task.guidelines.examples),
            version: task.guidelines.version ?? 1,
          },
        ],
      },
    );
  }

  async #create(
    name: string,
    source: LabelProject['source'],
    candidates: { items: LabelItem[]; rejected: RejectedLine[]; lines: number; duplicates: number },
    options: Partial<LabelProject> = {},
  ): Promise<void> {
    const project = newProject(name, source, candidates, options);
    await createProject(await openLabDB(), project, candidates.items);
    this.#projects = [project, ...this.#projects];
    await this.open(project.id);
  }

  #markShown(): void {
    this.#shownAt = performance.now();
  }

  /** The annotator's decision on the item on screen, stored before the next one shows. */
  async choose(choice: Choice, comment = ''): Promise<void> {
    const project = this.#project;
    const item = this.current;
    if (!project || !item) return;
    const left = this.currentLeft;
    const label: Label = {
      id: newId(),
      projectId: project.id,
      itemId: item.id,
      annotatorId: this.#annotatorId,
      winner: winnerOfChoice(choice, left),
      shownLeft: left,
      guidelineVersion: this.guidelines?.version ?? 1,
      timeTakenMs: Math.round(performance.now() - this.#shownAt),
      timestamp: new Date().toISOString(),
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    };
    await putLabel(await openLabDB(), label);
    this.#labels = [...this.#labels, label];
    this.#undoable = [...this.#undoable, label.id];
    this.#skipped = this.#skipped.filter((id) => id !== item.id);
    this.#markShown();
    const mine = this.myLabels;
    // A stored quick head does not change with new labels: only the bag-of-words head is refitted.
    if (project.strategy === 'uncertainty' && !project.queueHead && mine % project.updateEvery === 0)
      void this.updateModel();
  }

  /** Puts the item on screen at the end of the queue, for this visit. */
  skip(): void {
    const item = this.current;
    if (!item) return;
    this.#skipped = [...this.#skipped.filter((id) => id !== item.id), item.id];
    this.#markShown();
  }

  /** Takes back this annotator's last label of this visit: deleted from the store, its item next again. */
  async undo(): Promise<void> {
    const id = this.#undoable.at(-1);
    if (!id) return;
    await deleteLabel(await openLabDB(), id);
    this.#undoable = this.#undoable.slice(0, -1);
    const label = this.#labels.find((l) => l.id === id);
    this.#labels = this.#labels.filter((l) => l.id !== id);
    // the item taken back comes first again, ahead of the strategy's order
    if (label) this.#skipped = this.#skipped.filter((s) => s !== label.itemId);
    this.#markShown();
  }

  /**
   * Re-ranks the queue in the worker: by the project's quick head where it has one (its members'
   * disagreement), else by the bag-of-words head refitted on every label so far.
   */
  async updateModel(): Promise<void> {
    const project = this.#project;
    if (!project || this.#updating) return;
    this.#updating = true;
    try {
      this.#api ??= this.#startWorker();
      const before = this.queue.slice(0, 10).map((i) => i.id);
      const shown = this.current?.id;
      if (project.queueHead) await this.#rankByQuickHead(project, project.queueHead, this.#api);
      else await this.#refitQueueModel(project, this.#api);
      if (this.#project?.id !== project.id) return;
      // the re-ranked queue may put another item on screen: its time starts now
      if (this.current?.id !== shown) this.#markShown();
      const after = new Set(this.queue.slice(0, 10).map((i) => i.id));
      const kept = before.filter((id) => after.has(id)).length;
      if (this.#modelChange) this.#modelChange = { ...this.#modelChange, keptInNextTen: kept };
    } catch (e) {
      this.#error = `The queue's model could not be updated: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.#updating = false;
      this.#headProgress = undefined;
    }
  }

  async #refitQueueModel(project: LabelProject, api: Comlink.Remote<LabelWorkerApi>): Promise<void> {
    const update: QueueModelUpdate = await api.updateQueueModel(project.id, project.seed);
    if (this.#project?.id !== project.id) return;
    this.#probabilityA = update.probabilityA;
    this.#disagreement = undefined;
    this.#modelChange = {
      fittedOn: update.fittedOn,
      fitAgreement: update.fitAgreement,
      tookMs: update.tookMs,
      keptInNextTen: 10,
      at: Date.now(),
    };
  }

  async #rankByQuickHead(project: LabelProject, modelId: string, api: Comlink.Remote<LabelWorkerApi>) {
    this.#headProgress = { kind: 'embedding', progress: { done: 0, total: this.#items.length, fromCache: 0 } };
    const endpoint = this.hubEndpoint();
    const judged = await api.judgeWithQuickHead(
      { projectId: project.id, modelId, ...(endpoint ? { endpoint } : {}) },
      Comlink.proxy((p: QueueHeadProgress) => {
        this.#headProgress = p;
      }),
    );
    if (this.#project?.id !== project.id) return;
    const { probabilityA, disagreement, ...summary } = judged;
    this.#probabilityA = probabilityA;
    this.#disagreement = disagreement;
    this.#headSummary = { ...summary, at: Date.now() };
    this.#modelChange = undefined;
  }

  /** Stops a quick head's download or embedding (what was embedded stays cached). */
  cancelQuickHead(): void {
    void this.#api?.cancelQuickHead();
  }

  /** Ranks the uncertainty queue by a stored quick head (a model id), or by the bag-of-words head (undefined). */
  async setQueueHead(modelId: string | undefined): Promise<void> {
    const project = this.#project;
    if (!project) return;
    const { queueHead: _old, ...rest } = project;
    await this.#save(modelId ? { ...rest, queueHead: modelId, strategy: 'uncertainty' } : rest);
    this.#probabilityA = undefined;
    this.#disagreement = undefined;
    this.#headSummary = undefined;
    await this.updateModel();
  }

  #startWorker(): Comlink.Remote<LabelWorkerApi> {
    this.#worker = new Worker(new URL('../../worker/label.worker.ts', import.meta.url), { type: 'module' });
    return Comlink.wrap<LabelWorkerApi>(this.#worker);
  }

  async setOptions(options: {
    strategy?: Strategy;
    overlapShare?: number;
    updateEvery?: number;
    taskTypes?: string[];
  }) {
    const project = this.#project;
    if (!project) return;
    const updated = { ...project, ...options };
    checkProjectOptions(updated);
    await this.#save(updated);
    if (updated.strategy === 'uncertainty' && !this.#probabilityA) await this.updateModel();
  }

  async saveGuidelines(text: string, examples: GuidelineExample[]): Promise<void> {
    const project = this.#project;
    if (!project) return;
    await this.#save({ ...project, guidelines: reviseGuidelines(project.guidelines, text, examples, new Date()) });
  }

  async #save(project: LabelProject): Promise<void> {
    await putProject(await openLabDB(), project);
    this.#project = project;
    this.#projects = this.#projects.map((p) => (p.id === project.id ? project : p));
  }

  /** The project's labels as RM Lab records, with the labelling fields; all annotators' unless `mine`. */
  labelsFile(mine = false): { name: string; text: string; count: number } {
    const project = this.#project;
    if (!project) throw new Error('no project open');
    const byId = new Map(this.#items.map((i) => [i.id, i]));
    const labels = this.#labels.filter((l) => !mine || l.annotatorId === this.#annotatorId);
    const { text, written } = exportJsonl(
      labels.map((l) => labelToPair(byId.get(l.itemId)!, l)),
      'rmlab',
    );
    const who = mine ? `-${this.#annotatorId}` : '';
    return { name: `${project.name}${who}.labels.jsonl`.replace(/[^\w.-]+/g, '_'), text, count: written };
  }

  exportLabels(mine = false): void {
    const file = this.labelsFile(mine);
    downloadBlob(file.name, new Blob([file.text], { type: 'application/jsonl' }));
  }

  /** Every version of the project's guidelines, as JSON: what each label's guideline_version refers to. */
  exportGuidelines(): void {
    const project = this.#project;
    if (!project) return;
    const text = JSON.stringify({ project: project.name, guidelines: project.guidelines }, null, 2) + '\n';
    const name = `${project.name}.guidelines.json`.replace(/[^\w.-]+/g, '_');
    downloadBlob(name, new Blob([text], { type: 'application/json' }));
  }

  /** Merges a labels file (a participant's export) into the open project; bad lines are listed, the rest merged. */
  async mergeFile(file: File): Promise<void> {
    const project = this.#project;
    if (!project) return;
    const rejected: RejectedLine[] = [];
    const incoming: { item: LabelItem; label: Label }[] = [];
    for await (const parsed of parsePairs(readLines(file.stream()), { format: 'rmlab', duplicates: false })) {
      if (parsed.kind === 'rejected') {
        rejected.push(parsed.rejected);
        continue;
      }
      try {
        incoming.push(labelFromPair(parsed.pair, project.id, newId()));
      } catch (e) {
        if (!(e instanceof LabelFileError)) throw e;
        rejected.push({ line: parsed.line, reason: e.message, excerpt: '' });
      }
    }
    const merged = mergeLabels({ itemIds: this.#items.map((i) => i.id), labels: this.#labels }, incoming);
    const updated = await addMerged(await openLabDB(), project, merged.newItems, merged.newLabels);
    this.#project = updated;
    this.#projects = this.#projects.map((p) => (p.id === updated.id ? updated : p));
    this.#items = [...this.#items, ...merged.newItems];
    this.#labels = [...this.#labels, ...merged.newLabels].sort((x, y) => (x.timestamp < y.timestamp ? -1 : 1));
    this.#lastMerge = {
      file: file.name,
      added: merged.newLabels.length,
      newItems: merged.newItems.length,
      alreadyThere: merged.alreadyThere,
      rejected,
    };
  }

  /** The workshop link for the open project: its items as a candidates file, options and guidelines. */
  async workshopLink(candidatesUrl?: string): Promise<string> {
    const project = this.#project;
    if (!project) throw new Error('no project open');
    const rows = this.#items.map((i) => ({
      prompt: i.prompt,
      response_a: i.responseA,
      response_b: i.responseB,
      ...(i.modelA ? { model_a_version: i.modelA } : {}),
      ...(i.modelB ? { model_b_version: i.modelB } : {}),
      ...(i.taskType ? { task_type: i.taskType } : {}),
    }));
    const guidelines = project.guidelines.at(-1)!;
    const candidates = candidatesUrl
      ? { url: httpUrl(candidatesUrl, 'candidates file').href }
      : { inline: rows.map((r) => JSON.stringify(r)).join('\n') + '\n' };
    let hash: string;
    try {
      hash = await encodeTaskLink({
        name: project.name,
        seed: project.seed,
        strategy: project.strategy,
        overlapShare: project.overlapShare,
        updateEvery: project.updateEvery,
        guidelines: { version: guidelines.version, text: guidelines.text, examples: guidelines.examples },
        candidates,
      });
    } catch (e) {
      if (!(e instanceof InlineDatasetTooLarge)) throw e;
      throw new Error(
        `the ${this.#items.length} items compress to ${e.chars.toLocaleString('en')} characters, more than a link can carry: ` +
          'put the candidates file on a web server (with CORS allowed) and give its address for the link',
        { cause: e },
      );
    }
    return `${location.origin}${location.pathname}#${hash}`;
  }

  async deleteOpen(): Promise<void> {
    const project = this.#project;
    if (!project) return;
    const db = await openLabDB();
    await deleteProject(db, project.id);
    // the items' embeddings under a quick head's encoder go with the project
    await clearEmbeddings(db, projectEmbeddingKey(project.id));
    this.#projects = this.#projects.filter((p) => p.id !== project.id);
    this.#project = undefined;
    this.#items = [];
    this.#labels = [];
    if (this.#projects[0]) await this.open(this.#projects[0].id);
  }

  fail(message: string | undefined): void {
    this.#error = message;
  }

  dispose(): void {
    this.#worker?.terminate();
  }
}
