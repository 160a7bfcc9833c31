// Hashed word and bigram counts of a text (the "hashing trick", Weinberger et al. 2009): each
// lower-cased word and each pair of neighbouring words is counted in bucket fnv1a(utf8) mod 2^bits.
// No vocabulary to build or store, and the same text gives the same features in the page, the worker
// and Node. A word is a run of letters and digits (Unicode \p{L}\p{N}); scripts/reference/
// baselines_reference.py repeats the definition in Python to check it.

export const DEFAULT_HASH_BITS = 18;

const utf8 = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of utf8.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Bucket -> count of the words and bigrams ("w1 w2") in `ws`, each feature put in `bucketOf(feature)`.
 * The labelling queue's preference head counts the same features under its own hash.
 */
export function wordAndBigramCounts(ws: readonly string[], bucketOf: (feature: string) => number): Map<number, number> {
  const counts = new Map<number, number>();
  const add = (feature: string) => {
    const bucket = bucketOf(feature);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  };
  for (let i = 0; i < ws.length; i++) {
    add(ws[i]!);
    if (i > 0) add(`${ws[i - 1]} ${ws[i]}`);
  }
  return counts;
}

/** Bucket -> count of the text's words and bigrams ("w1 w2"). */
export function hashedCounts(text: string, bits = DEFAULT_HASH_BITS): Map<number, number> {
  const mask = 2 ** bits - 1;
  return wordAndBigramCounts(words(text), (feature) => fnv1a(feature) & mask);
}

/** Features of `first` minus features of `second`, zeros left out. */
export function countDifference(first: Map<number, number>, second: Map<number, number>): Map<number, number> {
  const diff = new Map(first);
  for (const [bucket, count] of second) diff.set(bucket, (diff.get(bucket) ?? 0) - count);
  for (const [bucket, value] of diff) if (value === 0) diff.delete(bucket);
  return diff;
}
