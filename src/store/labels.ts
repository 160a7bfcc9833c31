// Labelling projects, their items and their labels. A label is one record written in its own
// transaction on the key press that made it: a reload or a crash loses nothing, and the queue
// (computed from the items and labels) resumes where it stopped.
import type { Label, LabelItem } from '../core/collect/item.ts';
import type { LabelProject } from '../core/collect/project.ts';
import type { RMLabDatabase } from './db.ts';

/** Stores a new project and its items in one transaction: all of it or nothing. */
export async function createProject(db: RMLabDatabase, project: LabelProject, items: LabelItem[]): Promise<void> {
  const tx = db.transaction(['labelProjects', 'labelItems'], 'readwrite');
  const store = tx.objectStore('labelItems');
  await Promise.all([
    tx.objectStore('labelProjects').put(project),
    ...items.map((item) => store.put({ ...item, projectId: project.id })),
    tx.done,
  ]);
}

export async function listProjects(db: RMLabDatabase): Promise<LabelProject[]> {
  return (await db.getAll('labelProjects')).sort((x, y) => y.createdAt - x.createdAt);
}

export async function putProject(db: RMLabDatabase, project: LabelProject): Promise<void> {
  await db.put('labelProjects', project);
}

/** A project's items, in the order they were added. */
export async function projectItems(db: RMLabDatabase, projectId: string): Promise<LabelItem[]> {
  const stored = await db.getAllFromIndex('labelItems', 'byProject', projectId);
  return stored
    .map(({ projectId: _projectId, ...item }) => item as LabelItem)
    .sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
}

/** A project's labels, oldest first. */
export async function projectLabels(db: RMLabDatabase, projectId: string): Promise<Label[]> {
  const labels = await db.getAllFromIndex('labels', 'byProject', projectId);
  return labels.sort((x, y) => (x.timestamp < y.timestamp ? -1 : x.timestamp > y.timestamp ? 1 : 0));
}

export async function putLabel(db: RMLabDatabase, label: Label): Promise<void> {
  await db.put('labels', label);
}

/** Undo: the label is gone from the store, and its item is back in the queue. */
export async function deleteLabel(db: RMLabDatabase, id: string): Promise<void> {
  await db.delete('labels', id);
}

/** Merged label files: new items and labels, and the project's item count, in one transaction. */
export async function addMerged(
  db: RMLabDatabase,
  project: LabelProject,
  items: LabelItem[],
  labels: Label[],
): Promise<LabelProject> {
  const updated = { ...project, itemCount: project.itemCount + items.length };
  const tx = db.transaction(['labelProjects', 'labelItems', 'labels'], 'readwrite');
  const itemStore = tx.objectStore('labelItems');
  const labelStore = tx.objectStore('labels');
  await Promise.all([
    tx.objectStore('labelProjects').put(updated),
    ...items.map((item) => itemStore.put({ ...item, projectId: project.id })),
    ...labels.map((label) => labelStore.put(label)),
    tx.done,
  ]);
  return updated;
}

export async function deleteProject(db: RMLabDatabase, projectId: string): Promise<void> {
  const tx = db.transaction(['labelProjects', 'labelItems', 'labels'], 'readwrite');
  const deletes: Promise<unknown>[] = [tx.objectStore('labelProjects').delete(projectId)];
  for (const store of ['labelItems', 'labels'] as const) {
    let cursor = await tx.objectStore(store).index('byProject').openKeyCursor(projectId);
    while (cursor) {
      deletes.push(tx.objectStore(store).delete(cursor.primaryKey));
      cursor = await cursor.continue();
    }
  }
  await Promise.all([...deletes, tx.done]);
}
