// The worker's quick-head calls: train one on a dataset through a frozen Hub encoder (QuickHeadSession),
// and cancel it.
import type { ModelCard } from '../../store/db.ts';
import type { QuickHeadEvent, QuickHeadRequest, QuickHeadSession } from '../quick-head-session.ts';

export function quickHeadsApi(session: QuickHeadSession) {
  return {
    /** Embeds the dataset (cached), fits the head, stores it as a model; events as it goes. */
    trainQuickHead(request: QuickHeadRequest, onEvent: (event: QuickHeadEvent) => void): Promise<ModelCard> {
      return session.train(request, onEvent);
    },

    cancelQuickHead(): void {
      session.cancel();
    },
  };
}
