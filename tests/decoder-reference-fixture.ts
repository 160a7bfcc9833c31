// The decoder PyTorch reference fixtures (tests/fixtures/reference-{gpt2,llama,qwen2}-*.json, written
// by scripts/reference/gpt2_reference.py and llama_reference.py) and how a backend's numbers are
// compared with them. Shared by tests/unit/decoder-reference.test.ts (cpu, wasm) and
// tests/browser/reference-decoder-webgpu.test.ts, so it imports nothing from the test runner. The
// fixtures hold HF's *ForSequenceClassification names and orientations: the encoder and its score
// head are loaded through the registry (readModelConfig, the family's table via encoderWeights, its
// one-label score head as the reward head via rewardHead) and the gradients compared after
// toHuggingFaceTensors, so the mapping table is checked both ways along with the numbers.
import * as tf from '@tensorflow/tfjs';
import { readModelConfig } from '../src/core/model/families/registry.ts';
import { encoderWeights, rewardHead, toHuggingFaceTensors } from '../src/core/model/hf-checkpoint.ts';
import { RewardModel, type BertModelSpec, type NamedWeight } from '../src/core/model/reward-model.ts';
import type { SafetensorsTensor } from '../src/core/model/safetensors.ts';
import { bradleyTerryLoss, pairwiseAccuracy } from '../src/core/train/loss.ts';
import type { Comparison, Named } from './reference-fixture.ts';
import { adamSteps, runComparisons } from './bert-reference-fixture.ts';

export interface DecoderFixture {
  /** config.json as transformers writes it for a one-label *ForSequenceClassification. */
  config: Record<string, unknown>;
  padding: string;
  pairs: { chosen: number[]; rejected: number[]; margin: number }[];
  batch: { ids: number[][]; mask: number[][]; margin: number[]; lastToken: number[] };
  weights: Named[];
  expected: { rewards: number[]; loss: number; accuracy: number };
  grads: Named[];
}

/** The fixture's tensors as a checkpoint reader returns them. */
export function decoderFixtureTensors(f: DecoderFixture): Map<string, SafetensorsTensor> {
  return new Map(f.weights.map((w) => [w.name, { dtype: 'F32', shape: w.shape, data: Float32Array.from(w.data) }]));
}

/** The spec a loaded folder of this config gets (the registry reads config.json; no tokenizer here). */
export function decoderSpecOf(f: DecoderFixture): BertModelSpec {
  return {
    encoder: 'bert',
    tokenizer: 'embedded',
    bert: readModelConfig(f.config, { sepTokenId: -1, padTokenId: -1 }),
    pooling: 'last',
    source: 'folder:fixture',
  };
}

/** The reward model, loaded as a folder's tensors are: the encoder through the family's table, score.weight as its head. */
export function loadDecoderFixture(f: DecoderFixture): RewardModel {
  const spec = decoderSpecOf(f);
  const tensors = decoderFixtureTensors(f);
  const { weights } = encoderWeights(spec, tensors);
  const { head } = rewardHead(spec, tensors);
  if (!head) throw new Error('the fixture has no one-label score head');
  return RewardModel.fromWeights(spec, [...weights, ...head]);
}

export interface DecoderRun {
  rewards: Float32Array;
  loss: number;
  accuracy: number;
  /** Under HF's names and orientations. */
  grads: Map<string, Float32Array>;
  /** Bytes in GPU buffers while the run's tensors were alive (WebGPU; 0 elsewhere). */
  gpuBytes: number;
}

/** Forward, Bradley-Terry loss, accuracy and every gradient on the current backend, read with `await data()`. */
export async function runDecoderFixture(f: DecoderFixture, model = loadDecoderFixture(f)): Promise<DecoderRun> {
  const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
  const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
  const margin = tf.tensor1d(f.batch.margin, 'float32');
  let rewards: tf.Tensor1D | undefined;
  let accuracy: tf.Scalar | undefined;
  const names = [...model.params.keys()];
  const vars = model.trainableVariables;
  const { value: loss, grads } = tf.variableGrads(() => {
    const r = model.rewards(ids, mask); // [2B]
    rewards = tf.keep(r);
    const [rc, rr] = tf.split(r, 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
    accuracy = tf.keep(pairwiseAccuracy(rc, rr));
    return bradleyTerryLoss(rc, rr, margin);
  }, vars);
  const gradWeights: NamedWeight[] = [];
  for (const [i, name] of names.entries()) {
    const g = grads[vars[i]!.name]!;
    gradWeights.push({ name, shape: g.shape, data: (await g.data()) as Float32Array });
  }
  const out: DecoderRun = {
    rewards: (await rewards!.data()) as Float32Array,
    loss: (await loss.data())[0]!,
    accuracy: (await accuracy!.data())[0]!,
    grads: new Map(toHuggingFaceTensors(decoderSpecOf(f), gradWeights).map((g) => [g.name, g.data])),
    gpuBytes: (tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number }).numBytesInGPU ?? 0,
  };
  tf.dispose([ids, mask, margin, rewards!, accuracy!, loss, ...Object.values(grads)]);
  model.dispose();
  return out;
}

export function decoderComparisons(f: DecoderFixture, r: DecoderRun): [string, Comparison][] {
  return runComparisons(f, r);
}

/** A few Adam steps on the fixture's batch, counting live tensors after each (none may leak). */
export function decoderAdamSteps(f: DecoderFixture, learningRate: number, steps = 4) {
  return adamSteps(() => loadDecoderFixture(f), f.batch, learningRate, steps);
}
