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
import { openHubEmbedder } from './hub-embedder.ts';
import { QuickHeadSession } from './quick-head-session.ts';
import { JudgeSession } from './judge-session.ts';
import { quickHeadsApi } from './api/quick-heads.ts';
import { judgesApi } from './api/judges.ts';

export type { ImportSource } from './api/datasets.ts';
export type { PairQueryResult } from './api/queries.ts';

const training = new TrainingSession();
// The playground's model, kept loaded between requests; scoring shares a training run's backend.
const scoring = new ScoringSession(openLabDB, () => training.training, openHubEmbedder);
// Quick heads on a frozen Hub encoder, and reference judges from the Hub (both through Transformers.js).
const quickHeads = new QuickHeadSession(openLabDB, openHubEmbedder, () => training.training);
const judges = new JudgeSession();

const api = {
  ...datasetsApi(),
  ...queriesApi(),
  ...trainingApi(training),
  ...modelsApi(),
  ...scoringApi(scoring, judges),
  ...quickHeadsApi(quickHeads),
  ...judgesApi(judges),
  // Hub text generators (Transformers.js, loaded on first use).
  ...generationApi(new GenerationSession()),
};

export type LabWorkerApi = typeof api;

Comlink.expose(api);
