// The worker that imports datasets and trains, so the page never blocks on either.
// Its API is exposed to the page with comlink; LabClient (src/ui/lab-client.svelte.ts) owns it.
// The calls are grouped by concern in src/worker/api/; their union, LabWorkerApi, is the one typed
// protocol the page speaks.
import * as Comlink from 'comlink';
import '@tensorflow/tfjs-backend-webgpu';
import './wasm-setup.ts';
import './onnx-wasm.ts';
import { openLabDB } from '../store/db.ts';
import { datasetsApi } from './api/datasets.ts';
import { generationApi } from './api/generation.ts';
import { modelsApi } from './api/models.ts';
import { queriesApi } from './api/queries.ts';
import { scoringApi } from './api/scoring.ts';
import { trainingApi } from './api/training.ts';
import { GenerationSession } from './generation.ts';
import { ScoringSession } from './scoring.ts';
import { TrainingSession } from './training-session.ts';

export type { ImportSource } from './api/datasets.ts';
export type { PairQueryResult } from './api/queries.ts';

const training = new TrainingSession();
// The playground's model, kept loaded between requests; scoring shares a training run's backend.
const scoring = new ScoringSession(openLabDB, () => training.training);

const api = {
  ...datasetsApi(),
  ...queriesApi(),
  ...trainingApi(training),
  ...modelsApi(),
  ...scoringApi(scoring),
  // Hub text generators (Transformers.js, loaded on first use).
  ...generationApi(new GenerationSession()),
};

export type LabWorkerApi = typeof api;

Comlink.expose(api);
