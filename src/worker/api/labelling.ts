// The labelling worker's calls: the queue's model (LabellingSession) refitted on a project's labels.
import type { LabellingSession, QueueModelUpdate } from '../labelling-session.ts';

export function labellingApi(session: LabellingSession) {
  return {
    /** Refits the queue's model on the project's stored labels; P(A better) for every item. */
    updateQueueModel(projectId: string, seed: number): Promise<QueueModelUpdate> {
      return session.update(projectId, seed);
    },
  };
}
