// The LoRA PyTorch reference fixtures (tests/fixtures/reference-lora-*.json, written by
// scripts/reference/lora_reference.py) and how a backend's numbers are compared with them. Shared by
// tests/unit/lora-reference.test.ts (cpu, wasm) and tests/browser/reference-lora-webgpu.test.ts, so
// it imports nothing from the test runner. The base weights are loaded through the family's table as
// a checkpoint is; the adapter and the head through the PEFT adapter's names (export/peft-adapter.ts
// fromPeftAdapter), and the gradients of what trains (A, B, the head) are compared under the same
// names after peftAdapterTensors, so the adapter file's naming is checked both ways with the numbers.
import * as tf from '@tensorflow/tfjs';
import { fromPeftAdapter, peftAdapterTensors } from '../src/core/export/peft-adapter.ts';
import { readModelConfig } from '../src/core/model/families/registry.ts';
import { encoderWeights } from '../src/core/model/hf-checkpoint.ts';
import type { LoraSpec } from '../src/core/model/lora.ts';
import { RewardModel, type BertModelSpec, type NamedWeight } from '../src/core/model/reward-model.ts';
import type { SafetensorsTensor } from '../src/core/model/safetensors.ts';
import { bradleyTerryLoss } from '../src/core/train/loss.ts';
import { trainedVariables } from '../src/core/train/trainer.ts';
import { runComparisons } from './bert-reference-fixture.ts';
import type { Comparison, Named } from './reference-fixture.ts';

export interface LoraFixture {
  family: string;
  config: Record<string, unknown>;
  special: { sepTokenId: number; padTokenId: number };
  pooling: string;
  lora: { r: number; alpha: number; targets: string[]; modules: string[]; weights: Named[] };
  batch: { ids: number[][]; mask: number[][]; margin: number[] };
  /** The base model and its head under HF's *ForSequenceClassification names. */
  weights: Named[];
  expected: { rewards: number[]; baseRewards: number[]; loss: number; accuracy: number };
  /** A, B and the head modules under the names a PEFT adapter file holds them by. */
  grads: Named[];
}

const PEFT = 'base_model.model.';

/** The spec a run from this base with these LoRA options gets; `lora` overrides plant bugs. */
export function loraSpecOf(f: LoraFixture, lora: Partial<LoraSpec> = {}): BertModelSpec {
  const special = f.family === 'gpt2' ? { sepTokenId: -1, padTokenId: -1 } : f.special;
  return {
    encoder: 'bert',
    tokenizer: 'embedded',
    bert: readModelConfig(f.config, special),
    pooling: f.pooling as BertModelSpec['pooling'],
    source: 'folder:fixture',
    lora: { rank: f.lora.r, alpha: f.lora.alpha, targets: f.lora.targets, ...lora },
  };
}

const tensorsOf = (named: Named[], prefix = '') =>
  new Map<string, SafetensorsTensor>(
    named.map((w) => [prefix + w.name, { dtype: 'F32', shape: w.shape, data: Float32Array.from(w.data) }]),
  );

/**
 * Every weight under RM Lab's names: the base encoder through the family's table, the adapters and
 * the head through the adapter file's names (the head from the base weights, as modules_to_save).
 */
export function loraFixtureWeights(f: LoraFixture, spec = loraSpecOf(f)): NamedWeight[] {
  const { weights } = encoderWeights(spec, tensorsOf(f.weights));
  const adapter = new Map([...tensorsOf(f.lora.weights), ...tensorsOf(f.weights, PEFT)]);
  return [...weights, ...fromPeftAdapter(spec, adapter)];
}

export interface LoraRun {
  rewards: Float32Array;
  loss: number;
  /** Under the adapter file's names, for what trains only. */
  grads: Map<string, Float32Array>;
}

/** Forward, loss and the gradients of the trained variables (freezing.ts under LoRA) on the current backend. */
export async function runLoraFixture(
  f: LoraFixture,
  spec = loraSpecOf(f),
  weights = loraFixtureWeights(f, spec),
  /** Called on the model before the run (e.g. to store its frozen base as f16). */
  prepare?: (model: RewardModel) => Promise<void>,
) {
  const model = RewardModel.fromWeights(spec, weights);
  await prepare?.(model);
  const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
  const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
  const margin = tf.tensor1d(f.batch.margin, 'float32');
  const vars = trainedVariables(model, { frozenLayers: 0, embeddingTraining: 'train' });
  const nameOf = new Map([...model.params].map(([name, v]) => [v, name]));
  let rewards: tf.Tensor1D | undefined;
  const { value: loss, grads } = tf.variableGrads(() => {
    rewards = tf.keep(model.rewards(ids, mask)); // [2B]
    const [rc, rr] = tf.split(rewards, 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
    return bradleyTerryLoss(rc, rr, margin);
  }, vars);
  const gradWeights: NamedWeight[] = [];
  for (const v of vars) {
    const g = grads[v.name]!;
    gradWeights.push({ name: nameOf.get(v)!, shape: g.shape, data: (await g.data()) as Float32Array });
  }
  const out: LoraRun = {
    rewards: (await rewards!.data()) as Float32Array,
    loss: (await loss.data())[0]!,
    grads: new Map(peftAdapterTensors(spec, gradWeights).map((g) => [g.name, g.data])),
  };
  tf.dispose([ids, mask, margin, rewards!, loss, ...Object.values(grads)]);
  model.dispose();
  return out;
}

export function loraComparisons(f: LoraFixture, r: LoraRun): [string, Comparison][] {
  return runComparisons(f, r);
}
