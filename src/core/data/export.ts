// Datasets -> JSONL files, for the dataset export: RM Lab's own record (everything a pair holds,
// read back to the same pair) or TRL's (chosen/rejected, for training elsewhere; ties and both-bad
// pairs have no chosen response and are skipped, and counted).

import type { PairInput } from './pair.ts';
import { pairToRmlab } from './formats/rmlab.ts';
import { pairToTrl } from './formats/trl.ts';

export type ExportFormat = 'rmlab' | 'trl';

export interface ExportCounts {
  /** Pairs written, one line each. */
  written: number;
  /** Pairs the format cannot hold (ties and both-bad pairs, in TRL). */
  skipped: number;
}

/** One pair as a JSONL line (with its line break), or undefined for a pair the format cannot hold. */
export function exportLine(pair: PairInput, format: ExportFormat): string | undefined {
  const record = format === 'rmlab' ? pairToRmlab(pair) : pairToTrl(pair);
  return record === undefined ? undefined : `${JSON.stringify(record)}\n`;
}

/** The JSONL lines of a dataset, streaming from the store; `counts` is filled in as they go. */
export async function* exportJsonlLines(
  pairs: AsyncIterable<PairInput> | Iterable<PairInput>,
  format: ExportFormat,
  counts: ExportCounts = { written: 0, skipped: 0 },
): AsyncGenerator<string> {
  for await (const pair of pairs) {
    const line = exportLine(pair, format);
    if (line === undefined) {
      counts.skipped++;
      continue;
    }
    counts.written++;
    yield line;
  }
}

/** A byte stream of the JSONL file, for a download (`new Response(stream).blob()`) of any size. */
export function exportJsonlStream(
  pairs: AsyncIterable<PairInput> | Iterable<PairInput>,
  format: ExportFormat,
  counts: ExportCounts = { written: 0, skipped: 0 },
): ReadableStream<Uint8Array> {
  const lines = exportJsonlLines(pairs, format, counts);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
}

/** The whole JSONL file as one string, with the counts: for small datasets and tests. */
export function exportJsonl(pairs: Iterable<PairInput>, format: ExportFormat): ExportCounts & { text: string } {
  const counts: ExportCounts = { written: 0, skipped: 0 };
  let text = '';
  for (const pair of pairs) {
    const line = exportLine(pair, format);
    if (line === undefined) counts.skipped++;
    else {
      counts.written++;
      text += line;
    }
  }
  return { ...counts, text };
}
