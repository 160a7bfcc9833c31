// Import, as the worker runs it: a byte stream -> records (JSONL, JSON array, CSV/TSV, gzipped
// or not) -> pairs -> the store, in batches, with progress. The dataset stays invisible ('importing') until everything is written, and is
// removed again if the import fails or is cancelled, so the store never shows half a dataset.
import type { FieldMapping } from '../core/data/formats/mapping.ts';
import type { FormatId } from '../core/data/formats/index.ts';
import type { Pair, RejectedLine } from '../core/data/pair.ts';
import { parseRecords } from '../core/data/parse.ts';
import { readRecords, type ContainerId } from '../core/data/records.ts';
import { addPairs, beginDataset, commitDataset, deleteDataset } from '../store/datasets.ts';
import type { DatasetRecord, RMLabDatabase } from '../store/db.ts';
import { isQuotaExceeded, storageFullMessage } from './storage-errors.ts';

/** Pairs per transaction: large enough to amortise a commit, small enough to report progress often. */
const BATCH = 500;

export interface ImportProgress {
  bytesRead: number;
  totalBytes?: number;
  pairs: number;
  rejected: number;
}

export interface ImportResult {
  dataset: DatasetRecord;
  rejected: RejectedLine[];
  duplicates: Duplicate[];
}

/** A pair whose prompt, responses and winner repeat an earlier line's: stored, and reported. */
export interface Duplicate {
  line: number;
  duplicateOf: number;
}

/** What the user chose in the preview; anything left out is detected. */
export interface ImportChoices {
  container?: ContainerId;
  format?: FormatId;
  mapping?: FieldMapping;
}

export async function importPairs(
  db: RMLabDatabase,
  stream: ReadableStream<Uint8Array>,
  meta: { name: string; source: DatasetRecord['source']; totalBytes?: number; choices?: ImportChoices },
  onProgress: (p: ImportProgress) => void,
  signal?: AbortSignal,
): Promise<ImportResult> {
  let record = await beginDataset(db, meta.name, meta.source);
  const rejected: RejectedLine[] = [];
  const duplicates: Duplicate[] = [];
  let batch: Pair[] = [];
  let bytesRead = 0;
  let index = 0;
  const progress = () =>
    onProgress({ bytesRead, totalBytes: meta.totalBytes, pairs: index, rejected: rejected.length });
  try {
    // Cancel stops a read that waits on the file or the network at once, not at the next record.
    const records = readRecords(signal ? abortable(stream, signal) : stream, {
      container: meta.choices?.container,
      onBytes: (n) => (bytesRead = n),
      onContainer: (info) => (record.container = info),
    });
    for await (const parsed of parseRecords(records, {
      format: meta.choices?.format,
      mapping: meta.choices?.mapping,
    })) {
      if (signal?.aborted) throw new ImportCancelled();
      record.lineCount++;
      if (parsed.kind === 'rejected') {
        rejected.push(parsed.rejected);
        continue;
      }
      record.format ??= parsed.format;
      if (parsed.duplicateOf !== undefined) duplicates.push({ line: parsed.line, duplicateOf: parsed.duplicateOf });
      // Zero-padded position keeps the stored order equal to the file's order.
      batch.push({ ...parsed.pair, id: `${record.id}:${String(index).padStart(9, '0')}`, datasetId: record.id });
      record.winners[parsed.pair.winner]++;
      index++;
      if (batch.length >= BATCH) {
        await addPairs(db, batch);
        batch = [];
        progress();
      }
    }
    if (batch.length > 0) await addPairs(db, batch);
    if (index === 0) throw new NoPairsFound(rejected, record.lineCount);
    record.pairCount = index;
    record.duplicateCount = duplicates.length;
    progress();
    record = await commitDataset(db, record, rejected, duplicates);
    return { dataset: record, rejected, duplicates };
  } catch (error) {
    await deleteDataset(db, record.id);
    if (signal?.aborted) throw new ImportCancelled();
    throw isQuotaExceeded(error) ? new Error(storageFullMessage('this file')) : error;
  }
}

/** A stream whose pending read fails as soon as `signal` aborts (and which then cancels its source). */
function abortable(stream: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new ImportCancelled());
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await Promise.race([reader.read(), aborted]);
        } catch (error) {
          void reader.cancel().catch(() => undefined);
          throw error;
        }
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

export class ImportCancelled extends Error {
  constructor() {
    super('import cancelled: nothing was stored');
  }
}

/** A file with no usable line: nothing is stored, and the rejected lines say why. */
export class NoPairsFound extends Error {
  constructor(
    readonly rejected: RejectedLine[],
    lineCount: number,
  ) {
    super(
      lineCount === 0
        ? 'the file has no lines: nothing was stored'
        : `none of the ${lineCount} lines is a pair: nothing was stored`,
    );
  }
}
