// The store tests' set-up: a database of its own for each test (the browser's real IndexedDB in
// tests/browser, fake-indexeddb in tests/unit), closed after the test whatever its outcome.
import { afterEach } from 'vitest';
import { openLabDB, type RMLabDatabase } from '../src/store/db.ts';

/**
 * Call at the top of a test file: returns the opener of fresh databases named `prefix-...` (or of
 * the one named `name` again: a reopen within a test), and registers the afterEach that closes the
 * ones a test opened.
 */
export function freshDatabases(prefix: string): (name?: string) => Promise<{ db: RMLabDatabase; name: string }> {
  const opened: RMLabDatabase[] = [];
  let count = 0;
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
  });
  return async (name = `${prefix}-${Date.now()}-${count++}`) => {
    const db = await openLabDB(name);
    opened.push(db);
    return { db, name };
  };
}
