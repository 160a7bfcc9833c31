// Whole-dataset operations the worker runs, each as atomic as an import: a merge writes a new
// dataset that becomes visible only once every pair is copied.
import { exportLine, type ExportCounts, type ExportFormat } from '../core/data/export.ts';
import type { Pair } from '../core/data/pair.ts';
import { addPairs, beginDataset, commitDataset, deleteDataset, scanPairs } from '../store/datasets.ts';
import type { DatasetRecord, RMLabDatabase } from '../store/db.ts';
import { storageFullMessage, isQuotaExceeded } from './storage-errors.ts';

const BATCH = 500;

/** Copies the pairs of several datasets, in order, into a new one; the sources stay as they are. */
export async function mergeDatasets(db: RMLabDatabase, sources: DatasetRecord[], name: string): Promise<DatasetRecord> {
  if (sources.length < 2) throw new Error('pick at least two datasets to merge');
  const record = await beginDataset(db, name, { kind: 'merge', name: sources.map((s) => s.name).join(' + ') });
  let batch: Pair[] = [];
  let index = 0;
  try {
    for (const source of sources) {
      const pending: Pair[] = [];
      await scanPairs(db, source.id, (pair) => {
        pending.push({ ...pair, id: `${record.id}:${String(index++).padStart(9, '0')}`, datasetId: record.id });
        record.winners[pair.winner]++;
      });
      for (const pair of pending) {
        batch.push(pair);
        if (batch.length >= BATCH) {
          await addPairs(db, batch);
          batch = [];
        }
      }
      record.lineCount += source.lineCount;
    }
    if (batch.length) await addPairs(db, batch);
    record.pairCount = index;
    record.format = sources.every((s) => s.format === sources[0]!.format) ? sources[0]!.format : undefined;
    return await commitDataset(db, record, []);
  } catch (error) {
    await deleteDataset(db, record.id);
    throw isQuotaExceeded(error) ? new Error(storageFullMessage('the merged dataset')) : error;
  }
}

/**
 * A dataset as a JSONL file the user keeps: RM Lab's record (reads back to the same pairs) or
 * TRL's preference format (ties and both-bad pairs have no chosen response: skipped, counted).
 */
export async function exportDataset(
  db: RMLabDatabase,
  datasetId: string,
  format: ExportFormat,
): Promise<{ file: Blob } & ExportCounts> {
  const parts: string[] = [];
  const counts: ExportCounts = { written: 0, skipped: 0 };
  await scanPairs(db, datasetId, (pair) => {
    const line = exportLine(pair, format);
    if (line === undefined) counts.skipped++;
    else {
      counts.written++;
      parts.push(line);
    }
  });
  return { file: new Blob(parts, { type: 'application/jsonl' }), ...counts };
}
