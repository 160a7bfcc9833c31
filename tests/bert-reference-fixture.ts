// The PyTorch reference fixtures of every encoder family (tests/fixtures/reference-bert-*.json from
// scripts/reference/bert_reference.py; reference-{distilbert,roberta,xlm-roberta,electra}-*.json from
// scripts/reference/<family>_reference.py) and how a backend's numbers are compared with them. Shared
// by tests/unit/bert-reference.test.ts, tests/unit/family-reference.test.ts (cpu, wasm) and
// tests/browser/reference-bert-webgpu.test.ts, so it imports nothing from the test runner. The
// fixtures hold HF's tensor names and orientations: the model is loaded through the registry's
// config reader and the family's table (encoderWeights), its head from the table's head rows, and its
// gradients are compared after toHuggingFaceTensors, so each table is checked both ways with the numbers.
// Tolerance and comparison: tests/reference-fixture.ts (compare, RTOL 1e-4 of each tensor's scale).
import * as tf from '@tensorflow/tfjs';
import type { Pooling } from '../src/core/model/encoders/encoder.ts';
import { familyOf } from '../src/core/model/families/registry.ts';
import { bertEncoderWeights, readBertConfig, toHuggingFaceTensors } from '../src/core/model/hf-checkpoint.ts';
import { RewardModel, type BertModelSpec, type NamedWeight } from '../src/core/model/reward-model.ts';
import type { SafetensorsTensor } from '../src/core/model/safetensors.ts';
import { bradleyTerryLoss, pairwiseAccuracy } from '../src/core/train/loss.ts';
import { compare, type Comparison, type Named } from './reference-fixture.ts';

export interface BertFixture {
  /** config.json as transformers writes it. */
  config: Record<string, unknown>;
  special: { sepTokenId: number; padTokenId: number };
  pooling: string;
  pairs: { chosen: number[]; rejected: number[]; margin: number }[];
  batch: { ids: number[][]; mask: number[][]; tokenTypes: number[][]; margin: number[] };
  /** Under HF's BertForSequenceClassification names and shapes. */
  weights: Named[];
  expected: { rewards: number[]; loss: number; accuracy: number };
  grads: Named[];
}

export function bertSpecOf(f: BertFixture): BertModelSpec {
  return {
    encoder: 'bert',
    tokenizer: 'embedded',
    bert: readBertConfig(f.config, f.special),
    pooling: f.pooling as Pooling,
    source: 'folder:fixture',
  };
}

/** The fixture's tensors as a checkpoint reader returns them. */
export function fixtureTensors(f: BertFixture): Map<string, SafetensorsTensor> {
  return new Map(f.weights.map((w) => [w.name, { dtype: 'F32', shape: w.shape, data: Float32Array.from(w.data) }]));
}

/** Every weight of the fixture under RM Lab's names: the encoder through the mapping table, the classifier as the head. */
export function fixtureModelWeights(f: BertFixture, spec = bertSpecOf(f)): NamedWeight[] {
  const tensors = fixtureTensors(f);
  const { weights, initialised } = bertEncoderWeights(spec, tensors);
  if (initialised.length > 0) throw new Error(`fixture lacks ${initialised.join(', ')}`);
  const head = (name: string) =>
    familyOf(spec.bert)
      .table(spec.bert, spec.pooling)
      .find((r) => r.name === name)!.hfName;
  const classifier = tensors.get(head('head.weight'))!; // [1, D]: its transpose [D, 1] has the same values in order
  const bias = tensors.get(head('head.bias'))!;
  return [
    ...weights,
    { name: 'head.weight', shape: [classifier.shape[1]!, 1], data: classifier.data },
    { name: 'head.bias', shape: [1], data: bias.data },
  ];
}

/** The fixture's model; `spec` (a changed config) plants a bug to show the comparison catches it. */
export function loadBertModel(f: BertFixture, spec = bertSpecOf(f)): RewardModel {
  return RewardModel.fromWeights(spec, fixtureModelWeights(f, spec));
}

export interface BertRun {
  rewards: Float32Array;
  loss: number;
  accuracy: number;
  /** Under HF's names and orientations (toHuggingFaceTensors), as the fixture's grads. */
  grads: Map<string, Float32Array>;
  /** Bytes in GPU buffers while the run's tensors were alive (WebGPU; 0 elsewhere). */
  gpuBytes: number;
}

/** Forward, Bradley-Terry loss, accuracy and every gradient on the current backend, read back with `await data()`. */
export async function runBertFixture(f: BertFixture, model = loadBertModel(f)): Promise<BertRun> {
  const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
  const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
  const margin = tf.tensor1d(f.batch.margin, 'float32');
  const names = [...model.params.keys()];
  const vars = model.trainableVariables;
  let rewards: tf.Tensor1D | undefined;
  let accuracy: tf.Scalar | undefined;
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
  const out: BertRun = {
    rewards: (await rewards!.data()) as Float32Array,
    loss: (await loss.data())[0]!,
    accuracy: (await accuracy!.data())[0]!,
    grads: new Map(toHuggingFaceTensors(model.spec as BertModelSpec, gradWeights).map((g) => [g.name, g.data])),
    gpuBytes: (tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number }).numBytesInGPU ?? 0,
  };
  tf.dispose([ids, mask, margin, rewards!, accuracy!, loss, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/** What a fixture of any family expects: rewards, loss and each gradient by HF name. */
export interface ExpectedRun {
  expected: { rewards: number[]; loss: number };
  grads: { name: string; data: number[] }[];
}

/** Every comparison of a run with the fixture: rewards, loss, then each gradient by HF name. */
export function runComparisons(
  f: ExpectedRun,
  r: { rewards: ArrayLike<number>; loss: number; grads: Map<string, ArrayLike<number>> },
): [string, Comparison][] {
  return [
    ['rewards', compare(r.rewards, f.expected.rewards)],
    ['loss', compare([r.loss], [f.expected.loss])],
    ...f.grads.map((g): [string, Comparison] => [`grad ${g.name}`, compare(r.grads.get(g.name) ?? [], g.data)]),
  ];
}

export function bertComparisons(f: BertFixture, r: BertRun): [string, Comparison][] {
  return runComparisons(f, r);
}

/** A few Adam steps of `load()`'s model on a fixture's batch, counting live tensors after each (none may leak). */
export async function adamSteps(
  load: () => RewardModel,
  batch: { ids: number[][]; mask: number[][]; margin: number[] },
  learningRate: number,
  steps: number,
): Promise<{ start: number; counts: number[]; end: number; losses: number[] }> {
  const start = tf.memory().numTensors;
  const model = load();
  const optimizer: tf.Optimizer = tf.train.adam(learningRate);
  const counts: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const ids = tf.tensor2d(batch.ids, undefined, 'int32');
    const mask = tf.tensor2d(batch.mask, undefined, 'float32');
    const margin = tf.tensor1d(batch.margin, 'float32');
    const { value: loss, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(ids, mask), 2) as [tf.Tensor1D, tf.Tensor1D]; // [B], [B]
      return bradleyTerryLoss(rc, rr, margin);
    }, model.trainableVariables);
    optimizer.applyGradients(grads);
    losses.push((await loss.data())[0]!);
    tf.dispose([loss, ...Object.values(grads), ids, mask, margin]);
    counts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  model.dispose();
  return { start, counts, end: tf.memory().numTensors, losses };
}

export function bertAdamSteps(f: BertFixture, learningRate: number, steps = 3) {
  return adamSteps(() => loadBertModel(f), f.batch, learningRate, steps);
}
