// The labelling worker: the queue's model is refitted here so the labelling screen never waits on
// it. A worker of its own rather than a part of the lab worker: it loads no tfjs (it starts in
// milliseconds) and a run training in the lab worker does not hold labelling up.
// LabelSession (src/ui/label/label-session.svelte.ts) owns it.
import * as Comlink from 'comlink';
import { labellingApi } from './api/labelling.ts';
import { LabellingSession } from './labelling-session.ts';

const api = labellingApi(new LabellingSession());
export type LabelWorkerApi = typeof api;
Comlink.expose(api);
