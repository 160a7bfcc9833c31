// The browser's storage quota, in words a user can act on.

export function isQuotaExceeded(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'QuotaExceededError';
}

export function storageFullMessage(what: string): string {
  return (
    `The browser's storage for this site is full, so ${what} was not stored (nothing already stored was changed). ` +
    'Delete datasets or runs you no longer need, or free disk space, and try again.'
  );
}
