// The Train screen's quick-head state, from the worker's events: which phase (downloading the
// encoder, embedding the dataset, fitting the head), and the one progress bar that spans them.
import type { LoadProgress } from '../../core/model/pretrained.ts';
import type { QuickHeadEpoch } from '../../core/quick-head/fit.ts';
import type { ModelCard } from '../../store/db.ts';
import type { EmbedProgress } from '../../store/embeddings.ts';
import type { QuickHeadEvent } from '../../worker/quick-head-session.ts';

export interface QuickHeadState {
  phase: 'loading' | 'embedding' | 'fitting' | 'done' | 'failed';
  load?: LoadProgress;
  embed?: EmbedProgress;
  epochs: QuickHeadEpoch[];
  card?: ModelCard;
  error?: string;
}

export function applyQuickHeadEvent(state: QuickHeadState, event: QuickHeadEvent): QuickHeadState {
  // A settled call's outcome is final: a progress event that arrives after it (followQuickHead says
  // how) must not take the panel back to a progress bar.
  if (state.phase === 'done' || state.phase === 'failed') return state;
  switch (event.kind) {
    case 'loading':
      return { ...state, phase: 'loading', load: event.progress };
    case 'embedding':
      return { ...state, phase: 'embedding', embed: event.progress };
    case 'epoch':
      return { ...state, phase: 'fitting', epochs: [...state.epochs, event.epoch] };
  }
}

/**
 * One quick-head call as the page follows it: its events move the state on, then it ends 'done' with the
 * card or 'failed' with the error. The events come over the callback's own MessageChannel
 * (Comlink.proxy) and the result over the worker's port, and nothing orders two channels: under load the
 * last epoch's event arrived after the result, set the phase back to 'fitting', and left the panel at
 * "epoch 40 of 40" with no result and no error. So once the call has settled, its events change nothing.
 */
export async function followQuickHead(
  call: (onEvent: (event: QuickHeadEvent) => void) => Promise<ModelCard>,
  update: (state: QuickHeadState) => void,
): Promise<ModelCard | undefined> {
  let state: QuickHeadState = { phase: 'loading', epochs: [] };
  let settled = false;
  update(state);
  try {
    const card = await call((event) => {
      if (!settled) update((state = applyQuickHeadEvent(state, event)));
    });
    settled = true;
    update((state = { ...state, phase: 'done', card }));
    return card;
  } catch (error) {
    settled = true;
    update((state = { ...state, phase: 'failed', error: error instanceof Error ? error.message : String(error) }));
    return undefined;
  }
}

const MB = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The bar: downloading has no known total across files; embedding and fitting count what is done. */
export function quickHeadProgress(state: QuickHeadState): { fraction: number | undefined; label: string } {
  const last = state.epochs.at(-1);
  switch (state.phase) {
    case 'loading':
      return {
        fraction: undefined,
        label: state.load
          ? `downloading the encoder: ${state.load.file}, ${MB(state.load.loaded)}`
          : 'loading the encoder…',
      };
    case 'embedding': {
      const e = state.embed!;
      const cached = e.fromCache > 0 ? ` (${e.fromCache} from the cache)` : '';
      return {
        fraction: e.total ? e.done / e.total : undefined,
        label: `embedding pairs: ${e.done} of ${e.total}${cached}`,
      };
    }
    case 'fitting':
      return {
        fraction: last ? last.epoch / last.epochs : 0,
        label: last
          ? `fitting the head: epoch ${last.epoch} of ${last.epochs}, training loss ${last.trainLoss.toFixed(4)}`
          : 'fitting the head…',
      };
    case 'done':
      return { fraction: 1, label: 'done' };
    case 'failed':
      return { fraction: undefined, label: state.error ?? 'failed' };
  }
}
