// Hostile model files (issue 13): a crafted spec is refused from the file's tensors alone, before
// a single tensor is allocated from it; a file whose tokenizer, encoder name or vocabulary cannot
// work is refused at import, not in the playground; every refusal names the file, the tensor or
// field, and what was expected. The fuzz part writes many crafted specs and checks each one fails
// the same way. (Peak memory and time per crafted file: bench/hostile-model.ts.)
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/core/model/model-check.ts';
import { decodeModelFile, encodeModelFile, type RewardModelFile } from '../../src/core/model/model-file.ts';
import { RewardModel, modelSpecFor, type BuiltinModelSpec } from '../../src/core/model/reward-model.ts';
import { TransformerEncoder, transformerParams } from '../../src/core/model/encoders/transformer.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';

const vocabSize = builtinTokenizer().vocabSize;
const spec: BuiltinModelSpec = modelSpecFor(
  { maxLength: 8, dModel: 4, nLayers: 1, nHeads: 2, pooling: 'cls' },
  vocabSize,
);

let goodFile: RewardModelFile;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const model = RewardModel.create(spec, 1);
  const weights = await model.getWeights();
  model.dispose();
  goodFile = { spec, weights, meta: { name: 'tiny', createdAt: '2026-12-06T00:00:00.000Z' } };
});

/** The good file with its spec (or other parts) changed, written and read back as a file would be. */
function crafted(change: (file: RewardModelFile) => RewardModelFile): Uint8Array {
  return encodeModelFile(change(structuredClone(goodFile)));
}

function open(bytes: Uint8Array, name = 'crafted.rmlab.safetensors') {
  const file = decodeModelFile(bytes, name);
  checkModelFile(file, name);
  return RewardModel.fromWeights(file.spec, file.weights);
}

/** What `run` throws, with the number of tensors tfjs holds before and after (nothing may be allocated). */
function refusal(run: () => unknown): { message: string; allocated: number } {
  const before = tf.memory().numTensors;
  let message = '(nothing thrown)';
  try {
    run();
  } catch (error) {
    message = (error as Error).message;
  }
  return { message, allocated: tf.memory().numTensors - before };
}

describe('the built-in encoder lists its weights without building them', () => {
  it('transformerParams names every weight the encoder builds, with its shape', () => {
    const config = { ...spec.transformer, nLayers: 2 };
    const encoder = new TransformerEncoder(config, 1);
    const built = [...encoder.params].map(([name, v]) => [name, v.shape]);
    for (const v of encoder.params.values()) v.dispose();
    expect(transformerParams(config).map((p) => [p.name, p.shape])).toEqual(built);
  });
});

