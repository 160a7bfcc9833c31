// A seeded fuzz file of hostile JSONL (issue 13), shared by the unit test (Node, the CLI's path) and
// the browser test (the real IndexedDB), which must store the same number of pairs from it: good
// records, records with a field nested thousands of levels deep (IndexedDB's structured clone
// overflowed the stack on them), keys shared with Object.prototype, terminal escapes, markup,
// whitespace JSON does not allow, a BOM inside a line, broken JSON and invalid UTF-8.
import { mulberry32 } from '../src/core/train/shuffle.ts';

const deep = (levels: number) => `${'['.repeat(levels)}0${']'.repeat(levels)}`;
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}0${'}'.repeat(levels)}`;

export function hostileFile(seed: number, lineCount = 2000): { bytes: Uint8Array; lines: number } {
  const r = mulberry32(seed);
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  const text = () =>
    pick([
      'plain',
      '<img src=x onerror=alert(1)>',
      '\u001b]0;owned\u0007\u001b[2J title and clear',
      'naïve 日本語',
      '__proto__',
      'constructor',
    ]);
  for (let i = 0; i < lineCount; i++) {
    const base: Record<string, unknown> = {
      prompt: `${text()} ${i}`,
      response_a: text(),
      response_b: text(),
      winner: pick(['response_a', 'response_b', 'tie', 'both_bad']),
      model_a_version: pick(['constructor', 'toString', 'v1', '__proto__']),
      model_b_version: pick(['hasOwnProperty', 'v2', 'valueOf']),
      task_type: pick(['__proto__', 'qa', 'constructor']),
    };
    // The first line is a good record: a file's first line is what tells JSONL from CSV.
    const kind = i === 0 ? 0.5 : r();
    let line: string;
    if (kind < 0.1) line = JSON.stringify(base).replace(/}$/, `,"extra":${deep(2000 + Math.floor(r() * 3000))}}`);
    else if (kind < 0.15) line = JSON.stringify(base).replace(/}$/, `,"extra":${deepObject(2000)}}`);
    else if (kind < 0.18) line = pick(['\u00a0', '\f', '\u3000 ', '\ufeff' + JSON.stringify(base)]);
    else if (kind < 0.22) line = JSON.stringify(base).slice(0, 20 + Math.floor(r() * 40));
    else if (kind < 0.24) line = JSON.stringify({ ...base, prompt: 'x'.repeat(100_000) });
    else line = JSON.stringify(base);
    parts.push(encoder.encode(line));
    if (kind > 0.995) parts.push(Uint8Array.of(0xff, 0xfe)); // invalid UTF-8 at the end of the line
    parts.push(encoder.encode('\n'));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, lines: lineCount };
}
