// The words under a model download's progress bar (a pretrained encoder, a Hub generator): the
// file being read, its MB so far and in all, and whether it comes from this browser's cache.
import type { LoadProgress } from '../../core/model/pretrained.ts';

export const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1);

export function loadProgressLabel(p: LoadProgress | undefined): string {
  if (!p) return 'Starting…';
  const verb = p.cached ? 'Reading from this browser’s cache' : 'Downloading';
  const file = p.fileTotal ? `${mb(p.fileLoaded)} of ${mb(p.fileTotal)} MB` : `${mb(p.fileLoaded)} MB`;
  return `${verb}: ${p.file} · ${file} · ${mb(p.loaded)} MB in all`;
}

/** The bar's fraction: the file being read, when its size is known. */
export function loadProgressFraction(p: LoadProgress | undefined): number | undefined {
  return p?.fileTotal ? p.fileLoaded / p.fileTotal : undefined;
}
