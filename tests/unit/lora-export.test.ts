// A model trained with LoRA, exported both ways and scored in PyTorch from the files alone:
// (a) merged (W + (alpha / r) A B, lora-merge.ts) as the usual *ForSequenceClassification folder,
//     scored by scripts/reference/score_folder.py (BERT) or gpt2_reference.py --score (GPT-2);
// (b) as a PEFT adapter folder (export/peft-adapter.ts), applied by name to the base model's folder
//     by scripts/reference/peft_adapter.py (no peft here: hand-written, refusing names that do not fit).
// Both must give RM Lab's rewards. The model first takes three Adam steps on what LoRA trains, so B
// and the head are RM Lab's, not the fixture's.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peftAdapterFiles, peftRefusal } from '../../src/core/export/peft-adapter.ts';
import { toHuggingFaceSequenceClassification } from '../../src/core/model/hf-checkpoint.ts';
import { isLoraParam } from '../../src/core/model/lora.ts';
import { RewardModel, type NamedWeight } from '../../src/core/model/reward-model.ts';
import { readSafetensors, writeSafetensors } from '../../src/core/model/safetensors.ts';
import { bradleyTerryLoss } from '../../src/core/train/loss.ts';
import { trainedVariables } from '../../src/core/train/trainer.ts';
import { loraFixtureWeights, loraSpecOf, type LoraFixture } from '../lora-reference-fixture.ts';
import loraBert from '../fixtures/reference-lora-bert.json';
import loraGpt2 from '../fixtures/reference-lora-gpt2.json';

const PYTHON = '/usr/bin/python3';

async function trained(f: LoraFixture): Promise<RewardModel> {
  const model = RewardModel.fromWeights(loraSpecOf(f), loraFixtureWeights(f));
  const optimizer: tf.Optimizer = tf.train.adam(0.02);
  const [ids, mask, margin] = [
    tf.tensor2d(f.batch.ids, undefined, 'int32'),
    tf.tensor2d(f.batch.mask),
    tf.tensor1d(f.batch.margin),
  ];
  for (let step = 0; step < 3; step++) {
    const { value, grads } = tf.variableGrads(
      () => {
        const [rc, rr] = tf.split(model.rewards(ids, mask), 2) as [tf.Tensor1D, tf.Tensor1D];
        return bradleyTerryLoss(rc, rr, margin);
      },
      trainedVariables(model, { frozenLayers: 0, embeddingTraining: 'train' }),
    );
    optimizer.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  tf.dispose([ids, mask, margin]);
  optimizer.dispose();
  return model;
}

function writeFolder(prefix: string, files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** A *ForSequenceClassification folder's two files for PyTorch. */
function hfFolder(prefix: string, exported: { config: object; tensors: NamedWeight[] }): string {
  return writeFolder(prefix, {
    'config.json': new TextEncoder().encode(JSON.stringify(exported.config)),
    'model.safetensors': writeSafetensors(exported.tensors, { format: 'pt' }),
  });
}

const python = (args: string[]) => JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8' })) as number[];

describe.each([
  ['bert', loraBert as LoraFixture],
  ['gpt2', loraGpt2 as LoraFixture],
])('a %s model trained with LoRA, exported', (family, f) => {
  it('merged into its weights and as a PEFT adapter, both scored in PyTorch as RM Lab scores it', async () => {
    const model = await trained(f);
    const r = tf.tidy(() => model.rewards(tf.tensor2d(f.batch.ids, undefined, 'int32'), tf.tensor2d(f.batch.mask)));
    const ours = [...(await r.data())];
    r.dispose();
    const weights = await model.getWeights();
    const spec = model.spec;
    model.dispose();
    const inputs = join(writeFolder('lora-inputs-', {}), 'inputs.json');
    writeFileSync(inputs, JSON.stringify({ ...f.batch, sepTokenId: f.special.sepTokenId }));

    // (a) merged: no adapter tensor in the folder, the usual family checkpoint.
    const merged = toHuggingFaceSequenceClassification(spec, weights);
    expect(merged.tensors.some((t) => t.name.includes('lora'))).toBe(false);
    const mergedDir = hfFolder(`lora-merged-${family}-`, merged);
    const scorer =
      family === 'bert'
        ? ['scripts/reference/score_folder.py', mergedDir, inputs]
        : ['scripts/reference/gpt2_reference.py', '--score', mergedDir, inputs];
    python(scorer).forEach((t, i) => expect(ours[i], `merged reward ${i}`).toBeCloseTo(t, 5));

    // (b) the adapter, applied to the base the run started from (its untrained head: the adapter's replaces it).
    const baseWeights = loraFixtureWeights(f).filter((w) => !isLoraParam(w.name));
    const { lora: _lora, ...baseSpec } = spec as typeof spec & { lora?: unknown };
    const baseDir = hfFolder(`lora-base-${family}-`, toHuggingFaceSequenceClassification(baseSpec, baseWeights));
    const files = peftAdapterFiles({ spec, weights, name: 'x' });
    const adapterDir = writeFolder(`lora-adapter-${family}-`, files);
    const theirs = python(['scripts/reference/peft_adapter.py', baseDir, adapterDir, inputs]);
    theirs.forEach((t, i) => expect(ours[i], `adapter reward ${i}`).toBeCloseTo(t, 5));
    const base = python(
      family === 'bert'
        ? ['scripts/reference/score_folder.py', baseDir, inputs]
        : ['scripts/reference/gpt2_reference.py', '--score', baseDir, inputs],
    );
    expect(Math.max(...base.map((b, i) => Math.abs(b - theirs[i]!)))).toBeGreaterThan(1e-2); // the adapter matters

    const config = JSON.parse(new TextDecoder().decode(files['adapter_config.json'])) as Record<string, unknown>;
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      r: f.lora.r,
      lora_alpha: f.lora.alpha,
      lora_dropout: 0,
      target_modules: f.lora.targets,
      modules_to_save: [family === 'bert' ? 'classifier' : 'score'],
      base_model_name_or_path: 'fixture',
    });
    const names = [...readSafetensors(files['adapter_model.safetensors']!).tensors.keys()];
    expect(names.sort()).toEqual(f.grads.map((g) => g.name).sort()); // A, B and the head, under PEFT's names
  }, 60_000);
});

describe('which models have a PEFT adapter', () => {
  it('refuses one trained without LoRA, and the built-in encoder, in plain words', () => {
    const { lora: _lora, ...plain } = loraSpecOf(loraBert);
    expect(peftRefusal(plain)).toMatch(/trained without LoRA/);
    expect(peftRefusal(loraSpecOf(loraBert))).toBeUndefined();
    expect(
      peftRefusal({
        encoder: 'builtin-transformer',
        tokenizer: 'builtin',
        transformer: { vocabSize: 10, maxLength: 8, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, pooling: 'cls' },
        lora: { rank: 2, alpha: 4, targets: ['qkv'] },
      }),
    ).toMatch(/built-in encoder has no base checkpoint/);
  });
});
