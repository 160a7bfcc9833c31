// The Hugging Face export's packaging: the zip's files, a config.json that transformers reads as a
// one-label BertForSequenceClassification, and tensors under the names and shapes its state_dict
// has (listed here from modeling_bert.py, independently of the app's mapping table), carrying the
// very values the model was loaded with.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { HF_FOLDER_FILES, huggingFaceFiles, huggingFaceZip } from '../../src/core/export/hf-zip.ts';
import { bertEncoderWeights, readBertConfig } from '../../src/core/model/hf-checkpoint.ts';
import {
  RewardModel,
  type BertModelSpec,
  type BuiltinModelSpec,
  type NamedWeight,
} from '../../src/core/model/reward-model.ts';
import { tokenizerFor } from '../../src/core/model/tokenizer.ts';
import { readSafetensors } from '../../src/core/model/safetensors.ts';
import { tinyBertFolder, TINY_VOCAB } from '../tiny-bert.ts';

const H = 16;
const I = 32;
const LAYERS = 2;

function tinyRewardModel(pooling: 'cls' | 'mean' = 'cls') {
  const folder = tinyBertFolder({
    hiddenSize: H,
    numLayers: LAYERS,
    numHeads: 2,
    intermediateSize: I,
    maxPositions: 64,
  });
  const config = JSON.parse(strFromU8(folder.get('config.json')!));
  const bert = readBertConfig(config, {
    sepTokenId: TINY_VOCAB.indexOf('[SEP]'),
    padTokenId: TINY_VOCAB.indexOf('[PAD]'),
  });
  const spec: BertModelSpec = { encoder: 'bert', tokenizer: 'embedded', bert, pooling, source: 'tiny/bert' };
  const original = readSafetensors(folder.get('model.safetensors')!).tensors;
  const { weights } = bertEncoderWeights(spec, original);
  const head: NamedWeight[] = [
    { name: 'head.weight', shape: [H, 1], data: Float32Array.from({ length: H }, (_, i) => (i - 8) / 10) },
    { name: 'head.bias', shape: [1], data: new Float32Array([0.25]) },
  ];
  const tokenizer = { json: JSON.parse(strFromU8(folder.get('tokenizer.json')!)), config: { do_lower_case: true } };
  return { spec, weights: [...weights, ...head], original, tokenizer };
}

/** BertForSequenceClassification(num_labels=1).state_dict() for this size, from modeling_bert.py. */
function expectedStateDict(): Record<string, number[]> {
  const V = TINY_VOCAB.length;
  const out: Record<string, number[]> = {
    'bert.embeddings.word_embeddings.weight': [V, H],
    'bert.embeddings.position_embeddings.weight': [64, H],
    'bert.embeddings.token_type_embeddings.weight': [2, H],
    'bert.embeddings.LayerNorm.weight': [H],
    'bert.embeddings.LayerNorm.bias': [H],
  };
  for (let l = 0; l < LAYERS; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      out[`${p}.${m}.weight`] = [H, H];
      out[`${p}.${m}.bias`] = [H];
    }
    out[`${p}.attention.output.LayerNorm.weight`] = [H];
    out[`${p}.attention.output.LayerNorm.bias`] = [H];
    out[`${p}.intermediate.dense.weight`] = [I, H];
    out[`${p}.intermediate.dense.bias`] = [I];
    out[`${p}.output.dense.weight`] = [H, I];
    out[`${p}.output.dense.bias`] = [H];
    out[`${p}.output.LayerNorm.weight`] = [H];
    out[`${p}.output.LayerNorm.bias`] = [H];
  }
  out['bert.pooler.dense.weight'] = [H, H];
  out['bert.pooler.dense.bias'] = [H];
  out['classifier.weight'] = [1, H];
  out['classifier.bias'] = [1];
  return out;
}

