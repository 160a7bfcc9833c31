// What the baselines read of a pair: its text, oriented chosen/rejected. They see the raw text, not
// the run's token ids, so they are the same whatever tokenizer or Max tokens the run uses.

export interface TextPair {
  prompt: string;
  chosen: string;
  rejected: string;
}
