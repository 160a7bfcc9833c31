// "Retrain the head on these labels": the project's quick head trained again, on every label so far,
// by the existing QuickHeadSession in the lab worker (which trains on a stored dataset). The labels
// become a dataset as "Add labels to datasets" makes one, a head with the same encoder and options is
// trained on it and stored as a model, and that model then ranks the queue. The new dataset's pairs
// are embedded once more under its own key (the quick-head cache is per dataset); the project's items
// are read from their cache, since the encoder is the same.
import { isQuickHeadSpec } from '../../core/quick-head/spec.ts';
import type { ModelCard } from '../../store/db.ts';
import type { LabClient } from '../lab-client.svelte.ts';
import type { LabelSession } from './label-session.svelte.ts';

export async function retrainQueueHead(lab: LabClient, session: LabelSession): Promise<ModelCard> {
  const project = session.project;
  const head = lab.models.find((m) => m.id === project?.queueHead);
  if (!project || !head || !isQuickHeadSpec(head.spec)) throw new Error('pick a stored quick head for the queue first');
  const file = session.labelsFile();
  if (file.count === 0) throw new Error('no label yet to train the head on');
  const name = `Labels: ${project.name} (${file.count})`;
  await lab.importDataset({ kind: 'file', file: new File([file.text], file.name) }, name);
  const outcome = lab.lastImport;
  const dataset = lab.datasets.find((d) => d.id === outcome?.datasetId);
  if (!dataset || outcome?.error)
    throw new Error(`the labels could not be stored as a dataset: ${outcome?.error ?? 'not found after import'}`);
  const card = await lab.trainQuickHead(dataset, head.spec.embedding, head.quickHead?.config ?? {});
  if (!card) throw new Error(`the quick head could not be trained: ${lab.quickHead?.error ?? 'unknown error'}`);
  await session.setQueueHead(card.id);
  return card;
}
