// The BERT-family reward model on WebGPU (Chromium, Dawn's software adapter here) against the float64
// PyTorch reference (tests/fixtures/reference-bert-tiny-*.json, from scripts/reference/bert_reference.py,
// and the DistilBERT, RoBERTa, ELECTRA and DeBERTa-v3 tiny fixtures from their own reference scripts)
// and against tfjs's cpu backend on the same weights: rewards, loss, the token types computed on the
// device (Cumsum) and the gradient of every weight, including exact GELU's erf and the pooler's tanh.
// Results are read with `await data()` only: dataSync/arraySync break WebGPU in headless Chromium.
//
// Tolerance, as in tests/unit/bert-reference.test.ts: per tensor, max |actual - expected| <=
// 1e-4 * max(max |expected|, 1e-2); webgpu-vs-cpu (both float32) is held to the same bound. The
// fixtures are the smallest (1 layer, hidden 8, T 8, 2 pairs): the software adapter is slow.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKernels } from '../../src/core/model/ops/webgpu/program.ts';
import { bertTokenTypes } from '../../src/core/model/encoders/bert.ts';
import { expectClose } from '../reference-expect.ts';
import { compare, type Comparison } from '../reference-fixture.ts';
import {
  bertAdamSteps,
  bertComparisons,
  bertSpecOf,
  runBertFixture,
  type BertFixture,
  type BertRun,
} from '../bert-reference-fixture.ts';
import tinyClsGelu from '../fixtures/reference-bert-tiny-cls-gelu.json';
import tinyLastGeluNew from '../fixtures/reference-bert-tiny-last-gelu_new.json';
import distilbertTiny from '../fixtures/reference-distilbert-tiny-cls-gelu.json';
import robertaTiny from '../fixtures/reference-roberta-tiny-cls-gelu.json';
import electraTiny from '../fixtures/reference-electra-tiny-cls-gelu.json';
import debertaTiny from '../fixtures/reference-deberta-tiny-cls-gelu.json';

const FIXTURES: [string, BertFixture][] = [
  ['tiny-cls-gelu', tinyClsGelu],
  ['tiny-last-gelu_new', tinyLastGeluNew],
];
/**
 * The other families' tiny fixtures (scripts/reference/{distilbert,roberta,electra,deberta}_reference.py):
 * what they add on top of BERT's ops (RoBERTa's offset position slice, ELECTRA's projection, each
 * head's activation, DeBERTa's relative-position gathers) runs as shaders, WEBGPU_CPU_FORWARD off only (the software adapter is slow).
 */
const FAMILY_FIXTURES: [string, BertFixture][] = [
  ['distilbert-tiny-cls-gelu', distilbertTiny],
  ['roberta-tiny-cls-gelu', robertaTiny],
  ['electra-tiny-cls-gelu', electraTiny],
  // DeBERTa-v3's disentangled attention: log buckets, the c2p / p2c gathers and their scatter-add gradient.
  ['deberta-tiny-cls-gelu', debertaTiny],
];

async function use(backend: string): Promise<void> {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
}

/** Runs `body` with WEBGPU_CPU_FORWARD set, restoring it after. */
async function withCpuForward<T>(forward: boolean, body: () => Promise<T>): Promise<T> {
  const previous = tf.env().getBool('WEBGPU_CPU_FORWARD');
  tf.env().set('WEBGPU_CPU_FORWARD', forward);
  try {
    return await body();
  } finally {
    tf.env().set('WEBGPU_CPU_FORWARD', previous);
  }
}

describe('the BERT reward model on WebGPU', () => {
  beforeAll(async () => {
    expect(navigator.gpu, 'this browser offers WebGPU').toBeDefined();
    await use('webgpu');
    // RM Lab's kernels on (they run in training once checked): the reference checks them too.
    expect(await checkKernels()).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const cpuRuns = new Map<string, BertRun>();

  // WEBGPU_CPU_FORWARD (on by default) runs an op on the cpu kernels when all its inputs are small and
  // not yet on the GPU. Off, every op is a WebGPU shader: the check of the kernels (erf, cumsum, tanh
  // included). On, the app's own setting is checked as well.
  it.each([
    ...FIXTURES.flatMap(([label, f]) =>
      [false, true].map((forward): [string, boolean, BertFixture] => [label, forward, f]),
    ),
    ...FAMILY_FIXTURES.map(([label, f]): [string, boolean, BertFixture] => [label, false, f]),
  ])(
    '%s, WEBGPU_CPU_FORWARD %s: rewards, loss and every gradient match the PyTorch reference and the cpu backend',
    async (label, forward, f) => {
      if (!cpuRuns.has(label)) {
        await use('cpu');
        cpuRuns.set(label, await runBertFixture(f));
      }
      const cpu = cpuRuns.get(label)!;
      await use('webgpu');
      const gpu = await withCpuForward(forward, () => runBertFixture(f));
      expect(gpu.grads.size).toBe(f.grads.length);
      if (!forward) expect(gpu.gpuBytes, 'the tensors lived in GPU buffers').toBeGreaterThan(0);
      const tag = `${label}, cpu forward ${forward}`;
      expectClose(`webgpu vs reference, ${tag}`, bertComparisons(f, gpu));
      expectClose(`webgpu vs cpu, ${tag}`, [
        ['rewards', compare(gpu.rewards, cpu.rewards)],
        ['loss', compare([gpu.loss], [cpu.loss])],
        ...[...cpu.grads].map(([name, g]): [string, Comparison] => [name, compare(gpu.grads.get(name) ?? [], g)]),
      ]);
      expect(gpu.accuracy).toBe(Math.fround(f.expected.accuracy));
    },
  );

  it('token types come from the ids on the GPU (Cumsum as a shader) as the reference sets them', async () => {
    await use('webgpu');
    await withCpuForward(false, async () => {
      for (const [label, f] of FIXTURES) {
        const ids = tf.tensor2d(f.batch.ids, undefined, 'int32');
        const mask = tf.tensor2d(f.batch.mask, undefined, 'float32');
        const types = bertTokenTypes(ids, mask, bertSpecOf(f).bert);
        expect(Array.from(await types.data()), label).toEqual(f.batch.tokenTypes.flat());
        tf.dispose([ids, mask, types]);
      }
    });
  });

  it('3 training steps with Adam keep tf.memory().numTensors flat and leave nothing behind', async () => {
    await use('webgpu');
    await withCpuForward(false, async () => {
      const f = tinyClsGelu as BertFixture;
      const { start, counts, end, losses } = await bertAdamSteps(f, 1e-2);
      console.log(
        `webgpu BERT Adam steps: losses ${losses.map((l) => l.toFixed(5)).join(', ')}; tensors after each step ${counts.join(', ')}`,
      );
      expect(losses[0]).toBeCloseTo(f.expected.loss, 5); // the first step saw the reference weights
      expect(losses[2]).toBeLessThan(losses[0]!);
      expect(counts[2]).toBe(counts[1]);
      expect(end).toBe(start);
    });
  });
});
