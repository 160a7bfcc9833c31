// The labelling worker: the queue's model is refitted here so the labelling screen never waits on
// it. A worker of its own rather than a part of the lab worker: it loads no tfjs (it starts in
// milliseconds) and a run training in the lab worker does not hold labelling up. A quick head
// ranking the queue (queue-head.ts) brings Transformers.js in, on first use only.
// LabelSession (src/ui/label/label-session.svelte.ts) owns it.
import * as Comlink from 'comlink';
import { labellingApi } from './api/labelling.ts';
import { LabellingSession } from './labelling-session.ts';
import type { QueueHeadJudge } from './queue-head.ts';

let judge: Promise<QueueHeadJudge> | undefined;
const queueHead = () => (judge ??= import('./queue-head-hub.ts').then((m) => m.hubQueueHeadJudge()));

const api = labellingApi(new LabellingSession(), queueHead);
export type LabelWorkerApi = typeof api;
Comlink.expose(api);
