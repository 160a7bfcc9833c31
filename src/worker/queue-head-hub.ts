// The labelling worker's quick-head judge with the Transformers.js encoder loader: imported on first
// use (a dynamic import in label.worker.ts), so a labelling screen that never picks a quick head
// loads neither ONNX Runtime nor Transformers.js.
import './onnx-wasm.ts';
import { openLabDB } from '../store/db.ts';
import { openHubEmbedder } from './hub-embedder.ts';
import { QueueHeadJudge } from './queue-head.ts';

export function hubQueueHeadJudge(): QueueHeadJudge {
  return new QueueHeadJudge(openLabDB, openHubEmbedder);
}
