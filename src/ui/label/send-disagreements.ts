// The feedback view's "send to labelling": the responses of the versions a reward model and the
// users disagree on become items of the dataset's disagreements project (made the first time, added
// to after), and the Label screen, which stays mounted, is told to show it.
import {
  disagreementItems,
  disagreementProjectName,
  type DisagreeingVersions,
} from '../../core/collect/disagreement-items.ts';
import { getPairs } from '../../store/datasets.ts';
import { openLabDB } from '../../store/db.ts';
import { addMerged, createProject, listProjects, projectItems } from '../../store/labels.ts';
import { newProject } from './label-session.svelte.ts';

/** The window event the Label screen listens for; its detail is the project's id. */
export const LABEL_PROJECT_ADDED = 'rmlab:label-project-added';

export interface SentDisagreements {
  projectId: string;
  projectName: string;
  created: boolean;
  added: number;
  alreadyThere: number;
}

export async function sendDisagreements(
  dataset: { id: string; name: string },
  found: readonly DisagreeingVersions[],
): Promise<SentDisagreements> {
  const db = await openLabDB();
  const items = disagreementItems(await getPairs(db, dataset.id), found);
  const name = disagreementProjectName(dataset.name);
  if (items.length === 0) throw new Error(`no pair in ${dataset.name} compares the versions in disagreement`);
  const existing = (await listProjects(db)).find((p) => p.source.kind === 'dataset' && p.name === name);
  let sent: SentDisagreements;
  if (existing) {
    const known = new Set((await projectItems(db, existing.id)).map((i) => i.id));
    const fresh = items.filter((i) => !known.has(i.id));
    await addMerged(db, existing, fresh, []);
    sent = {
      projectId: existing.id,
      projectName: name,
      created: false,
      added: fresh.length,
      alreadyThere: items.length - fresh.length,
    };
  } else {
    const project = newProject(
      name,
      { kind: 'dataset', name: dataset.name },
      { items, rejected: [], lines: items.length },
    );
    await createProject(db, project, items);
    sent = { projectId: project.id, projectName: name, created: true, added: items.length, alreadyThere: 0 };
  }
  window.dispatchEvent(new CustomEvent(LABEL_PROJECT_ADDED, { detail: sent.projectId }));
  return sent;
}