const PYTHON = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('Hugging Face export (zip)', () => {
  it('zips model.safetensors, config.json, tokenizer.json, tokenizer_config.json and a model card', () => {
    const m = tinyRewardModel();
    const files = unzipSync(huggingFaceZip({ ...m, name: 'tiny rm', datasetName: 'demo', heldOutAccuracy: 0.7 }));
    expect(Object.keys(files).sort()).toEqual([...HF_FOLDER_FILES].sort());
    expect(strFromU8(files['README.md']!)).toMatch(
      /Held-out accuracy in RM Lab: 70\.0%[\s\S]*AutoModelForSequenceClassification/,
    );
  });

  it('writes a config.json transformers reads as a one-label BertForSequenceClassification', () => {
    const m = tinyRewardModel();
    const config = JSON.parse(strFromU8(huggingFaceFiles({ ...m, name: 'x' })['config.json']!));
    expect(config).toMatchObject({
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      vocab_size: TINY_VOCAB.length,
      hidden_size: H,
      num_hidden_layers: LAYERS,
      num_attention_heads: 2,
      intermediate_size: I,
      max_position_embeddings: 64,
      type_vocab_size: 2,
    });
    // transformers' PretrainedConfig takes num_labels from id2label.
    expect(Object.keys(config.id2label)).toEqual(['0']);
  });

  it("has exactly the state_dict's tensor names and shapes, in float32", () => {
    const m = tinyRewardModel();
    const bytes = huggingFaceFiles({ ...m, name: 'x' })['model.safetensors']!;
    const file = readSafetensors(bytes);
    const shapes = Object.fromEntries([...file.tensors].map(([name, t]) => [name, t.shape]));
    expect(shapes).toEqual(expectedStateDict());
    expect([...file.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    expect(file.metadata).toEqual({ format: 'pt' });
  });

  it('carries the values the encoder was loaded with, and the head as the classifier', () => {
    const m = tinyRewardModel();
    const file = readSafetensors(huggingFaceFiles({ ...m, name: 'x' })['model.safetensors']!);
    // Loaded from HF names and exported back: every encoder tensor is the original, bit for bit.
    for (const [name, t] of m.original) {
      expect([...file.tensors.get(`bert.${name}`)!.data], name).toEqual([...t.data]);
    }
    const head = m.weights.find((w) => w.name === 'head.weight')!;
    expect([...file.tensors.get('classifier.weight')!.data]).toEqual([...head.data]); // [H,1] -> [1,H]: same order
    expect([...file.tensors.get('classifier.bias')!.data]).toEqual([0.25]);
  });

  it("keeps the model's tokenizer and completes its settings", () => {
    const m = tinyRewardModel();
    const files = huggingFaceFiles({ ...m, name: 'x' });
    expect(JSON.parse(strFromU8(files['tokenizer.json']!))).toEqual(m.tokenizer.json);
    expect(JSON.parse(strFromU8(files['tokenizer_config.json']!))).toMatchObject({
      tokenizer_class: 'BertTokenizerFast',
      do_lower_case: true,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      model_max_length: 64,
    });
  });

  // The packaging tests above stand alone; this one also needs Debian's PyTorch, and skips without it.
  it.skipIf(!existsSync(PYTHON) || !hasTorch)(
    "scores the same in PyTorch's BertForSequenceClassification (scripts/reference/bert_reference.py) as in the app",
    async () => {
      await tf.setBackend('cpu');
      const m = tinyRewardModel();
      const tokenizer = tokenizerFor(m.spec, m.tokenizer);
      const texts = [
        ['what is the capital of france', 'paris is the capital'],
        ['what is the capital of france', 'i do not know'],
        ['name a colour', 'blue'],
      ];
      const seqs = texts.map(([p, r]) => tokenizer.encodePair(p!, r!, 32).ids);
      const T = Math.max(...seqs.map((s) => s.length));
      const ids = seqs.map((s) => [...s, ...Array<number>(T - s.length).fill(tokenizer.special.pad)]);
      const mask = seqs.map((s) => Array.from({ length: T }, (_, t) => (t < s.length ? 1 : 0)));
      const model = RewardModel.fromWeights(m.spec, m.weights);
      const r = tf.tidy(() => model.rewards(tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(mask)));
      const ours = [...(await r.data())];
      r.dispose();
      model.dispose();

      const dir = mkdtempSync(join(tmpdir(), 'hf-export-'));
      for (const [name, bytes] of Object.entries(unzipSync(huggingFaceZip({ ...m, name: 'x' })))) {
        writeFileSync(join(dir, name), bytes);
      }
      writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ ids, mask, sepTokenId: tokenizer.special.sep }));
      const out = execFileSync(
        PYTHON,
        ['scripts/reference/bert_reference.py', '--score', dir, join(dir, 'inputs.json')],
        {
          encoding: 'utf8',
        },
      );
      const theirs = JSON.parse(out) as number[];
      expect(theirs).toHaveLength(3);
      // float32 in the app against float64 in PyTorch: equal to float32 precision.
      theirs.forEach((t, i) => expect(ours[i]).toBeCloseTo(t, 5));
      expect(new Set(ours.map((x) => x.toFixed(4))).size).toBe(3); // three different rewards, not one
    },
  );

  it('refuses the built-in encoder and mean pooling with the reason, and a model without its tokenizer', () => {
    const builtin: BuiltinModelSpec = {
      encoder: 'builtin-transformer',
      tokenizer: 'builtin',
      transformer: { vocabSize: 10, maxLength: 16, dModel: 4, nLayers: 1, nHeads: 2, dFF: 16, pooling: 'cls' },
    };
    expect(() => huggingFaceFiles({ spec: builtin, weights: [], tokenizer: undefined, name: 'x' })).toThrow(
      /only BERT-family models export as a Hugging Face checkpoint/,
    );
    const mean = tinyRewardModel('mean');
    expect(() => huggingFaceFiles({ ...mean, name: 'x' })).toThrow(/pools by the mean of its tokens/);
    const m = tinyRewardModel();
    expect(() => huggingFaceFiles({ ...m, tokenizer: undefined, name: 'x' })).toThrow(
      "the model's tokenizer is missing",
    );
  });
});
