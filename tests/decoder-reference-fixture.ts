// The decoder PyTorch reference fixtures (tests/fixtures/reference-{gpt2,llama,qwen2}-*.json, written
// by scripts/reference/gpt2_reference.py and llama_reference.py) and how a backend's numbers are
// compared with them. Shared by tests/unit/decoder-reference.test.ts (cpu, wasm) and
// tests/browser/reference-decoder-webgpu.test.ts, so it imports nothing from the test runner. The
// fixtures hold HF's *ForSequenceClassification names and orientations: the encoder and its score
// head are loaded through readDecoderConfig and decoderEncoderWeights, and the gradients compared
// after toHuggingFaceDecoderTensors, so the mapping table is checked both ways along with the numbers.
import * as tf from '@tensorflow/tfjs';
import {
  decoderEncoderWeights,
  readDecoderConfig,
  toHuggingFaceDecoderTensors,
} from '../src/core/model/decoder-checkpoint.ts';
import type { DecoderConfig } from '../src/core/model/encoders/decoder-config.ts';
import type { Encoder } from '../src/core/model/encoders/encoder.ts';
import { Gpt2Encoder } from '../src/core/model/encoders/gpt2.ts';
import { LlamaEncoder } from '../src/core/model/encoders/llama.ts';
import type { NamedWeight } from '../src/core/model/reward-model.ts';
import type { SafetensorsTensor } from '../src/core/model/safetensors.ts';
import { bradleyTerryLoss, pairwiseAccuracy } from '../src/core/train/loss.ts';
import { compare, type Comparison, type Named } from './reference-fixture.ts';

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

/** An encoder plus the score head: what a decoder reward model computes, rewards [n] from ids and mask. */
export interface DecoderRewardModel {
  config: DecoderConfig;
  encoder: Encoder;
  head: tf.Variable;
  rewards(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor1D;
  variables: tf.Variable[];
  names: string[];
  dispose(): void;
}

export function buildDecoder(config: DecoderConfig, weights: NamedWeight[]): Encoder {
  const byName = new Map(weights.map((w) => [w.name, w]));
  return config.modelType === 'gpt2' ? new Gpt2Encoder(config, 0, byName) : new LlamaEncoder(config, 0, byName);
}

export function loadDecoderFixture(f: DecoderFixture): DecoderRewardModel {
  const config = readDecoderConfig(f.config);
  const { weights, score } = decoderEncoderWeights(config, decoderFixtureTensors(f));
  if (!score) throw new Error('the fixture has no score.weight');
  const encoder = buildDecoder(config, weights);
  const head = tf.tidy(() => tf.variable(tf.tensor2d(score.data, [config.hiddenSize, 1]), true));
  return {
    config,
    encoder,
    head,
    rewards: (ids, mask) => tf.reshape(tf.matMul(encoder.encode(ids, mask), head), [-1]) as tf.Tensor1D, // [n]
    variables: [...encoder.params.values(), head],
    names: [...encoder.params.keys(), 'head.weight'],
    dispose: () => tf.dispose([...encoder.params.values(), head]),
  };
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
  const { value: loss, grads } = tf.variableGrads(() => {
    const r = model.rewards(ids, mask); // [2B]
    rewards = tf.keep(r);
    const [rc, rr] = tf.split(r, 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
    accuracy = tf.keep(pairwiseAccuracy(rc, rr));
    return bradleyTerryLoss(rc, rr, margin);
  }, model.variables);
  const gradWeights: NamedWeight[] = [];
  for (const [i, name] of model.names.entries()) {
    const g = grads[model.variables[i]!.name]!;
    gradWeights.push({ name, shape: g.shape, data: (await g.data()) as Float32Array });
  }
  const out: DecoderRun = {
    rewards: (await rewards!.data()) as Float32Array,
    loss: (await loss.data())[0]!,
    accuracy: (await accuracy!.data())[0]!,
    grads: new Map(toHuggingFaceDecoderTensors(model.config, gradWeights).map((g) => [g.name, g.data])),
    gpuBytes: (tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number }).numBytesInGPU ?? 0,
  };
  tf.dispose([ids, mask, margin, rewards!, accuracy!, loss, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/** Every comparison of a run with the fixture: rewards, loss, then each gradient by HF name. */
export function decoderComparisons(f: DecoderFixture, r: DecoderRun): [string, Comparison][] {
  return [
    ['rewards', compare(r.rewards, f.expected.rewards)],
    ['loss', compare([r.loss], [f.expected.loss])],
    ...f.grads.map((g): [string, Comparison] => [`grad ${g.name}`, compare(r.grads.get(g.name) ?? [], g.data)]),
  ];
}

/** A few Adam steps on the fixture's batch, counting live tensors after each (none may leak). */
export async function decoderAdamSteps(
  f: DecoderFixture,
  learningRate: number,
  steps = 4,
): Promise<{ start: number; counts: number[]; end: number; losses: number[] }> {
  const start = tf.memory().numTensors;
  const model = loadDecoderFixture(f);
  const optimizer: tf.Optimizer = tf.train.adam(learningRate);
  const counts: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
    const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
    const margin = tf.tensor1d(f.batch.margin, 'float32');
    const { value: loss, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(ids, mask), 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
      return bradleyTerryLoss(rc, rr, margin);
    }, model.variables);
    optimizer.applyGradients(grads);
    losses.push((await loss.data())[0]!);
    tf.dispose([loss, ...Object.values(grads), ids, mask, margin]);
    counts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  model.dispose();
  return { start, counts, end: tf.memory().numTensors, losses };
}
