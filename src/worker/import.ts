// Import, as the worker runs it: a byte stream -> lines -> pairs -> the store, in batches, with
// progress. The dataset stays invisible ('importing') until everything is written, and is
// removed again if the import fails or is cancelled, so the store never shows half a dataset.
import { readLines } from '../core/data/jsonl.ts';
import type { Pair, RejectedLine } from '../core/data/pair.ts';
import { parsePairs } from '../core/data/parse.ts';
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
}

export async function importPairs(
  db: RMLabDatabase,
  stream: ReadableStream<Uint8Array>,
  meta: { name: string; source: DatasetRecord['source']; totalBytes?: number },
  onProgress: (p: ImportProgress) => void,
  isCancelled: () => boolean = () => false,
): Promise<ImportResult> {
  let record = await beginDataset(db, meta.name, meta.source);
  const rejected: RejectedLine[] = [];
  let batch: Pair[] = [];
  let bytesRead = 0;
  let index = 0;
  const progress = () =>
    onProgress({ bytesRead, totalBytes: meta.totalBytes, pairs: index, rejected: rejected.length });
  try {
    for await (const parsed of parsePairs(readLines(stream, (n) => (bytesRead = n)))) {
      if (isCancelled()) throw new ImportCancelled();
      record.lineCount++;
      if (parsed.kind === 'rejected') {
        rejected.push(parsed.rejected);
        continue;
      }
      record.format ??= parsed.format;
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
    progress();
    record = await commitDataset(db, record, rejected);
    return { dataset: record, rejected };
  } catch (error) {
    await deleteDataset(db, record.id);
    throw isQuotaExceeded(error) ? new Error(storageFullMessage('this file')) : error;
  }
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
