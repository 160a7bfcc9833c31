// The memory plan of a pretrained model before its weights download: from config.json alone (the
// family reads it; the tokenizer's special ids do not change a size), with the weights file's size
// where the server said it. A model that will not fit stops the load there, unless the user asks
// to download it anyway (the plan is an estimate, and settings can still change).
import type { ConfigCheck } from '../model/pretrained.ts';
import type { BertModelSpec } from '../model/reward-model.ts';
import type { BertConfig } from '../model/encoders/bert-config.ts';
import type { Pooling } from '../model/encoders/encoder.ts';
import { limitsFor, memoryPlan, type BackendLimits, type MemoryPlan, type RunShape } from './memory-plan.ts';
import type { FreezeChoice } from './freezing.ts';

/** What the plan is made for: the run's shape and freezing (the training form's) and the backend's limits. */
export interface PlanRequest {
  run: RunShape & FreezeChoice & { pooling: Pooling };
  limits: BackendLimits;
  /** Download and load even when the plan says it will not fit. */
  force?: boolean;
}

export interface DownloadPlan {
  /** How the user named the model. */
  source: string;
  plan: MemoryPlan;
  /** Weights in the model as RM Lab builds it, its reward head included. */
  parameters: number;
  /** The weights file's size, where the server told it before the download. */
  downloadBytes?: number;
}

/** A load stopped because its plan says it will not fit; the plan itself went to the caller first. */
export class PlanTooLarge extends Error {
  constructor(plan: DownloadPlan) {
    super(`${plan.plan.over} Nothing was downloaded but config.json`);
    this.name = 'PlanTooLarge';
  }
}

/** The plan of a config.json checked by the loader (loadModelFolder's onConfig), for `request`. */
export async function planBeforeDownload(
  check: ConfigCheck,
  source: string,
  request: PlanRequest,
): Promise<DownloadPlan> {
  // Sizes do not depend on which ids are special: any id within the vocabulary will do.
  const config = check.family.readConfig(check.configJson, { sepTokenId: 0, padTokenId: 0 }) as BertConfig;
  const pooling = check.family.onlyPooling ?? request.run.pooling;
  const spec: BertModelSpec = { encoder: 'bert', tokenizer: 'embedded', bert: config, pooling, source };
  const plan = memoryPlan(spec, request.run, request.run, request.limits);
  const downloadBytes = await check.weightBytes();
  return {
    source,
    plan,
    parameters: plan.allWeights,
    ...(downloadBytes !== undefined ? { downloadBytes } : {}),
  };
}

/**
 * The loader's onConfig for a planned load: plans, tells `onPlan`, and stops the load when it will
 * not fit (unless forced).
 */
export function planningCheck(
  source: string,
  request: PlanRequest,
  onPlan: (plan: DownloadPlan) => void,
): (check: ConfigCheck) => Promise<void> {
  return async (check) => {
    const planned = await planBeforeDownload(check, source, request);
    onPlan(planned);
    if (planned.plan.over && !request.force) throw new PlanTooLarge(planned);
  };
}

/**
 * The request for the training form's settings: its batch, length, accumulation, freezing and
 * pooling on its backend ('auto' may land on WASM: planned against its heap, the tighter limit).
 */
export function planRequestFor(
  config: RunShape & FreezeChoice & { pooling: Pooling; backend: string },
  force = false,
): PlanRequest {
  const backend = config.backend === 'auto' ? 'wasm' : config.backend;
  const { batchSize, maxLength, gradAccumulation, frozenLayers, embeddingTraining, pooling } = config;
  return {
    run: { batchSize, maxLength, gradAccumulation, frozenLayers, embeddingTraining, pooling },
    limits: limitsFor(backend),
    force,
  };
}
