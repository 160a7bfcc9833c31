// A small dataset carried in the link itself: its RM Lab JSONL, compressed with deflate-raw
// (CompressionStream, built into browsers and Node) and written in base64url, which a URL carries
// without escaping. Capped twice: the link's length (chat apps and some servers cut long links),
// and the text it expands to (a crafted link must not fill memory).

import { collectBytes } from './watched-fetch.ts';

/** The most characters an inline dataset may take in a link (about 24 KB of compressed JSONL). */
export const INLINE_DATASET_MAX_CHARS = 32_000;
/** The most text an inline dataset may expand to. */
export const INLINE_DATASET_MAX_BYTES = 4 * 1024 * 1024;

export class InlineDatasetTooLarge extends Error {
  constructor(readonly chars: number) {
    super(
      `this dataset compresses to ${chars.toLocaleString('en')} characters, more than the ` +
        `${INLINE_DATASET_MAX_CHARS.toLocaleString('en')} a link can carry: put the file on a web server and ` +
        'share it with a dataset-url link instead',
    );
  }
}

/** Checks a payload's alphabet and length as it comes from a link; returns it. */
export function checkInlinePayload(value: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) {
    throw new Error("the link's inline dataset is damaged (it has characters base64url does not use)");
  }
  if (value.length === 0) throw new Error("the link's inline dataset is empty");
  if (value.length > INLINE_DATASET_MAX_CHARS) throw new InlineDatasetTooLarge(value.length);
  return value;
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A stream's bytes, refused past `maxBytes` (a deflate bomb stops there, not in memory). */
function collect(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  return collectBytes(stream, {
    maxBytes,
    tooLarge: () =>
      new Error(
        `the link's inline dataset expands to more than ${maxBytes / 1024 / 1024} MB, which a link may not carry`,
      ),
  });
}

/** JSONL text -> the link's payload; throws InlineDatasetTooLarge past the cap. */
export async function compressDataset(jsonl: string): Promise<string> {
  const input = new Blob([jsonl]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const payload = toBase64Url(await collect(input, Number.POSITIVE_INFINITY));
  if (payload.length > INLINE_DATASET_MAX_CHARS) throw new InlineDatasetTooLarge(payload.length);
  return payload;
}

/** The link's payload -> JSONL text, with plain errors for a damaged or oversized one. */
export async function decompressDataset(payload: string): Promise<string> {
  checkInlinePayload(payload);
  let text: Uint8Array;
  try {
    const bytes = fromBase64Url(payload);
    const output = new Blob([bytes as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('deflate-raw'));
    text = await collect(output, INLINE_DATASET_MAX_BYTES);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("the link's")) throw error;
    throw new Error("the link's inline dataset is damaged (it does not decompress); was the link cut short?", {
      cause: error,
    });
  }
  return new TextDecoder().decode(text);
}

/** A short stable name for an inline dataset (the same link gives the same name, so it is imported once). */
export function inlineDatasetFileName(payload: string): string {
  let h = 2166136261; // FNV-1a, 32-bit: a name, not a checksum anyone relies on
  for (let i = 0; i < payload.length; i++) h = Math.imul(h ^ payload.charCodeAt(i), 16777619);
  return `link-dataset-${(h >>> 0).toString(16).padStart(8, '0')}.jsonl`;
}
