// Saves data the page made as a file the user keeps (an <a download> on an object URL).

export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  // Revoke later: some browsers start the download asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function downloadJsonl(filename: string, rows: unknown[]): void {
  downloadBlob(
    filename,
    new Blob(
      rows.map((r) => JSON.stringify(r) + '\n'),
      { type: 'application/jsonl' },
    ),
  );
}
