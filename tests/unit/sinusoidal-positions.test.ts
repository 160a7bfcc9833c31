// DistilBERT with sinusoidal_pos_embds: true: the position table is HF's fixed sine/cosine table
// (checked against create_sinusoidal_embeddings as modeling_distilbert.py writes it, run in PyTorch:
// scripts/reference/sinusoidal_reference.py), built when the checkpoint has none, and never trained
// (left out of the trained weights the trainer and the memory plan count), as HF sets
// requires_grad False on it. Its export says sinusoidal_pos_embds: true again.
import { describe, expect, it } from 'vitest';
import { sinusoidalPositions } from '../../src/core/model/encoders/bert-config.ts';
import { bytesFolder } from '../../src/core/model/hub.ts';
import { loadModelFolder, pretrainedEncoder } from '../../src/core/model/pretrained.ts';
import { readSafetensors, writeSafetensors } from '../../src/core/model/safetensors.ts';
import { toHuggingFaceSequenceClassification } from '../../src/core/model/hf-checkpoint.ts';
import { trainedNames } from '../../src/core/train/freezing.ts';
import { limitsFor, memoryPlan } from '../../src/core/train/memory-plan.ts';
import type { BertFixture } from '../bert-reference-fixture.ts';
import { fixtureFolder } from '../fixture-folder.ts';
import distilbertFixture from '../fixtures/reference-distilbert-cls-gelu.json';
import reference from '../fixtures/reference-sinusoidal.json';

const POSITION = 'distilbert.embeddings.position_embeddings.weight';

/** The fixture's DistilBERT with sinusoidal_pos_embds on; its position table left out unless `keep`. */
function sinusoidalFolder(keep: boolean): Map<string, Uint8Array> {
  const files = fixtureFolder(distilbertFixture as unknown as BertFixture, { withHead: true });
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json')!)) as Record<string, unknown>;
  files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, sinusoidal_pos_embds: true })));
  const { tensors } = readSafetensors(files.get('model.safetensors')!);
  const kept = [...tensors]
    .filter(([name]) => keep || !name.endsWith('position_embeddings.weight'))
    .map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  files.set('model.safetensors', writeSafetensors(kept));
  return files;
}

describe("DistilBERT's sinusoidal positions", () => {
  it('are the table HF builds (PyTorch reference, three sizes)', () => {
    for (const c of reference.cases) {
      const ours = sinusoidalPositions(c.positions, c.dim);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - c.table[i]!));
      expect(worst, `${c.positions} x ${c.dim}`).toBeLessThan(1e-6);
    }
  });

  it('are built when the checkpoint has none, fixed in training, and exported as sinusoidal', async () => {
    const folder = await loadModelFolder(bytesFolder('tiny/distilbert-sinusoidal', sinusoidalFolder(false)), {});
    expect(folder.config.fixedPositions).toBe('sinusoidal');
    const opened = pretrainedEncoder(folder, 'cls', 'tiny/distilbert-sinusoidal');
    const position = opened.weights.find((w) => w.name === 'embeddings.position')!;
    expect(position.data).toEqual(sinusoidalPositions(position.shape[0]!, position.shape[1]!));
    expect(opened.summary.initialised).toContain('embeddings.position_embeddings.weight');
    // Never trained, whatever the freezing: the trainer's and the plan's trained weights leave it out.
    const names = [...opened.weights.map((w) => w.name), 'head.weight', 'head.bias'];
    const choice = { frozenLayers: 0, embeddingTraining: 'train' as const };
    expect(trainedNames(names, choice, opened.spec)).not.toContain('embeddings.position');
    expect(trainedNames(names, choice)).toContain('embeddings.position');
    const learned = { ...opened.spec, bert: { ...opened.spec.bert, fixedPositions: undefined } };
    const run = { batchSize: 2, maxLength: 16, gradAccumulation: 1 };
    const fixed = memoryPlan(opened.spec, run, choice, limitsFor('wasm'));
    expect(memoryPlan(learned, run, choice, limitsFor('wasm')).trainedWeights - fixed.trainedWeights).toBe(
      position.data.length,
    );
    const exported = toHuggingFaceSequenceClassification(opened.spec, [...opened.weights, ...opened.head!]);
    expect((exported.config as Record<string, unknown>).sinusoidal_pos_embds).toBe(true);
  });

  it("keeps a checkpoint's own table where it has one, as HF's from_pretrained does", async () => {
    const files = sinusoidalFolder(true);
    const folder = await loadModelFolder(bytesFolder('tiny/distilbert-sinusoidal', files), {});
    const opened = pretrainedEncoder(folder, 'cls', 'tiny/distilbert-sinusoidal');
    const { tensors } = readSafetensors(files.get('model.safetensors')!);
    expect(opened.weights.find((w) => w.name === 'embeddings.position')!.data).toEqual(tensors.get(POSITION)!.data);
    expect(opened.summary.initialised).toEqual([]);
  });
});
