// The canonical preference pair: every input format becomes one of these.
//
// It keeps the A/B order the annotator saw (position bias is measurable only if we do) and
// allows ties; chosen/rejected formats map to winner 'a'. Unknown input fields go to `extra`
// so that nothing a user imported is silently dropped.

export type Winner = 'a' | 'b' | 'tie' | 'both_bad';

export const WINNERS: readonly Winner[] = ['a', 'b', 'tie', 'both_bad'];

/** One turn of a conversation, as chat datasets (TRL "conversational", UltraFeedback) write it. */
export interface Message {
  role: string;
  content: string;
}

/** Prompt or response text: a plain string, or the turns of a conversation. */
export type Text = string | Message[];

export interface Votes {
  a: number;
  b: number;
  tie: number;
  both_bad: number;
}

export interface Pair {
  id: string;
  datasetId: string;
  prompt: Text;
  responseA: Text;
  responseB: Text;
  winner: Winner;
  /** Several annotators' votes, where the source has them (PandaLM). */
  votes?: Votes;
  /** TRL-style preference strength, added to the Bradley-Terry margin. */
  margin?: number;
  modelA?: string;
  modelB?: string;
  annotatorId?: string;
  taskType?: string;
  timestamp?: string;
  /**
   * Per-pair sample weight (default 1): how much this pair counts in the training loss. Pairs derived
   * from implicit feedback carry their rule's weight (src/core/data/implicit/derive.ts).
   */
  weight?: number;
  /** Where a derived pair came from: each rule that made it and the ids of the events it read. */
  provenance?: PairProvenance[];
  /** Input fields this format does not know, kept verbatim. */
  extra?: Record<string, unknown>;
}

export interface PairProvenance {
  rule: string;
  events: string[];
}

/** A pair as a format adapter produces it, before the store gives it an id and a dataset. */
export type PairInput = Omit<Pair, 'id' | 'datasetId'>;

/** A line of input that did not become a pair, with the reason in plain words. */
export interface RejectedLine {
  /** 1-based line number in the source file. */
  line: number;
  reason: string;
  /** The start of the offending line, for the user to recognise it (shown as text, never as HTML). */
  excerpt: string;
}

/** Whether a pair has a preferred response, i.e. can train a pairwise (Bradley-Terry) loss. */
export function isDecisive(pair: Pick<Pair, 'winner'>): boolean {
  return pair.winner === 'a' || pair.winner === 'b';
}

/** Flattens a prompt or response to the text an encoder reads; conversations become "role: content" lines. */
export function textOf(text: Text): string {
  if (typeof text === 'string') return text;
  return text.map((m) => `${m.role}: ${m.content}`).join('\n');
}

/** The chosen and rejected response of a decisive pair. */
export function chosenRejected(pair: Pair): { chosen: Text; rejected: Text } {
  if (pair.winner === 'a') return { chosen: pair.responseA, rejected: pair.responseB };
  if (pair.winner === 'b') return { chosen: pair.responseB, rejected: pair.responseA };
  throw new Error(`pair ${pair.id} has winner '${pair.winner}': it has no chosen response`);
}
