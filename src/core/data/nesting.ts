// How deeply one record may nest. IndexedDB stores a record by structured clone, which recurses:
// a field nested a few thousand levels deep overflowed Chromium's stack and failed the whole
// import's transaction ("Maximum call stack size exceeded", no line number). No preference format
// nests more than a handful of levels, so a record deeper than the cap is rejected on its own line.

export const MAX_NESTING = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text opens more than `max` arrays or objects inside one another, found by counting
 * brackets outside strings: no parse, no recursion, so the check cannot overflow a stack itself.
 */
export function nestsDeeperThan(text: string, max = MAX_NESTING): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export const tooDeepReason = (what: string) =>
  `the ${what} is nested more than ${MAX_NESTING} levels deep, more than RM Lab stores: it was not read`;
