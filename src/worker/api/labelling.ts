// The labelling worker's calls: the queue's model (LabellingSession) refitted on a project's labels,
// and a stored quick head's judgement of every item (QueueHeadJudge, loaded on first use).
import type { LabellingSession, QueueModelUpdate } from '../labelling-session.ts';
import type { QueueHeadJudge, QueueHeadJudgement, QueueHeadProgress, QueueHeadRequest } from '../queue-head.ts';

export function labellingApi(session: LabellingSession, queueHead: () => Promise<QueueHeadJudge>) {
  return {
    /** Refits the queue's model on the project's stored labels; P(A better) for every item. */
    updateQueueModel(projectId: string, seed: number): Promise<QueueModelUpdate> {
      return session.update(projectId, seed);
    },

    /** P(A better) and the members' disagreement for every item, from a stored quick head. */
    async judgeWithQuickHead(
      request: QueueHeadRequest,
      onProgress: (p: QueueHeadProgress) => void,
    ): Promise<QueueHeadJudgement> {
      return (await queueHead()).judge(request, onProgress);
    },

    async cancelQuickHead(): Promise<void> {
      (await queueHead()).cancel();
    },
  };
}
