// Two conversations that answer the same prompt -> prompt and two responses. Chat-log formats
// (HH-RLHF transcripts, Chatbot Arena, arena-55k) store each side as a whole conversation; the
// turns both sides share are the prompt, and what follows is each side's response.

import type { Message, Text } from '../pair.ts';

function sameMessage(x: Message, y: Message): boolean {
  return x.role === y.role && x.content === y.content;
}

/**
 * How many leading turns two conversations share. It stops one turn short of the shorter
 * conversation so that each response keeps at least its last turn, even when the two sides are
 * identical or one merely extends the other.
 */
export function sharedPrefixLength(a: readonly Message[], b: readonly Message[]): number {
  const limit = Math.min(a.length, b.length) - 1;
  let n = 0;
  while (n < limit && sameMessage(a[n]!, b[n]!)) n++;
  return n;
}

/** A response of one assistant turn is its text; anything longer stays a list of turns. */
function responseOf(turns: Message[]): Text {
  const [only] = turns;
  return turns.length === 1 && only !== undefined && only.role === 'assistant' ? only.content : turns;
}

export interface SplitConversation {
  /** The turns both sides share (user turns, and any assistant turns they agree on). */
  prompt: Message[];
  responseA: Text;
  responseB: Text;
}

/**
 * Splits two conversations at the end of their shared turns. A side whose remainder is a single
 * assistant turn gets that turn's text as its response (the usual case: one answer each); a side
 * whose remainder is longer (a multi-turn chat that diverged early) keeps its turns.
 */
export function splitConversations(a: readonly Message[], b: readonly Message[]): SplitConversation {
  const n = sharedPrefixLength(a, b);
  return { prompt: a.slice(0, n), responseA: responseOf(a.slice(n)), responseB: responseOf(b.slice(n)) };
}
