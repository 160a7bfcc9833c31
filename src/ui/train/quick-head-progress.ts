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
  switch (event.kind) {
    case 'loading':
      return { ...state, phase: 'loading', load: event.progress };
    case 'embedding':
      return { ...state, phase: 'embedding', embed: event.progress };
    case 'epoch':
      return { ...state, phase: 'fitting', epochs: [...state.epochs, event.epoch] };
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
