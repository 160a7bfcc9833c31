// Frozen weights in f16 on WebGPU (src/core/model/ops/frozen-f16.ts, webgpu/f16-matmul.ts) on a real
// adapter: Dawn's software one here, which has no shader-f16 (the packed words need none).
//
// - The rounding against the browser's own Math.f16round, where it has one.
// - The kernels against the plain float32 composition on the f16-rounded weight: the product (with a
//   bias, an odd width), its gradient wrt x through tf.grads, and the lookups. Only the order of the
//   float32 sums differs, so the bound is float32 rounding (1e-5 of the scale), lookups exact.
// - A BERT reward model with Frozen layers 1 stored in f16 against the float64 PyTorch reference of
//   the same model with those matrices rounded by torch's .half() (tests/fixtures/
//   reference-bert-f16-frozen.json, scripts/reference/f16_frozen_reference.py): rewards, loss and the
//   gradient of every trained weight within the reference tolerance (tests/reference-fixture.ts),
//   and the same model kept float32 out of it (the rounding shows), and the frozen float32 copies
//   never uploaded to the GPU.
// - Planted bug: a kernel that unpacks the wrong half of each word (simulated by swapping the halves
//   of the words it reads) fails the kernel comparison and the reference comparison.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { halfBits, packHalves } from '../../src/core/model/ops/f16.ts';
import {
  checkF16Kernels,
  packedOf,
  storeFrozenInF16,
  type PackedF16Weight,
} from '../../src/core/model/ops/frozen-f16.ts';
import { linear } from '../../src/core/model/ops/linear.ts';
import { embeddingLookup, embeddingRows } from '../../src/core/model/embedding.ts';
import { f16MatMulGradXKernel, f16MatMulKernel, f16RowsKernel } from '../../src/core/model/ops/webgpu/f16-matmul.ts';
import { checkKernels } from '../../src/core/model/ops/webgpu/program.ts';
import { toHuggingFaceTensors } from '../../src/core/model/hf-checkpoint.ts';
import { familyOf } from '../../src/core/model/families/registry.ts';
import type { BertModelSpec, NamedWeight, RewardModel } from '../../src/core/model/reward-model.ts';
import { trainedNames } from '../../src/core/train/freezing.ts';
import { bradleyTerryLoss } from '../../src/core/train/loss.ts';
import { mulberry32 } from '../../src/core/train/shuffle.ts';
import { loadBertModel, runComparisons, type BertFixture } from '../bert-reference-fixture.ts';
import { compare, type Comparison } from '../reference-fixture.ts';
import { expectClose } from '../reference-expect.ts';
import fixtureJson from '../fixtures/reference-bert-f16-frozen.json';
import loraJson from '../fixtures/reference-lora-bert-tiny-f16.json';
import { loraComparisons, runLoraFixture, type LoraFixture } from '../lora-reference-fixture.ts';
import { trainedVariables } from '../../src/core/train/trainer.ts';

const fixture = fixtureJson as BertFixture & {
  storedInF16: string[];
  expectedF32: { rewards: number[] };
  frozenLayers: number;
};

function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

/** A weight [K, N] packed as f16 words, and its rounded float32 tensor. */
function packed(K: number, N: number, seed: number) {
  const halves = packHalves(randomValues(K * N, seed, 2), K, N);
  return {
    words: tf.tensor2d(halves.words, [K, Math.ceil(N / 2)], 'int32'),
    rounded: tf.tensor2d(halves.rounded, [K, N]),
  };
}

/** The words with the two halves of each swapped: what a kernel unpacking the wrong half reads. */
async function swapped(words: tf.Tensor2D): Promise<tf.Tensor2D> {
  const w = await words.data();
  return tf.tensor2d(
    Int32Array.from(w, (v) => (v << 16) | ((v >>> 16) & 0xffff)),
    words.shape,
    'int32',
  );
}

