// The worker's dataset calls: import (a file or a link), merge and export.
import type { ExportCounts, ExportFormat } from '../../core/data/export.ts';
import { DATASET_URL_MAX_BYTES, DownloadCancelled, fetchLimited } from '../../core/share/fetch-url.ts';
import { listDatasets } from '../../store/datasets.ts';
import { openLabDB, type DatasetRecord } from '../../store/db.ts';
import { holding, IMPORT_LOCK } from '../../store/liveness.ts';
import { exportDataset, mergeDatasets } from '../dataset-ops.ts';
import { ImportCancelled, importPairs, type ImportChoices, type ImportProgress, type ImportResult } from '../import.ts';

export type ImportSource = { kind: 'file'; file: File } | { kind: 'url'; url: string; label: 'demo' | 'url' };

export function datasetsApi() {
  let importAbort: AbortController | undefined;
  return {
    async importDataset(
      source: ImportSource,
      name: string,
      choices: ImportChoices,
      onProgress: (p: ImportProgress) => void,
    ): Promise<ImportResult> {
      // Created before the first await: a Cancel sent right after this call finds it.
      const controller = (importAbort = new AbortController());
      const db = await openLabDB();
      let stream: ReadableStream<Uint8Array>;
      let totalBytes: number | undefined;
      if (source.kind === 'file') {
        stream = source.file.stream();
        totalBytes = source.file.size;
      } else {
        // http(s) only, a size limit and plain-words errors (missing file, CORS): see fetch-url.ts.
        // Cancel stops it while it waits for the server too; a stall fails it (watched-fetch.ts).
        try {
          ({ stream, totalBytes } = await fetchLimited(source.url, 'dataset', DATASET_URL_MAX_BYTES, {
            signal: controller.signal,
          }));
        } catch (error) {
          throw error instanceof DownloadCancelled ? new ImportCancelled() : error;
        }
      }
      const sourceName = source.kind === 'file' ? source.file.name : source.url;
      return holding(IMPORT_LOCK, () =>
        importPairs(
          db,
          stream,
          {
            name,
            source: { kind: source.kind === 'file' ? 'file' : source.label, name: sourceName },
            totalBytes,
            choices,
          },
          onProgress,
          controller.signal,
        ),
      );
    },

    cancelImport(): void {
      importAbort?.abort();
    },

    async mergeDatasets(ids: string[], name: string): Promise<DatasetRecord> {
      const db = await openLabDB();
      const all = await listDatasets(db);
      const sources = ids.map((id) => all.find((d) => d.id === id)).filter((d): d is DatasetRecord => !!d);
      return holding(IMPORT_LOCK, () => mergeDatasets(db, sources, name));
    },

    async exportDataset(datasetId: string, format: ExportFormat): Promise<{ file: Blob } & ExportCounts> {
      return exportDataset(await openLabDB(), datasetId, format);
    },
  };
}
