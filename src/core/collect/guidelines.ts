// A project's guidelines: what "better" means here, with worked examples shown as pairs. Every
// edit is a new version, and every label records the version it was made under, so a change of
// instructions mid-project can be seen in (and filtered out of) the labels.

export interface GuidelineExample {
  prompt: string;
  better: string;
  worse: string;
  /** Why the better response is better: the decision the guidelines want. */
  why: string;
}

export interface Guidelines {
  /** 1 for the first; each saved edit adds one. */
  version: number;
  /** What "better" means for this project (helpful, concise, safe, brand voice...). Plain text. */
  text: string;
  examples: GuidelineExample[];
  /** ISO 8601. */
  savedAt: string;
}

export const DEFAULT_GUIDELINE_TEXT =
  'Pick the response you would rather send to the person who asked. Better means: it does what the prompt ' +
  'asks, it is correct, and it says it without padding. Prefer a short correct answer to a long one that ' +
  'wanders. Choose "Tie" when both are about equally good, "Both bad" when neither is acceptable, and ' +
  '"Skip" when you cannot judge (you can come back to it).';

export function firstGuidelines(
  now: Date,
  text = DEFAULT_GUIDELINE_TEXT,
  examples: GuidelineExample[] = [],
): Guidelines {
  return { version: 1, text, examples, savedAt: now.toISOString() };
}

/**
 * The history with an edit saved: a new version when text or examples changed, the same history
 * when nothing did (saving twice must not make two versions of the same words).
 */
export function reviseGuidelines(
  history: readonly Guidelines[],
  text: string,
  examples: readonly GuidelineExample[],
  now: Date,
): Guidelines[] {
  const current = history.at(-1);
  if (current && current.text === text && JSON.stringify(current.examples) === JSON.stringify(examples)) {
    return [...history];
  }
  return [
    ...history,
    { version: (current?.version ?? 0) + 1, text, examples: [...examples], savedAt: now.toISOString() },
  ];
}
