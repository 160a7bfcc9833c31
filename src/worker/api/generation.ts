// The worker's generation calls: responses from a Hub text generator (GenerationSession), and Cancel.
import type { GeneratedResponse } from '../../core/generate/answers.ts';
import type { GenerationEvent, GenerationRequest, GenerationSession } from '../generation.ts';

export function generationApi(session: GenerationSession) {
  return {
    /**
     * N responses to each prompt, streamed through onEvent. A cancelled request resolves with
     * what was finished before it (and the response it cut short, marked 'cancelled'), so nothing
     * generated is lost to a Cancel.
     */
    async generateResponses(
      request: GenerationRequest,
      onEvent: (e: GenerationEvent) => void,
    ): Promise<{ responses: GeneratedResponse[]; cancelled: boolean }> {
      try {
        return { responses: await session.generate(request, onEvent), cancelled: false };
      } catch (error) {
        if (error instanceof Error && error.name === 'GenerationCancelled') {
          return { responses: (error as Error & { responses: GeneratedResponse[] }).responses, cancelled: true };
        }
        throw error;
      }
    },

    cancelGeneration(): void {
      session.cancel();
    },
  };
}