async function maxRelative(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let err = 0;
  let scale = 1e-3;
  for (let i = 0; i < y.length; i++) {
    err = Math.max(err, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return err / scale;
}

/** Forward, loss and the trained weights' gradients (HF names), the frozen ones not asked for. */
async function runTrained(model: RewardModel, trained: string[]) {
  const ids = tf.tensor2d(fixture.batch.ids, undefined, 'int32');
  const mask = tf.tensor2d(fixture.batch.mask, undefined, 'float32');
  const margin = tf.tensor1d(fixture.batch.margin, 'float32');
  const vars = trained.map((n) => model.params.get(n)!);
  let rewards: tf.Tensor1D | undefined;
  const { value: loss, grads } = tf.variableGrads(() => {
    const r = model.rewards(ids, mask); // [2B]
    rewards = tf.keep(r);
    const [rc, rr] = tf.split(r, 2) as [tf.Tensor1D, tf.Tensor1D];
    return bradleyTerryLoss(rc, rr, margin);
  }, vars);
  const gradWeights: NamedWeight[] = [];
  for (const [i, name] of trained.entries()) {
    const g = grads[vars[i]!.name]!;
    gradWeights.push({ name, shape: g.shape, data: (await g.data()) as Float32Array });
  }
  // The name table wants every weight: the frozen ones as zeros, dropped after.
  for (const [name, v] of model.params) {
    if (!trained.includes(name)) gradWeights.push({ name, shape: v.shape, data: new Float32Array(v.size) });
  }
  const trainedHf = new Set(trained.map(hfNameOf(model)));
  const hf = toHuggingFaceTensors(model.spec as BertModelSpec, gradWeights).filter((g) => trainedHf.has(g.name));
  const out = {
    rewards: await rewards!.data(),
    loss: (await loss.data())[0]!,
    grads: new Map(hf.map((g) => [g.name, g.data])),
  };
  tf.dispose([ids, mask, margin, rewards!, loss, ...Object.values(grads)]);
  return out;
}

/** The comparisons with the f16 reference, for the trained weights' gradients only. */
function trainedComparisons(run: Awaited<ReturnType<typeof runTrained>>): [string, Comparison][] {
  const trainedHf = new Set(run.grads.keys());
  return runComparisons({ ...fixture, grads: fixture.grads.filter((g) => trainedHf.has(g.name)) }, run);
}

const gpuBytes = () => (tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }).numBytesInGPU;

describe('frozen weights in f16 on WebGPU', () => {
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    expect(await tf.setBackend('webgpu')).toBe(true);
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    expect(await checkKernels()).toBe(true);
  }, 120_000); // the software adapter compiles every kernel's shaders here
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('rounds as the browser does (Math.f16round), where it has it', () => {
    const f16round = (Math as unknown as { f16round?: (x: number) => number }).f16round;
    if (!f16round) return;
    const values = randomValues(20000, 3, 1);
    const wrong = [...values]
      .map((v, i) => v * 2 ** ((i % 40) - 26)) // magnitudes from subnormal f16 to beyond its range
      .filter((v) => {
        const mine = packHalves([v], 1, 1).rounded[0]!;
        return !Object.is(mine, Math.fround(f16round(Math.fround(v))));
      });
    expect(wrong).toEqual([]);
    expect(halfBits(1)).toBe(0x3c00);
  });

  it('checks its kernels on this adapter without a warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    expect(await checkF16Kernels()).toBe(true);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('the product, with and without a bias, equals x @ round16(W) (+ b) to float32 rounding; a wrong half does not', async () => {
    const [M, K, N] = [10, 12, 7];
    const { words, rounded } = packed(K, N, 1);
    const x = tf.tensor2d(randomValues(M * K, 2), [M, K]);
    const b = tf.tensor1d(randomValues(N, 4));
    const plain = tf.add(tf.matMul(x, rounded), b);
    const kernel = f16MatMulKernel(x, words, N, b);
    expect(await maxRelative(kernel, plain)).toBeLessThan(1e-5);
    const unbiased = f16MatMulKernel(x, words, N);
    expect(await maxRelative(unbiased, tf.matMul(x, rounded))).toBeLessThan(1e-5);
    const wrongHalf = f16MatMulKernel(x, await swapped(words), N, b);
    expect(await maxRelative(wrongHalf, plain)).toBeGreaterThan(1e-2);
    tf.dispose([words, rounded, x, b, plain, kernel, unbiased, wrongHalf]);
  });

  it("the product's gradient wrt x, directly and through linear() under tf.grads, equals dy @ round16(W)^T", async () => {
    const [M, K, N] = [6, 9, 11];
    const { words, rounded } = packed(K, N, 5);
    const dy = tf.tensor2d(randomValues(M * N, 6), [M, N]);
    const plain = tf.matMul(dy, rounded, false, true);
    const kernel = f16MatMulGradXKernel(dy, words);
    expect(await maxRelative(kernel, plain)).toBeLessThan(1e-5);
    const wrongHalf = f16MatMulGradXKernel(dy, await swapped(words));
    expect(await maxRelative(wrongHalf, plain)).toBeGreaterThan(1e-2);
    // Through the op the encoders call, on a weight stored as f16 ([B, T, in] input as the encoders give it).
    const w = tf.variable(tf.tensor2d(randomValues(K * N, 5, 2), [K, N]));
    const bias = tf.variable(tf.tensor1d(randomValues(N, 7)));
    const storage = await storeFrozenInF16(
      new Map<string, tf.Variable>([
        ['w.weight', w],
        ['w.bias', bias],
      ]),
      ['w.weight', 'w.bias'],
    );
    expect(storage?.stored).toEqual(['w.weight']);
    expect(packedOf(w)).toBeDefined();
    const x = tf.tensor3d(randomValues(M * K, 8), [2, M / 2, K]);
    const dy3 = tf.reshape(dy, [2, M / 2, N]);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(linear(t as tf.Tensor3D, w as tf.Tensor2D, bias as tf.Tensor1D), dy3));
    const [dx] = tf.grads(f)([x]);
    expect(await maxRelative(tf.reshape(dx!, [M, K]), plain)).toBeLessThan(1e-5);
    const value = linear(x, w as tf.Tensor2D, bias as tf.Tensor1D);
    const plainValue = tf.add(tf.matMul(tf.reshape(x, [M, K]), rounded), bias);
    expect(await maxRelative(tf.reshape(value, [M, N]), plainValue)).toBeLessThan(1e-5);
    // The weight holds the rounded values now (what a checkpoint or an export reads).
    expect(await maxRelative(w, rounded)).toBe(0);
    tf.dispose([words, rounded, dy, plain, kernel, wrongHalf, x, dy3, dx!, value, plainValue, w, bias]);
  });

  it('the lookups (ids, position rows) read the rounded table exactly', async () => {
    const [V, C] = [13, 5];
    const table = tf.variable(tf.tensor2d(randomValues(V * C, 9, 0.05), [V, C]));
    const ids = tf.tensor2d(
      [
        [0, 12, 3],
        [3, 7, 1],
      ],
      undefined,
      'int32',
    );
    await storeFrozenInF16(new Map([['embeddings.word', table]]), ['embeddings.word']);
    const half = packedOf(table) as PackedF16Weight;
    const rounded = tf.tensor2d(packHalves(randomValues(V * C, 9, 0.05), V, C).rounded, [V, C]);
    const looked = embeddingLookup(table as tf.Tensor2D, ids);
    expect(await maxRelative(looked, tf.gather(rounded, ids))).toBe(0);
    const rows = embeddingRows(table as tf.Tensor2D, 4, 6);
    expect(await maxRelative(rows, tf.slice(rounded, [4, 0], [6, C]))).toBe(0);
    const wrongHalf = f16RowsKernel(await swapped(half.words), C, { start: 4, count: 6 });
    expect(await maxRelative(wrongHalf, tf.slice(rounded, [4, 0], [6, C]))).toBeGreaterThan(1e-2);
    tf.dispose([table, ids, rounded, looked, rows, wrongHalf]);
  });

  it("LoRA's frozen base in f16 (its gradients flow back through the f16 products) matches the PyTorch reference", async () => {
    let stored: string[] = [];
    const storeBase = async (model: RewardModel) => {
      const trained = new Set(trainedVariables(model, { frozenLayers: 0, embeddingTraining: 'train' }));
      const frozen = [...model.params].filter(([, v]) => !trained.has(v)).map(([name]) => name);
      stored = (await storeFrozenInF16(model.params, frozen))!.stored;
    };
    const run = await runLoraFixture(loraFixture, undefined, undefined, storeBase);
    // Every base matrix: 3 embedding tables, layer 0's 6 products, the pooler's.
    expect(stored.length).toBe(10);
    expectClose('lora bert-tiny, frozen base in f16, webgpu', loraComparisons(loraFixture, run));
    expect(compare(run.rewards, loraFixture.expectedF32.rewards).ratio).toBeGreaterThan(1);
    const asF32 = await runLoraFixture(loraFixture);
    expect(compare(asF32.rewards, loraFixture.expectedF32.rewards).ratio).toBeLessThanOrEqual(1);
    expect(compare(asF32.rewards, loraFixture.expected.rewards).ratio).toBeGreaterThan(1);
  });

  it('a BERT with Frozen layers 1 in f16 matches the PyTorch reference with those weights rounded to f16', async () => {
    const freeze = { frozenLayers: fixture.frozenLayers, embeddingTraining: 'train' } as const;
    // float32, as without the option: within tolerance of the float32 model, not of the rounded one.
    const f32Model = loadBertModel(fixture);
    const names = [...f32Model.params.keys()];
    const trained = trainedNames(names, freeze);
    const frozen = names.filter((n) => !trained.includes(n));
    const asF32 = await runTrained(f32Model, trained);
    f32Model.dispose();
    expect(compare(asF32.rewards, fixture.expectedF32.rewards).ratio).toBeLessThanOrEqual(1);
    expect(compare(asF32.rewards, fixture.expected.rewards).ratio).toBeGreaterThan(1);

    const model = loadBertModel(fixture);
    const before = gpuBytes();
    const storage = (await storeFrozenInF16(model.params, frozen))!;
    expect(storage.stored.map(hfNameOf(model))).toEqual(fixture.storedInF16);
    expect(storage.keptF32).toEqual([]);
    const run = await runTrained(model, trained);
    expectClose('bert, frozen layers in f16, webgpu', trainedComparisons(run));
    // The frozen matrices' float32 copies never reached the GPU: nothing of theirs is in a GPU buffer.
    const words = storage.stored.reduce((n, name) => n + packedOf(model.params.get(name)!)!.words.size * 4, 0);
    const held = gpuBytes() - before;
    console.log(
      `GPU bytes held by the model: ${held}; f16 words ${words}, float32 weights ${otherBytes(model, storage.stored)}`,
    );
    expect(held).toBeLessThanOrEqual(otherBytes(model, storage.stored) + words);

    // Planted bug: every stored weight read through the wrong half of its words.
    for (const name of storage.stored) {
      const half = packedOf(model.params.get(name)!)!;
      const good = half.words;
      half.words = await swapped(good);
      good.dispose();
    }
    const wrong = await runTrained(model, trained);
    const failing = trainedComparisons(wrong).filter(([, c]) => !(c.ratio <= 1));
    expect(failing.length).toBeGreaterThan(0);
    model.dispose();
  });
});

const loraFixture = loraJson as LoraFixture & { expectedF32: { rewards: number[] } };

/** RM Lab's weight names to HF's, through the family's table. */
function hfNameOf(model: RewardModel): (name: string) => string {
  const spec = model.spec as BertModelSpec;
  const family = familyOf(spec.bert);
  const rows = new Map(family.table(spec.bert, spec.pooling).map((r) => [r.name, r]));
  return (name) => {
    const row = rows.get(name)!;
    return row.part === 'encoder' ? `${family.basePrefix}${row.hfName}` : row.hfName;
  };
}

/** Bytes of the weights that are not stored as f16 (they go to the GPU in float32 when read). */
function otherBytes(model: RewardModel, stored: string[]): number {
  const set = new Set(stored);
  return [...model.params].filter(([n]) => !set.has(n)).reduce((n, [, v]) => n + v.size * 4, 0);
}
