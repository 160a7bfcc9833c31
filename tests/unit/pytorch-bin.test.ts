// pytorch_model.bin through the restricted unpickler (src/core/model/pickle.ts, pytorch-bin.ts), on
// files torch.save itself wrote (scripts/reference/pytorch_bin_reference.py: each family's tiny
// reference weights in F32, F16 and BF16, with an int64 buffer, an nn.Parameter, a strided view and
// a shared storage) and on hostile files: a pickle naming os.system or builtins.eval is refused by
// name with nothing called, and a shape or storage size that the bytes do not back is refused
// before anything is allocated for it. A folder holding only pytorch_model.bin loads through the
// same loader as safetensors and scores as the PyTorch reference does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesFolder } from '../../src/core/model/hub.ts';
import { loadModelFolder } from '../../src/core/model/pretrained.ts';
import { readPytorchBin } from '../../src/core/model/pytorch-bin.ts';
import { unpickle } from '../../src/core/model/pickle.ts';
import { floatToHalf, halfToFloat } from '../../src/core/model/safetensors.ts';
import { bertComparisons, bertSpecOf, runBertFixture, type BertFixture } from '../bert-reference-fixture.ts';
import { expectClose } from '../reference-expect.ts';
import { fixtureFolder } from '../fixture-folder.ts';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { encoderWeights } from '../../src/core/model/hf-checkpoint.ts';
import bert from '../fixtures/reference-bert-tiny-cls-gelu.json';
import distilbert from '../fixtures/reference-distilbert-tiny-cls-gelu.json';
import roberta from '../fixtures/reference-roberta-tiny-cls-gelu.json';
import electra from '../fixtures/reference-electra-tiny-cls-gelu.json';

const bin = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/pytorch-bin/${name}`, import.meta.url)));
const FAMILIES: [string, BertFixture][] = [
  ['bert', bert],
  ['distilbert', distilbert],
  ['roberta', roberta],
  ['electra', electra],
];
/** How each dtype rounds a float32 (torch rounds to nearest even, as these do). */
const ROUND: Record<string, (v: number) => number> = {
  f32: (v) => Math.fround(v),
  f16: (v) => halfToFloat(floatToHalf(v)),
  bf16: (v) => {
    const bits = new Uint32Array(new Float32Array([v]).buffer)[0]!;
    const rounded = (bits + 0x7fff + ((bits >> 16) & 1)) & 0xffff0000;
    return new Float32Array(new Uint32Array([rounded >>> 0]).buffer)[0]!;
  },
};

describe.each(FAMILIES)('%s: pytorch_model.bin written by torch.save', (family, f) => {
  it.each(['f32', 'f16', 'bf16'])('%s: every weight as saved, buffers left out, views and Parameters read', (dtype) => {
    const { tensors, skipped } = readPytorchBin(bin(`${family}-tiny-${dtype}.bin`));
    expect(skipped).toEqual([]);
    const positions = [...tensors].find(([name]) => name.endsWith('embeddings.position_ids'))![1];
    expect([positions.dtype, positions.data[5]]).toEqual(['I64', 5]); // read as safetensors reads it; the encoders ignore it
    for (const w of f.weights) {
      const t = tensors.get(w.name)!;
      expect(t.shape, w.name).toEqual(w.shape);
      expect(t.dtype).toBe(dtype.toUpperCase().replace('BF16', 'BF16'));
      expect(Array.from(t.data), w.name).toEqual(w.data.map(ROUND[dtype]!));
    }
    // The transposed view of the first 2-D linear weight, and rows 1-2 of the word embeddings.
    const linear = f.weights.find((w) => w.shape.length === 2 && !w.name.includes('embeddings'))!;
    const [rows, cols] = linear.shape as [number, number];
    const view = tensors.get('unused.transposed_view')!;
    expect(view.shape).toEqual([cols, rows]);
    expect(view.data[1 * rows + 0]).toBe(ROUND[dtype]!(linear.data[0 * cols + 1]!));
    const word = f.weights[0]!;
    expect(Array.from(tensors.get('unused.shared_storage')!.data)).toEqual(
      word.data.slice(word.shape[1]!, 3 * word.shape[1]!).map(ROUND[dtype]!),
    );
  });

  it('the F32 file scores as the PyTorch reference, rewards, loss and every gradient', async () => {
    const { tensors } = readPytorchBin(bin(`${family}-tiny-f32.bin`));
    const spec = bertSpecOf(f);
    const { weights } = encoderWeights(spec, tensors);
    const head = spec.pooling === 'cls' ? f.weights.slice(-2) : [];
    const model = RewardModel.fromWeights(spec, [
      ...weights,
      { name: 'head.weight', shape: [head[0]!.shape[1]!, 1], data: Float32Array.from(head[0]!.data) },
      { name: 'head.bias', shape: [1], data: Float32Array.from(head[1]!.data) },
    ]);
    expectClose(`bin ${family}`, bertComparisons(f, await runBertFixture(f, model)));
  });

  it('a folder with only pytorch_model.bin loads through the same loader as safetensors', async () => {
    const files = fixtureFolder(f, { pytorchBin: bin(`${family}-tiny-bf16.bin`) });
    const folder = await loadModelFolder(bytesFolder(`tiny/${family}-bin`, files), {});
    expect(folder.config.modelType).toBe(f.config.model_type);
    expect(folder.tensors.get(f.weights[0]!.name)!.dtype).toBe('BF16');
  });
});

describe('hostile pickles are refused by name, with nothing run and nothing large allocated', () => {
  it.each([
    ['hostile-os-system.bin', /names the Python global os\.system, which a state dict never needs/],
    ['hostile-stack-global.bin', /names the Python global builtins\.eval/],
    ['hostile-huge-shape.bin', /tensor w \[1099511627776\] reaches element 1099511627775 of a storage of 4; refused/],
    ['hostile-storage-size.bin', /storage data\/0 holds 16 bytes, its 1073741824 elements need 4294967296/],
  ])('%s', (file, message) => {
    expect(() => readPytorchBin(bin(file))).toThrow(message);
  });

  it('refuses what is not a zip, naming the format torch.save wrote before 1.6', () => {
    expect(() => readPytorchBin(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]))).toThrow(/before PyTorch 1\.6/);
    expect(() => readPytorchBin(new Uint8Array([0x50, 0x4b, 0x03, 0x04]))).toThrow(/cannot be read as a zip/);
  });

  it('refuses opcodes that build objects (NEWOBJ) and a truncated pickle', () => {
    const newobj = new Uint8Array([0x80, 0x02, 0x81, 0x2e]);
    expect(() => unpickle(newobj, () => null)).toThrow(/opcode 0x81 \(NEWOBJ\) is not one a state dict uses/);
    expect(() => unpickle(new Uint8Array([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f]), () => null)).toThrow(
      /ends in the middle of an opcode/,
    );
  });
});
