// Numbers as the page shows them.

/** "about 40 s", "about 3 min": time left is an estimate, never shown to the second past a minute. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown time';
  if (seconds < 90) return `about ${Math.max(1, Math.ceil(seconds))} s`;
  if (seconds < 90 * 60) return `about ${Math.ceil(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}
