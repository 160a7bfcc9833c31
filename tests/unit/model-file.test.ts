// RM Lab's one-file model format: a model written and read back is the same model, and anything
// else is refused with what it is instead.
import { describe, expect, it } from 'vitest';
import {
  decodeModelFile,
  encodeModelFile,
  MODEL_FILE_FORMAT,
  type RewardModelFile,
} from '../../src/core/model/model-file.ts';
import type { BertModelSpec, BuiltinModelSpec } from '../../src/core/model/reward-model.ts';
import { readSafetensors, writeSafetensors } from '../../src/core/model/safetensors.ts';

const spec: BuiltinModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: { vocabSize: 10, maxLength: 16, dModel: 4, nLayers: 1, nHeads: 2, dFF: 16, pooling: 'cls' },
};

function weights() {
  // Values that are not round in float32, and -0, NaN-free: a round trip must keep every bit.
  const head = new Float32Array([Math.PI, -Math.E, 1e-30, -0]);
  const emb = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i) * 1e3);
  return [
    { name: 'embedding.weight', shape: [10, 4], data: emb },
    { name: 'head.weight', shape: [4, 1], data: head },
    { name: 'head.bias', shape: [1], data: new Float32Array([0.125]) },
  ];
}

const model: RewardModelFile = {
  spec,
  weights: weights(),
  meta: {
    name: 'demo · 2026-01-01 10:00',
    createdAt: '2026-01-01T10:00:00.000Z',
    runId: 'run-1',
    datasetName: 'PandaLM',
    trainConfig: { dModel: 4, learningRate: 0.001 },
    steps: 30,
    heldOutAccuracy: 0.625,
  },
};

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

describe('model file', () => {
  it('reads back the same spec, meta and weights, bit for bit', () => {
    const back = decodeModelFile(encodeModelFile(model));
    expect(back.spec).toEqual(spec);
    expect(back.meta).toEqual(model.meta);
    expect(back.tokenizer).toBeUndefined();
    expect(back.weights.map((w) => [w.name, w.shape])).toEqual(model.weights.map((w) => [w.name, w.shape]));
    back.weights.forEach((w, i) => expect(bits(w.data)).toEqual(bits(model.weights[i]!.data)));
  });

  it('is a plain safetensors file to any reader, with the model in its metadata', () => {
    const file = readSafetensors(encodeModelFile(model));
    expect(file.metadata.format).toBe(MODEL_FILE_FORMAT);
    expect(file.metadata.version).toBe('1');
    expect(JSON.parse(file.metadata.spec!)).toEqual(spec);
    expect([...file.tensors.keys()].sort()).toEqual(['embedding.weight', 'head.bias', 'head.weight']);
  });

  it('carries the tokenizer of a model that does not use the bundled one', () => {
    const bert: BertModelSpec = {
      encoder: 'bert',
      tokenizer: 'embedded',
      pooling: 'cls',
      source: 'prajjwal1/bert-tiny',
      bert: {
        modelType: 'bert',
        vocabSize: 30,
        hiddenSize: 4,
        numLayers: 1,
        numHeads: 2,
        intermediateSize: 8,
        maxPositions: 16,
        typeVocabSize: 2,
        layerNormEps: 1e-12,
        hiddenAct: 'gelu',
        sepTokenId: 3,
        padTokenId: 0,
      },
    };
    const tokenizer = { json: { model: { type: 'WordPiece' } }, config: { do_lower_case: true } };
    const back = decodeModelFile(encodeModelFile({ ...model, spec: bert, tokenizer }));
    expect(back.tokenizer).toEqual(tokenizer);
    // Without it the model cannot read text: refused.
    const missing = encodeModelFile({ ...model, spec: bert });
    expect(() => decodeModelFile(missing, 'bert.rmlab.safetensors')).toThrow(
      "bert.rmlab.safetensors: the model's tokenizer is missing",
    );
  });

  it('refuses a plain safetensors checkpoint and says to use it as the encoder', () => {
    const plain = writeSafetensors([{ name: 'bert.pooler.dense.bias', shape: [2], data: new Float32Array(2) }]);
    expect(() => decodeModelFile(plain, 'model.safetensors')).toThrow(
      /^model\.safetensors is a safetensors file but not an RM Lab model .*give its folder or Hub id as the encoder instead$/,
    );
  });

  it('refuses another version of the format, naming both', () => {
    const bytes = encodeModelFile(model);
    const file = readSafetensors(bytes);
    const newer = writeSafetensors(
      [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })),
      { ...file.metadata, version: '2' },
    );
    expect(() => decodeModelFile(newer, 'next.rmlab.safetensors')).toThrow(
      'next.rmlab.safetensors is an RM Lab model of format version 2; this app reads version 1',
    );
  });

  it('refuses broken metadata and files that are not safetensors at all', () => {
    const file = readSafetensors(encodeModelFile(model));
    const broken = writeSafetensors([], { ...file.metadata, spec: '{not json' });
    expect(() => decodeModelFile(broken, 'm.safetensors')).toThrow(
      'm.safetensors: its "spec" metadata is missing or not JSON',
    );
    expect(() => decodeModelFile(new TextEncoder().encode('hello'), 'notes.txt')).toThrow(
      /^notes\.txt is not a safetensors file/,
    );
    expect(() => decodeModelFile(new TextEncoder().encode('{"prompt": "a", "chosen": "b"}'), 'pairs.jsonl')).toThrow(
      /^pairs\.jsonl is not a safetensors file/,
    );
  });
});
