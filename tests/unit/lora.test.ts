// LoRA's options and what trains under them (src/core/model/lora.ts, src/core/train/freezing.ts):
// the projections and PEFT default targets of every family and the built-in encoder, clear refusals
// (the bag of word vectors, a name the model has not), the trained split per family (adapters, the
// head and the rest of HF's head module; LayerNorms and every base weight frozen); a model file
// round trip; and a real run on the cpu backend: base weights end bit for bit as they started, only
// adapters and the head get Adam moments, and a run cut at step 3 and resumed ends bit for bit as
// the run that never stopped.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pair } from '../../src/core/data/pair.ts';
import { FAMILIES } from '../../src/core/model/families/registry.ts';
import type { EncoderFamily, FamilyConfig } from '../../src/core/model/families/family.ts';
import { defaultLoraTargets, isLoraParam, projections, withLora } from '../../src/core/model/lora.ts';
import { checkSpec } from '../../src/core/model/model-check.ts';
import { loraSpec } from '../../src/core/model/starting-model.ts';
import {
  checkWeightsFit,
  modelParams,
  RewardModel,
  type BertModelSpec,
  type ModelSpec,
  type NamedWeight,
} from '../../src/core/model/reward-model.ts';
import { builtinTokenizer } from '../../src/core/model/tokenizer.ts';
import type { TrainState } from '../../src/core/train/checkpoint.ts';
import { DEFAULT_TRAIN_CONFIG, parseTrainConfig, TrainConfigError } from '../../src/core/train/config.ts';
import { prepareTrainingData } from '../../src/core/train/data.ts';
import { freezeChoiceOf, trainedNames } from '../../src/core/train/freezing.ts';
import { trainRewardModel } from '../../src/core/train/trainer.ts';

const tokenizer = builtinTokenizer();
const builtin: ModelSpec = {
  encoder: 'builtin-transformer',
  tokenizer: 'builtin',
  transformer: {
    vocabSize: tokenizer.vocabSize,
    maxLength: 32,
    dModel: 16,
    nLayers: 2,
    nHeads: 2,
    dFF: 32,
    pooling: 'cls',
  },
};
const choice = (loraRank: number, loraTargets = '', loraAlpha = 16) => ({ loraRank, loraAlpha, loraTargets });

function familySpec(family: EncoderFamily): BertModelSpec {
  const modelType = family.modelTypes[0]!;
  const bert = family.readConfig(
    {
      model_type: modelType,
      vocab_size: 50,
      hidden_size: 8,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 16,
      max_position_embeddings: 32,
      n_embd: 8,
      n_layer: 2,
      n_head: 2,
      n_inner: 16,
      n_positions: 32,
    },
    { sepTokenId: 1, padTokenId: 0 },
  ) as FamilyConfig as BertModelSpec['bert'];
  return { encoder: 'bert', tokenizer: 'embedded', bert, pooling: family.defaultPooling, source: 'folder:x' };
}

const PROJECTIONS: Record<string, string[]> = {
  bert: ['query', 'key', 'value', 'dense'],
  distilbert: ['q_lin', 'k_lin', 'v_lin', 'out_lin', 'lin1', 'lin2'],
  roberta: ['query', 'key', 'value', 'dense'],
  'xlm-roberta': ['query', 'key', 'value', 'dense'],
  electra: ['query', 'key', 'value', 'dense'],
  'deberta-v2': ['query_proj', 'key_proj', 'value_proj', 'dense'],
  gpt2: ['c_attn', 'c_proj', 'c_fc'],
  llama: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  qwen2: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
};
/** What trains with the adapters besides head.*: the rest of the family's HF head module (PEFT's modules_to_save). */
const WITH_HEAD: Record<string, string[]> = {
  distilbert: ['pooler.weight', 'pooler.bias'],
  roberta: ['pooler.weight', 'pooler.bias'],
  'xlm-roberta': ['pooler.weight', 'pooler.bias'],
  electra: ['pooler.weight', 'pooler.bias'],
  // DeBERTa's ContextPooler sits beside the classifier and starts fresh from a masked LM: it trains too ('pooler' in modules_to_save)
  'deberta-v2': ['pooler.weight', 'pooler.bias'],
};

