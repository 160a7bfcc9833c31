// What a frozen encoder reads of a response: the prompt, a blank line, then the response, as one text.
// A sentence-embedding model embeds a text, not a (prompt, response) pair; joining them lets the head
// judge the response in the light of its prompt (the same response can be right for one prompt and
// wrong for another). The model's own tokenizer truncates at its maximum length, from the end, so a
// very long prompt can hide the response: the card says which model and length were used.
import { textOf, type Text } from '../data/pair.ts';

export function embeddingText(prompt: Text, response: Text): string {
  const p = textOf(prompt).trim();
  const r = textOf(response).trim();
  return p ? `${p}\n\n${r}` : r;
}

/** Tokenizers without a limit say so with a huge model_max_length (1e30 in Transformers). */
const NO_LIMIT = 1_000_000;

/**
 * The tokens a frozen encoder reads of each text, where its tokenizer truncates: the tokenizer's
 * model_max_length, else (a tokenizer with no limit) the config's position table, else undefined.
 */
export function encoderMaxLength(modelMaxLength: unknown, maxPositions: unknown): number | undefined {
  const whole = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < NO_LIMIT ? v : undefined);
  return whole(modelMaxLength) ?? whole(maxPositions);
}
