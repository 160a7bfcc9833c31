// The labelling worker: the queue's model is refitted here so the labelling screen never waits on
// it. Separate from the lab worker (which loads tfjs and trains): labelling stays quick while a
// run trains, and this one starts in milliseconds. LabelSession (src/ui/label/) owns it.
import * as Comlink from 'comlink';
import { LabellingSession } from './labelling-session.ts';

const session = new LabellingSession();
export type LabelWorkerApi = Pick<LabellingSession, 'update'>;
const api: LabelWorkerApi = { update: (projectId, seed) => session.update(projectId, seed) };
Comlink.expose(api);
