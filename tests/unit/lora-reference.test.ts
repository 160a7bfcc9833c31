// LoRA (src/core/model/lora.ts) against an independent float64 PyTorch reference
// (scripts/reference/lora_reference.py: PEFT's update y = x W^T + b + (alpha / r) (x A^T) B^T written
// out on the hand-written BERT and GPT-2 references, writing tests/fixtures/reference-lora-*.json):
// rewards with nonzero B, the Bradley-Terry loss and the gradients of A, B and the head (what LoRA
// trains: freezing.ts), on the tfjs cpu and wasm backends. The adapter is loaded and the gradients
// named through the PEFT adapter file's names (export/peft-adapter.ts), so its naming is checked too.
// The tiny BERT fixture also runs on WebGPU (tests/browser/reference-lora-webgpu.test.ts).
//
// Tolerance as for BERT (tests/reference-fixture.ts): per tensor, max |tfjs - reference| <= 1e-4 *
// max(max |reference|, 1e-2). Planted bugs, each run below and required to fail: the update scaled
// by alpha (not alpha / r), A read in PEFT's [r, in] layout without its transpose, and the
// adapters of `value` put on `key` (GPT-2: layer 0's on layer 1 and back).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../reference-expect.ts';
import {
  loraComparisons,
  loraFixtureWeights,
  loraSpecOf,
  runLoraFixture,
  type LoraFixture,
} from '../lora-reference-fixture.ts';
import loraBert from '../fixtures/reference-lora-bert.json';
import loraBertTiny from '../fixtures/reference-lora-bert-tiny.json';
import loraGpt2 from '../fixtures/reference-lora-gpt2.json';
import type { NamedWeight } from '../../src/core/model/reward-model.ts';
import { transposed } from '../../src/core/model/lora-merge.ts';

const FIXTURES: [string, LoraFixture][] = [
  ['bert', loraBert],
  ['bert-tiny', loraBertTiny],
  ['gpt2', loraGpt2],
];

/** The worst tensor's error in multiples of the tolerance. */
async function worst(f: LoraFixture, spec = loraSpecOf(f), weights = loraFixtureWeights(f, spec)): Promise<number> {
  const run = await runLoraFixture(f, spec, weights);
  return Math.max(...loraComparisons(f, run).map(([, c]) => c.ratio));
}

/** Each lora_A's values as PEFT stores them ([r, in], row-major) read as if they were RM Lab's [in, r]. */
function untransposedA(f: LoraFixture): NamedWeight[] {
  return loraFixtureWeights(f).map((w) =>
    w.name.endsWith('.lora_A') ? { ...w, data: transposed(w.data, w.shape) } : w,
  );
}

/** The adapters of one projection moved onto another (its weights renamed, the spec's targets with them). */
function movedAdapters(f: LoraFixture, from: RegExp, to: string): NamedWeight[] {
  return loraFixtureWeights(f).map((w) => (/\.lora_[AB]$/.test(w.name) ? { ...w, name: w.name.replace(from, to) } : w));
}

describe.each(['cpu', 'wasm'])('LoRA against the PyTorch reference on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(FIXTURES)('%s: rewards, loss and the gradients of A, B and the head', async (label, f) => {
    const run = await runLoraFixture(f);
    expectClose(`${backend} lora ${label}`, loraComparisons(f, run));
    // What trains is exactly the adapters and the head: no base weight got a gradient.
    expect([...run.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
  });

  it('a wrong scale (alpha, not alpha / r) fails', async () => {
    const f = loraBert;
    // rank 4, alpha 8: scaled by 8 where 2 is right. The rank stays 4 (the tensors' shape), alpha x r plants it.
    expect(await worst(f, loraSpecOf(f, { alpha: f.lora.alpha * f.lora.r }))).toBeGreaterThan(100);
  });

  it.each(FIXTURES)('%s: A in PEFT layout without its transpose fails', async (_, f) => {
    expect(await worst(f, loraSpecOf(f), untransposedA(f))).toBeGreaterThan(100);
  });

  it('adapters on the wrong projection fail (BERT value -> key; GPT-2 layer 0 <-> layer 1)', async () => {
    const bert = loraSpecOf(loraBert, { targets: ['query', 'key', 'dense'] });
    expect(await worst(loraBert, bert, movedAdapters(loraBert, /\.attn\.value\./, '.attn.key.'))).toBeGreaterThan(100);
    // GPT-2's adapters of layer 0 on layer 1 and back: the same shapes, the wrong projections.
    const swapped = loraFixtureWeights(loraGpt2).map((w) =>
      /\.lora_[AB]$/.test(w.name)
        ? { ...w, name: w.name.replace(/^layers\.(\d)\./, (_, l) => `layers.${1 - Number(l)}.`) }
        : w,
    );
    expect(await worst(loraGpt2, loraSpecOf(loraGpt2), swapped)).toBeGreaterThan(100);
  });
});

describe('the fixtures exercise what they claim', () => {
  it.each(FIXTURES)('%s: nonzero B, adapters that move the rewards, and a non-square projection', (_, f) => {
    for (const w of f.lora.weights.filter((t) => t.name.endsWith('lora_B.weight'))) {
      expect(w.data.some((x) => x !== 0)).toBe(true);
    }
    const moved = f.expected.rewards.map((r, i) => Math.abs(r - f.expected.baseRewards[i]!));
    expect(Math.max(...moved)).toBeGreaterThan(1e-2);
    expect(f.lora.r).toBeLessThan(8); // r differs from the width: a transposed A cannot pass by shape alone
  });
});
