// Short renderings of what the user's file holds, for rejected lines and the preview. They are
// shown as text (never as HTML) and are bounded, however large the record.

export const EXCERPT_LENGTH = 240;

/** The first `limit` characters of a text, never cutting a character made of a surrogate pair in half. */
export function clip(text: string, limit = EXCERPT_LENGTH): string {
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * JSON.stringify of a value, stopped once `limit` characters are written: a 10 MB record costs
 * no more than a small one. Strings inside are clipped before they are quoted.
 */
export function jsonExcerpt(value: unknown, limit = EXCERPT_LENGTH): string {
  let out = '';
  const write = (v: unknown): void => {
    if (out.length >= limit) return;
    if (typeof v === 'string') {
      out += JSON.stringify(clip(v, limit - out.length));
    } else if (Array.isArray(v)) {
      out += '[';
      for (const [i, item] of v.entries()) {
        if (out.length >= limit) return;
        if (i > 0) out += ',';
        write(item);
      }
      out += ']';
    } else if (typeof v === 'object' && v !== null) {
      out += '{';
      let first = true;
      for (const [key, item] of Object.entries(v)) {
        if (out.length >= limit) return;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(clip(key, limit))}:`;
        write(item);
      }
      out += '}';
    } else {
      out += typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
    }
  };
  write(value);
  return clip(out, limit);
}

/** Control and format characters (escapes, BOM, zero-width, bidi overrides) and line separators. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** A character's code point as people write it: U+FEFF. */
export const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Text with every control or format character named (<U+001B>): for a reason quoting the file, and
 * for a terminal, where a raw escape byte from a file would retitle the window or clear the screen.
 */
export function namedInvisibles(text: string): string {
  return text.replace(INVISIBLE, (c) => `<${codePoint(c)}>`);
}
