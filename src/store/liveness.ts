// Which writers are alive, across tabs. A worker holds a Web Lock for as long as it imports or
// trains; a page that opens later cleans up after dead writers (an unfinished import, a run left
// 'running') only when no tab holds the lock, so it never removes another tab's work in progress.
// Shared mode: writers do not wait for each other, the lock only says "someone is at it".

export const IMPORT_LOCK = 'rm-lab-import';
export const TRAINING_LOCK = 'rm-lab-training';

export function holding<T>(name: string, work: () => Promise<T>): Promise<T> {
  // The DOM typings infer Promise<Promise<T>> here; the lock resolves with work's own result.
  return navigator.locks.request(name, { mode: 'shared' }, work) as unknown as Promise<T>;
}

export async function isHeld(name: string): Promise<boolean> {
  const { held = [] } = await navigator.locks.query();
  return held.some((lock) => lock.name === name);
}
