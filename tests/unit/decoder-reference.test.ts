// The decoder reward models (GPT-2; Llama as SmolLM2 uses it; Qwen2) against independent float64
// PyTorch references (scripts/reference/gpt2_reference.py and llama_reference.py, hand-written after
// transformers' modeling_gpt2.py / modeling_llama.py / modeling_qwen2.py, writing
// tests/fixtures/reference-{gpt2,llama,qwen2}-*.json): rewards read at the last real token by the
// bias-free score head, Bradley-Terry loss, accuracy and the gradient of the loss for every weight,
// on the tfjs cpu and wasm backends, padded on the right and on the left. The tiny fixtures also run
// on WebGPU in tests/browser/reference-decoder-webgpu.test.ts.
//
// Tolerance as for BERT (tests/reference-fixture.ts): per tensor, max |tfjs - reference| <= 1e-4 *
// max(max |reference|, 1e-2); each run logs its worst tensor (under 0.12 of the bound on cpu and wasm).
// Bugs planted by hand, one at a time (the source edited, this file run on cpu, the edit reverted);
// the worst tensor of each fixture that failed, in multiples of the tolerance:
//   rotate_half with the sign the other way ([x2, -x1])         every Llama/Qwen2 fixture, 12400-116000x
//   rotary tables interleaved (pairs 2i, 2i+1) under the half split  llama-*, qwen2-right, 13900-98000x
//                                          (qwen2-tiny has head size 2, where the two conventions agree)
//   keys rotated one position later than queries (an offset)    every Llama/Qwen2 fixture, 20700-124000x
//   RMSNorm eps 1e-6 hard-coded in place of the config's        the three eps-1e-5 Llama fixtures, 1100-3000x
//   query head h on key/value head h % Hkv, not h // (H/Hkv)    every fixture with 2+ kv heads, 14000-49000x
//                                          (llama-tiny has one kv head, where both rules agree)
//   no causal mask                                              every 2-layer fixture, 3900-46000x
//   pooled at index sum(mask) - 1 (right padding's rule)        the left-padded fixtures, 12500-309000x
//   pooled at the first real token                              every fixture, 10000-17800x
// Shifting every position by the same offset is not a bug RoPE can show: q_m . k_n depends on m - n
// only, so it leaves the rewards unchanged (checked: within 0.12 of the tolerance, as unplanted).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastTokenOneHot } from '../../src/core/model/ops/last-token.ts';
import { expectClose } from '../reference-expect.ts';
import {
  decoderAdamSteps,
  decoderComparisons,
  runDecoderFixture,
  type DecoderFixture,
} from '../decoder-reference-fixture.ts';
import gpt2Right from '../fixtures/reference-gpt2-right.json';
import gpt2Left from '../fixtures/reference-gpt2-left.json';
import gpt2Tiny from '../fixtures/reference-gpt2-tiny.json';
import llamaRight from '../fixtures/reference-llama-right.json';
import llamaLeft from '../fixtures/reference-llama-left.json';
import llamaTiny from '../fixtures/reference-llama-tiny.json';
import qwen2Right from '../fixtures/reference-qwen2-right.json';
import qwen2Tiny from '../fixtures/reference-qwen2-tiny.json';

const FIXTURES: [string, DecoderFixture][] = [
  ['gpt2-right', gpt2Right],
  ['gpt2-left', gpt2Left],
  ['gpt2-tiny', gpt2Tiny],
  ['llama-right', llamaRight],
  ['llama-left', llamaLeft],
  ['llama-tiny', llamaTiny],
  ['qwen2-right', qwen2Right],
  ['qwen2-tiny', qwen2Tiny],
];

describe.each(['cpu', 'wasm'])('decoders against the PyTorch reference on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(FIXTURES)('%s: rewards, loss, accuracy and every gradient', async (label, f) => {
    const run = await runDecoderFixture(f);
    expectClose(`${backend} ${label}`, decoderComparisons(f, run));
    expect([...run.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
    expect(run.accuracy).toBe(Math.fround(f.expected.accuracy));
  });

  it.each(FIXTURES)('%s: the pooled position is the last real token, on either padding side', async (_, f) => {
    const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
    const oneHot = lastTokenOneHot(mask);
    const rows = (await oneHot.array()) as number[][];
    expect(rows.map((r) => r.indexOf(1))).toEqual(f.batch.lastToken);
    expect(rows.map((r) => r.reduce((a, b) => a + b, 0))).toEqual(rows.map(() => 1));
    tf.dispose([mask, oneHot]);
  });

  it.each([
    ['gpt2-right', gpt2Right],
    ['llama-right', llamaRight],
    ['qwen2-right', qwen2Right],
  ] as [string, DecoderFixture][])('%s: Adam steps leave the tensor count flat and lower the loss', async (_, f) => {
    const { start, counts, end, losses } = await decoderAdamSteps(f, 1e-2);
    expect(losses[0]).toBeCloseTo(f.expected.loss, 5);
    expect(losses[3]).toBeLessThan(losses[0]!);
    // Adam makes its two moment slots per variable on the first step; after that, nothing grows.
    expect(counts.slice(1)).toEqual([counts[1], counts[1], counts[1]]);
    expect(end).toBe(start);
  });
});

describe('the fixtures exercise what they claim', () => {
  it.each(FIXTURES)('%s: padding on its side, margins, a last token that is not the last column', (_, f) => {
    const { mask, lastToken, margin } = f.batch;
    expect(mask.flat()).toContain(0);
    expect(margin.some((m) => m !== 0)).toBe(true);
    const T = mask[0]!.length;
    if (f.padding === 'left') {
      expect(mask.every((row) => row[T - 1] === 1)).toBe(true);
      expect(mask.some((row) => row[0] === 0)).toBe(true);
    } else {
      expect(mask.every((row) => row[0] === 1)).toBe(true);
      expect(lastToken.some((t) => t < T - 1)).toBe(true);
    }
  });

  it('Llama fixtures use grouped-query attention (fewer key/value heads than query heads)', () => {
    for (const f of [llamaRight, llamaLeft, qwen2Right, qwen2Tiny, llamaTiny]) {
      const c = f.config as { num_attention_heads: number; num_key_value_heads: number };
      expect(c.num_key_value_heads).toBeLessThan(c.num_attention_heads);
    }
    expect(llamaRight.config.num_key_value_heads).toBeGreaterThan(1); // so h // rep and h % Hkv differ
  });
});
