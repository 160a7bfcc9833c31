// The labelling screen's model, in its own worker: after every N labels the page asks for an
// update, and the session refits the preference head (core/collect/preference-head.ts) on the
// project's labels as stored, then scores every item, P(A better), for the uncertainty queue.
// It reads items and labels from IndexedDB itself, so a message carries a project id, not the data.
import { textOf } from '../core/data/pair.ts';
import type { LabelItem } from '../core/collect/item.ts';
import { PreferenceHead, responseFeatures, type SparseVector } from '../core/collect/preference-head.ts';
import { openLabDB } from '../store/db.ts';
import { projectItems, projectLabels } from '../store/labels.ts';

export interface QueueModelUpdate {
  /** P(A better) for every item of the project. */
  probabilityA: Map<string, number>;
  /** Labels the head was fitted on (decisive ones and ties; both-bad labels say nothing about order). */
  fittedOn: number;
  /** Share of those labels the head now agrees with (a tie counts when P is within 0.4-0.6). */
  fitAgreement: number;
  /** Milliseconds the fit and the scoring took. */
  tookMs: number;
}

export class LabellingSession {
  #projectId: string | undefined;
  #features = new Map<string, { a: SparseVector; b: SparseVector }>();

  async #itemsOf(projectId: string): Promise<void> {
    const items: LabelItem[] = await projectItems(await openLabDB(), projectId);
    if (this.#projectId !== projectId) {
      this.#projectId = projectId;
      this.#features.clear();
    }
    for (const item of items) {
      if (this.#features.has(item.id)) continue;
      // the prompt is shared by both sides: its features would cancel in r(A) - r(B)
      this.#features.set(item.id, {
        a: responseFeatures(textOf(item.responseA)),
        b: responseFeatures(textOf(item.responseB)),
      });
    }
  }

  async update(projectId: string, seed: number): Promise<QueueModelUpdate> {
    const started = performance.now();
    await this.#itemsOf(projectId);
    const labels = await projectLabels(await openLabDB(), projectId);
    const examples = [];
    for (const label of labels) {
      const f = this.#features.get(label.itemId);
      if (!f || label.winner === 'both_bad') continue;
      examples.push({ ...f, y: label.winner === 'a' ? 1 : label.winner === 'b' ? 0 : 0.5 });
    }
    const head = new PreferenceHead({ seed });
    head.fit(examples);
    let agree = 0;
    for (const { a, b, y } of examples) {
      const p = head.probabilityA(a, b);
      if (y === 0.5 ? Math.abs(p - 0.5) <= 0.1 : p > 0.5 === (y === 1)) agree++;
    }
    const probabilityA = new Map<string, number>();
    for (const [id, { a, b }] of this.#features) probabilityA.set(id, head.probabilityA(a, b));
    return {
      probabilityA,
      fittedOn: examples.length,
      fitAgreement: examples.length ? agree / examples.length : Number.NaN,
      tookMs: performance.now() - started,
    };
  }
}