describe('LoRA options for every family', () => {
  it.each(FAMILIES.map((f) => [f.modelTypes[0]!, f] as const))(
    '%s: its projections by PEFT names, the attention q/v by default, and only adapters and the head train',
    (modelType, family) => {
      const spec = familySpec(family);
      expect([...new Set(projections(spec).map((p) => p.target))]).toEqual(PROJECTIONS[modelType]);
      const lora = withLora(spec, choice(4));
      expect(lora.lora!.targets).toEqual(defaultLoraTargets(spec));
      expect(lora.lora!.targets).toHaveLength(modelType === 'gpt2' ? 1 : 2);
      const names = modelParams(lora).map((p) => p.name);
      const adapters = names.filter(isLoraParam);
      expect(adapters).toHaveLength(2 * spec.bert.numLayers * lora.lora!.targets.length); // A and B, per layer and target
      const trained = trainedNames(names, freezeChoiceOf(lora, { frozenLayers: 0, embeddingTraining: 'train' }));
      const head = family.headBias === false ? ['head.weight'] : ['head.weight', 'head.bias'];
      expect(trained.sort()).toEqual([...adapters, ...head, ...(WITH_HEAD[modelType] ?? [])].sort());
      // Every target in a model's own names is taken; another family's name is refused, naming what it has.
      expect(withLora(spec, choice(2, PROJECTIONS[modelType]!.join(', '))).lora!.targets).toHaveLength(
        PROJECTIONS[modelType]!.length,
      );
      expect(() => withLora(spec, choice(2, 'nope_proj'))).toThrow(
        new RegExp(
          `"nope_proj" is not a projection of this model; its projections are ${PROJECTIONS[modelType]!.join(', ')}`,
        ),
      );
    },
  );

  it('the built-in transformer takes adapters on qkv by default; its bag of word vectors (0 layers) is refused plainly', () => {
    expect(withLora(builtin, choice(8)).lora).toEqual({ rank: 8, alpha: 16, targets: ['qkv'] });
    const bag = { ...builtin, transformer: { ...builtin.transformer, nLayers: 0 } } as ModelSpec;
    expect(() => loraSpec(bag, { ...DEFAULT_TRAIN_CONFIG, loraRank: 8 })).toThrow(TrainConfigError);
    expect(() => loraSpec(bag, { ...DEFAULT_TRAIN_CONFIG, loraRank: 8 })).toThrow(
      /LoRA rank \(loraRank\): the built-in encoder with 0 layers is a bag of word vectors/,
    );
    expect(loraSpec(bag, DEFAULT_TRAIN_CONFIG)).toEqual(bag); // rank 0: LoRA off
    try {
      loraSpec(builtin, { ...DEFAULT_TRAIN_CONFIG, loraRank: 4, loraTargets: 'query' });
    } catch (error) {
      expect((error as TrainConfigError).field).toBe('loraTargets');
    }
  });

  it('the fields are checked like any other (bounds, names), and rank 0 is the default', () => {
    expect(DEFAULT_TRAIN_CONFIG.loraRank).toBe(0);
    expect(() => parseTrainConfig({ loraRank: 1000 })).toThrow(/LoRA rank \(loraRank\) must be between 0 and 256/);
    expect(() => parseTrainConfig({ loraTargets: 'q; v' })).toThrow(/LoRA targets \(loraTargets\)/);
    expect(parseTrainConfig({ loraTargets: ' q_proj ,v_proj' }).loraTargets).toBe(' q_proj ,v_proj');
  });

  it('a LoRA model travels as a model file: its spec checks, its tensors fit, and it rebuilds with the same rewards', async () => {
    const spec = withLora(builtin, choice(4, 'qkv, out', 8));
    const model = RewardModel.create(spec, 1);
    const weights = (await model.getWeights()).map((w) =>
      w.name.endsWith('.lora_B') ? { ...w, data: w.data.map((_, i) => Math.sin(i)) } : w,
    );
    expect(checkSpec(JSON.parse(JSON.stringify(spec)), 'x.rmlab')).toEqual(spec);
    expect(() => checkSpec({ ...spec, lora: { rank: 4, alpha: 8, targets: 'qkv' } }, 'x.rmlab')).toThrow(
      /lora.targets must be a list of projection names/,
    );
    checkWeightsFit(spec, weights, 'x.rmlab');
    expect(() =>
      checkWeightsFit(
        spec,
        weights.filter((w) => !w.name.endsWith('lora_A')),
        'x.rmlab',
      ),
    ).toThrow(/tensor layers.0.attn.qkv.lora_A is missing/);
    model.setWeights(weights);
    const again = RewardModel.fromWeights(spec, weights);
    const ids = tf.tensor2d([[2, 5, 9, 3, 0]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 0]]);
    const [a, b] = [model.rewards(ids, mask), again.rewards(ids, mask)];
    expect(await b.data()).toEqual(await a.data());
    const base = RewardModel.fromWeights(
      { ...builtin },
      weights.filter((w) => !isLoraParam(w.name)),
    );
    const c = base.rewards(ids, mask);
    expect(Math.abs((await c.data())[0]! - (await a.data())[0]!)).toBeGreaterThan(1e-4); // the adapters count
    tf.dispose([ids, mask, a, b, c]);
    [model, again, base].forEach((m) => m.dispose());
  });
});

