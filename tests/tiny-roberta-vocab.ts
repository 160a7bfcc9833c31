// A tiny byte-level BPE vocabulary in RoBERTa's files (vocab.json, merges.txt), for tests: RoBERTa's
// special tokens first (<s> 0, <pad> 1, </s> 2, <unk> 3), the 256 byte symbols of GPT-2's
// bytes_to_unicode, then the tokens the merges build. Works in Node and in the browser.

/** GPT-2's bytes_to_unicode: every byte as a printable character ('Ġ' is the space). */
export function byteSymbols(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const symbols: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    symbols.push(String.fromCharCode(printable.includes(b) ? b : 256 + extra++));
  }
  return symbols;
}

/** Merges, in rank order: enough to spell a few words whole ("Ġthe", "Ġcat", "Ġgood", "Ġanswer"). */
export const TINY_MERGES = [
  'Ġ t',
  'h e',
  'Ġt he',
  'Ġ c',
  'a t',
  'Ġc at',
  'o o',
  'Ġ g',
  'Ġg oo',
  'Ġgoo d',
  'Ġ a',
  'n s',
  'Ġa ns',
  'w e',
  'Ġans we',
  'Ġanswe r',
  'Ġ b',
  'a d',
  'Ġb ad',
];

export function tinyRobertaVocab(): Record<string, number> {
  const tokens = ['<s>', '<pad>', '</s>', '<unk>', ...byteSymbols()];
  for (const merge of TINY_MERGES) tokens.push(merge.replace(' ', ''));
  tokens.push('<mask>');
  return Object.fromEntries(tokens.map((t, i) => [t, i]));
}

/** vocab.json and merges.txt as a RoBERTa repository has them. */
export function tinyRobertaFiles(): Map<string, string> {
  return new Map([
    ['vocab.json', JSON.stringify(tinyRobertaVocab())],
    ['merges.txt', `#version: 0.2\n${TINY_MERGES.join('\n')}\n`],
  ]);
}
