// cyrb53 (bryc, public domain): a small, fast, seedable, well-mixed 53-bit string hash. 53 bits fit a
// double exactly, and unlike a 32-bit hash it leaves no visible collisions on datasets of millions.
// The train / held-out split, the duplicate detector, labelling item ids and the per-item draws
// (left side, second annotator) all come from it, so they are the same on every device and after
// every reload without storing a random state.

/** A 53-bit hash of `text` under `seed`, as a non-negative integer. */
export function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A uniform draw in [0, 1) fixed by the text and the seed. */
export function uniformOf(text: string, seed: number): number {
  return cyrb53(text, seed) / 2 ** 53;
}