function pairs(n: number): Pair[] {
  return Array.from({ length: n }, (_, i) => {
    const good = `thank you for asking, here is a careful answer number ${i}`;
    const bad = `no. figure it out ${i}`;
    const aWins = i % 2 === 0;
    return {
      id: `p${i}`,
      datasetId: 'd',
      prompt: `question ${i}`,
      responseA: aWins ? good : bad,
      responseB: aWins ? bad : good,
      winner: aWins ? 'a' : 'b',
    };
  });
}

const data = prepareTrainingData(pairs(40), tokenizer, {
  maxLength: 32,
  heldOutFraction: 0.2,
  splitSeed: 1,
  stratify: 'none',
  maxHeldOutPairs: 100,
  ties: 'drop',
  softTargets: 'off',
});
const hyper = {
  batchSize: 4,
  learningRate: 1e-2,
  epochs: 2,
  maxSteps: 0,
  seed: 3,
  evalEvery: 100,
  maxLength: 32,
  weightDecay: 0.1, // decay must not reach a frozen weight either
  checkpointEvery: 1000,
} as const;
const loraModel = withLora(builtin, choice(4, 'qkv, in', 8));
const bits = (w: NamedWeight[]) => w.map((x) => ({ name: x.name, bits: Array.from(new Uint32Array(x.data.buffer)) }));

async function run(seed: number, from?: TrainState, stopAt?: number) {
  const model = RewardModel.create(loraModel, seed);
  const start = await model.getWeights();
  let last: TrainState | undefined;
  let steps = 0;
  await trainRewardModel(
    model,
    data,
    hyper,
    tokenizer.special.pad,
    {
      onEvent: () => {},
      onCheckpoint: async (s) => {
        last = structuredClone(s);
      },
      pauseGate: () => void steps++,
      shouldStop: () => steps === stopAt,
    },
    from,
  );
  const end = await model.getWeights();
  model.dispose();
  return { start, end, last: last! };
}

describe('a LoRA run (rank 4 on qkv and mlp.in of the built-in transformer) on the cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('keeps every base weight (LayerNorms too) bit for bit, trains A, B and the head, and gives only them Adam state', async () => {
    const { start, end, last } = await run(5);
    const trains = (n: string) => isLoraParam(n) || n.startsWith('head.');
    for (const [i, w] of end.entries()) {
      const same = bits([w])[0]!.bits.join() === bits([start[i]!])[0]!.bits.join();
      // head.bias gets a zero gradient in the pairwise loss (it cancels), so it stays though it trains.
      expect(same, w.name).toBe(!trains(w.name) || w.name === 'head.bias');
    }
    expect(start.find((w) => w.name === 'layers.0.attn.qkv.lora_B')!.data.every((x) => x === 0)).toBe(true);
    const moments = last.optimizer.moments.map((m) => m.name.replace(/\/[mv]$/, ''));
    expect([...new Set(moments)].sort()).toEqual(
      end
        .map((w) => w.name)
        .filter(trains)
        .sort(),
    );
    expect(last.weights.map((w) => w.name)).toContain('layers.1.mlp.in.lora_A'); // the checkpoint holds the adapters
  }, 120_000);

  it('cut at step 3 and resumed into other starting weights, ends bit for bit as the run that never stopped', async () => {
    const whole = await run(5);
    const cut = await run(5, undefined, 3);
    expect(cut.last.step).toBe(3);
    const resumed = await run(99, cut.last);
    expect(bits(resumed.end)).toEqual(bits(whole.end));
    expect(bits(resumed.last.optimizer.moments)).toEqual(bits(whole.last.optimizer.moments));
  }, 120_000);
});
