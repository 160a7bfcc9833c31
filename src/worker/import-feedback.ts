// A feedback log's import, as the worker runs it: a byte stream -> records -> events (user ids
// protected as they are read) -> pairs by the rules -> the store. Like a pair file's import
// (import.ts) the dataset stays invisible until everything is written and is removed if anything
// fails or is cancelled; every record is its events or a rejected line, and every event is in a
// stored pair's provenance or listed, with why, among the unpaired events kept beside the dataset.
import type { Pair } from '../core/data/pair.ts';
import { defaultRuleSettings, type RuleSettings } from '../core/data/implicit/derive.ts';
import { feedbackPairs, readFeedbackLog } from '../core/data/implicit/feedback.ts';
import type { UserIdPolicy } from '../core/data/implicit/privacy.ts';
import type { EventFormat, EventMapping } from '../core/data/implicit/read.ts';
import { readRecords, type ContainerId } from '../core/data/records.ts';
import { addPairs, beginDataset, commitDataset, deleteDataset } from '../store/datasets.ts';
import type { DatasetRecord, RMLabDatabase } from '../store/db.ts';
import { ImportCancelled, NoPairsFound, type ImportProgress, type ImportResult } from './import.ts';
import { isQuotaExceeded, storageFullMessage } from './storage-errors.ts';

const BATCH = 500;

/** How to read a feedback log and which pairs to make of it (the import preview's choices). */
export interface FeedbackChoices {
  format?: EventFormat;
  mapping?: EventMapping;
  rules?: RuleSettings;
  userIds?: UserIdPolicy;
}

export async function importFeedback(
  db: RMLabDatabase,
  stream: ReadableStream<Uint8Array>,
  meta: {
    name: string;
    source: DatasetRecord['source'];
    totalBytes?: number;
    container?: ContainerId;
    feedback: FeedbackChoices;
  },
  onProgress: (p: ImportProgress) => void,
  /** Aborted: stop and store nothing (the caller makes the stream itself fail at once too). */
  signal?: AbortSignal,
): Promise<ImportResult> {
  let record = await beginDataset(db, meta.name, meta.source);
  let bytesRead = 0;
  const settings = meta.feedback.rules ?? defaultRuleSettings();
  const userIds = meta.feedback.userIds ?? 'keep';
  try {
    const log = await readFeedbackLog(
      readRecords(stream, {
        container: meta.container,
        onBytes: (n) => (bytesRead = n),
        onContainer: (info) => (record.container = info),
      }),
      {
        ...meta.feedback,
        rules: settings,
        userIds,
        onRecord: (counts) => {
          if (signal?.aborted) throw new ImportCancelled();
          if (counts.records % 200 === 0) {
            onProgress({ bytesRead, totalBytes: meta.totalBytes, pairs: 0, rejected: counts.rejected });
          }
        },
      },
    );
    record.lineCount = log.records;
    const { pairs, report, summary } = feedbackPairs(log, settings, userIds);
    record.format = log.format === 'custom' ? 'custom feedback log' : log.format;
    record.feedback = summary;
    if (pairs.length === 0) {
      const why = report.reasons
        .slice(0, 3)
        .map((r) => `${r.count} × ${r.reason}`)
        .join('; ');
      throw new NoPairsFound(
        log.rejected,
        log.records,
        log.events.length === 0
          ? undefined
          : `the ${log.events.length} feedback events made no preference pair${why ? ` (${why})` : ''}: nothing was stored`,
      );
    }
    let batch: Pair[] = [];
    for (const [index, pair] of pairs.entries()) {
      if (signal?.aborted) throw new ImportCancelled();
      batch.push({ ...pair, id: `${record.id}:${String(index).padStart(9, '0')}`, datasetId: record.id });
      record.winners[pair.winner]++;
      if (batch.length >= BATCH) {
        await addPairs(db, batch);
        batch = [];
        onProgress({ bytesRead, totalBytes: meta.totalBytes, pairs: index + 1, rejected: log.rejected.length });
      }
    }
    if (batch.length > 0) await addPairs(db, batch);
    record.pairCount = pairs.length;
    onProgress({ bytesRead, totalBytes: meta.totalBytes, pairs: pairs.length, rejected: log.rejected.length });
    record = await commitDataset(db, record, log.rejected, [], report.unpaired);
    return { dataset: record, rejected: log.rejected, duplicates: [] };
  } catch (error) {
    await deleteDataset(db, record.id);
    if (signal?.aborted) throw new ImportCancelled();
    throw isQuotaExceeded(error) ? new Error(storageFullMessage('this file')) : error;
  }
}
