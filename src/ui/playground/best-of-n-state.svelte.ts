// Best-of-N's state for as long as the playground is open: the prompt, the candidates, the last ranking
// (with the reference judge's rewards and whether it serves the same candidate) and the generation run.
// PlaygroundPanel owns one, so switching tabs (which rebuilds the view) keeps them, and a generation
// that ends while another tab is open still fills the candidates.
import { candidateAgreement, type CandidateAgreement } from '../../core/eval/judge-agreement.ts';
import { rankCandidates, type RankedCandidate } from '../../core/eval/rerank.ts';
import type { ScoreItem } from '../../core/eval/score.ts';
import { GenerationRun } from '../generate/generation-run.svelte.ts';
import type { LabClient } from '../lab-client.svelte.ts';
import { BusyAction } from './busy-action.svelte.ts';
import type { JudgeState } from './judge-state.svelte.ts';

export interface RankedRow {
  candidate: RankedCandidate;
  text: string;
  /** The reference judge's reward of this candidate and its rank by the judge (1 = its best). */
  judge?: { reward: number; rank: number };
}

export interface JudgeRanking {
  model: string;
  agreement: CandidateAgreement;
}

export class BestOfNState {
  prompt = $state('');
  candidates = $state<string[]>(['', '', '']);
  #ranked = $state.raw<RankedRow[] | undefined>();
  #judged = $state.raw<JudgeRanking | undefined>();
  readonly action = new BusyAction();
  readonly generation: GenerationRun;
  /** Whether the "generate the candidates" section is open. */
  generateOpen = $state(false);

  constructor(lab: () => LabClient) {
    this.generation = new GenerationRun(lab);
  }

  get ranked(): RankedRow[] | undefined {
    return this.#ranked;
  }
  /** The judge's view of the last ranking, when a judge was loaded. */
  get judged(): JudgeRanking | undefined {
    return this.#judged;
  }
  get filled(): string[] {
    return this.candidates.filter((c) => c.trim() !== '');
  }

  /** Generated responses become the candidates (at least two boxes), and are ranked when there are two. */
  takeGenerated(texts: string[], score: (items: ScoreItem[]) => Promise<number[]>, judge?: JudgeState): void {
    this.candidates = texts.length >= 2 ? texts : [...texts, ''];
    if (texts.length >= 2) void this.rank(score, judge);
  }

  /** Ranks the filled candidates by the model's reward, and scores them with the judge when one is loaded. */
  rank(score: (items: ScoreItem[]) => Promise<number[]>, judge?: JudgeState): Promise<void> {
    return this.action.run(async () => {
      const texts = [...this.filled];
      const items = texts.map((response) => ({ prompt: this.prompt, response }));
      const rewards = await score(items);
      this.#judged = undefined;
      const judgeModel = judge?.loaded?.model;
      const reference = judgeModel ? await judge.score(items) : undefined;
      const judgeRank = reference ? rankCandidates(reference) : [];
      this.#ranked = rankCandidates(rewards).map((candidate) => {
        const byJudge = judgeRank.find((r) => r.index === candidate.index);
        return {
          candidate,
          text: texts[candidate.index]!,
          ...(byJudge ? { judge: { reward: byJudge.reward, rank: byJudge.rank } } : {}),
        };
      });
      if (judgeModel && reference) {
        this.#judged = { model: judgeModel, agreement: candidateAgreement(rewards, reference) };
      }
    });
  }
}