describe('crafted specs are refused before anything is allocated', () => {
  it('accepts the good file', () => {
    const model = open(crafted((f) => f));
    expect(model.params.size).toBe(goodFile.weights.length);
    model.dispose();
  });

  const cases: [string, (s: BuiltinModelSpec['transformer']) => unknown, RegExp][] = [
    [
      'a vocabulary of a million words 1024 wide',
      (t) => ({ ...t, vocabSize: 1e6, dModel: 1024, nHeads: 8 }),
      /crafted\.rmlab\.safetensors: tensor embeddings\.word has shape \[\d+,4\], the spec needs \[1000000,1024\]/,
    ],
    [
      'ten million layers',
      (t) => ({ ...t, nLayers: 1e7 }),
      /crafted\.rmlab\.safetensors: the spec asks for 10000000 layers, the file's tensors hold 1/,
    ],
    [
      'a negative width',
      (t) => ({ ...t, dModel: -4 }),
      /crafted\.rmlab\.safetensors: the spec's transformer\.dModel must be a positive whole number, got -4/,
    ],
    [
      'a width that is not a number',
      (t) => ({ ...t, maxLength: '8' }),
      /crafted\.rmlab\.safetensors: the spec's transformer\.maxLength must be a positive whole number, got "8"/,
    ],
    [
      'heads that do not divide the width',
      (t) => ({ ...t, nHeads: 3 }),
      /crafted\.rmlab\.safetensors: the spec's dModel 4 is not divisible by its nHeads 3/,
    ],
    [
      'an unknown pooling',
      (t) => ({ ...t, pooling: 'max' }),
      /the spec's transformer\.pooling must be cls, mean or last, got "max"/,
    ],
  ];
  for (const [what, change, message] of cases) {
    it(what, () => {
      const bytes = crafted((f) => ({
        ...f,
        spec: { ...spec, transformer: change(spec.transformer) } as BuiltinModelSpec,
      }));
      const { message: got, allocated } = refusal(() => open(bytes));
      expect(got).toMatch(message);
      expect(allocated).toBe(0);
    });
  }

  it('an unknown encoder is refused, not taken as the built-in one', () => {
    const bytes = crafted((f) => ({ ...f, spec: { ...spec, encoder: 'gpt-9' } as unknown as BuiltinModelSpec }));
    expect(refusal(() => open(bytes)).message).toMatch(
      /crafted\.rmlab\.safetensors: its encoder "gpt-9" is not one RM Lab builds \(builtin-transformer, bert or frozen-hub\)/,
    );
  });

  it('a spec that is not an object, and a missing or extra tensor', () => {
    expect(refusal(() => open(crafted((f) => ({ ...f, spec: null as unknown as BuiltinModelSpec })))).message).toMatch(
      /crafted\.rmlab\.safetensors: its spec is not an object \(got null\)/,
    );
    const missing = crafted((f) => ({ ...f, weights: f.weights.filter((w) => w.name !== 'ln_f.beta') }));
    expect(refusal(() => open(missing))).toEqual({
      message: 'crafted.rmlab.safetensors: tensor ln_f.beta is missing (the spec needs it with shape [4])',
      allocated: 0,
    });
    const extra = crafted((f) => ({
      ...f,
      weights: [...f.weights, { name: 'layers.7.attn.qkv.weight', shape: [1], data: new Float32Array(1) }],
    }));
    expect(refusal(() => open(extra)).message).toMatch(
      /crafted\.rmlab\.safetensors: tensor layers\.7\.attn\.qkv\.weight is not part of the model its spec describes/,
    );
  });

  it('a vocabulary smaller than the tokenizer: refused at import, not "GatherV2" at scoring', () => {
    const small = { ...spec, transformer: { ...spec.transformer, vocabSize: 10 } };
    const bytes = crafted((f) => ({
      ...f,
      spec: small,
      weights: f.weights.map((w) =>
        w.name === 'embeddings.word' ? { ...w, shape: [10, 4], data: w.data.slice(0, 40) } : w,
      ),
    }));
    expect(refusal(() => open(bytes)).message).toMatch(
      new RegExp(
        `crafted\\.rmlab\\.safetensors: its tokenizer has ${vocabSize} tokens but the model embeds only 10 \\(spec vocabSize\\)`,
      ),
    );
  });

  it('a tokenizer that cannot be read is refused at import', () => {
    const bert = decodeModelFile(crafted((f) => f));
    const bytes = encodeModelFile({
      ...bert,
      spec: {
        encoder: 'bert',
        tokenizer: 'embedded',
        pooling: 'cls',
        source: 'x',
        bert: {} as never,
      },
      tokenizer: { json: { model: { type: 'NoSuchModel' } } },
    });
    expect(refusal(() => open(bytes)).message).toMatch(
      /crafted\.rmlab\.safetensors: the spec's bert\.vocabSize must be a positive whole number, got nothing/,
    );
    // A well-formed spec with a broken tokenizer: the tokenizer is what is named.
    const withTokenizer = crafted((f) => ({
      ...f,
      spec: { ...spec, tokenizer: 'embedded' } as unknown as BuiltinModelSpec,
      tokenizer: { json: { model: { type: 'NoSuchModel' } } },
    }));
    expect(refusal(() => open(withTokenizer)).message).toMatch(
      /crafted\.rmlab\.safetensors: its tokenizer cannot be read \(/,
    );
  });
});

describe('fuzz: random crafted specs', () => {
  it('every spec that does not match its tensors is refused with a named reason and no allocation', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const huge = [0, -1, 1, 3, 7, 1e3, 1e6, 1e7, 2 ** 31, 2 ** 53, 1.5, Number.MAX_SAFE_INTEGER];
    const fields = ['vocabSize', 'maxLength', 'dModel', 'nLayers', 'nHeads', 'dFF'] as const;
    let refused = 0;
    for (let i = 0; i < 60; i++) {
      const t: Record<string, unknown> = { ...spec.transformer };
      const field = fields[Math.floor(rand() * fields.length)]!;
      t[field] = huge[Math.floor(rand() * huge.length)]!;
      if ((spec.transformer as unknown as Record<string, unknown>)[field] === t[field]) continue;
      const bytes = crafted((f) => ({ ...f, spec: { ...spec, transformer: t } as unknown as BuiltinModelSpec }));
      const before = tf.memory().numTensors;
      let model: RewardModel | undefined;
      try {
        model = open(bytes);
      } catch (error) {
        expect((error as Error).message, `${field} = ${String(t[field])}`).toMatch(/^crafted\.rmlab\.safetensors: /);
        expect(tf.memory().numTensors).toBe(before);
        refused++;
        continue;
      }
      // Accepted only where the change leaves every shape as it was (another head count that divides dModel).
      expect(field).toBe('nHeads');
      expect(spec.transformer.dModel % (t.nHeads as number)).toBe(0);
      model.dispose();
    }
    expect(refused).toBeGreaterThan(40);
  });
});
