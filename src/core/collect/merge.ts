// Merging annotators' label files into a project (a workshop's participants each export theirs,
// the instructor drops them all in). Annotator ids are kept; the same item labelled by two people,
// or twice by one, stays as two labels (two votes); only a label already in the project (the same
// annotator, item, decision and timestamp: the same file dropped twice) is not added again.
import type { Label, LabelItem } from './item.ts';

export interface MergeResult {
  /** Items the project did not have yet (a participant's file may hold comparisons of their own). */
  newItems: LabelItem[];
  newLabels: Label[];
  /** Labels already in the project, left out. */
  alreadyThere: number;
}

function labelKey(label: Pick<Label, 'annotatorId' | 'itemId' | 'winner' | 'timestamp'>): string {
  return JSON.stringify([label.annotatorId, label.itemId, label.winner, label.timestamp]);
}

export function mergeLabels(
  project: { itemIds: Iterable<string>; labels: Iterable<Label> },
  incoming: Iterable<{ item: LabelItem; label: Label }>,
): MergeResult {
  const itemIds = new Set(project.itemIds);
  const seen = new Set<string>();
  for (const label of project.labels) seen.add(labelKey(label));
  const newItems: LabelItem[] = [];
  const newLabels: Label[] = [];
  let alreadyThere = 0;
  for (const { item, label } of incoming) {
    const key = labelKey(label);
    if (seen.has(key)) {
      alreadyThere++;
      continue;
    }
    seen.add(key);
    if (!itemIds.has(item.id)) {
      itemIds.add(item.id);
      newItems.push(item);
    }
    newLabels.push(label);
  }
  return { newItems, newLabels, alreadyThere };
}
