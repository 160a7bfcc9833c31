import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRAIN_CONFIG,
  parseEncoderSource,
  parseTrainConfig,
  applyPreset,
  presetConfig,
  TRAIN_FIELD_KEYS,
  TRAIN_FIELDS,
  TRAIN_PRESETS,
} from '../../src/core/train/config.ts';

describe('training configuration', () => {
  it('takes every default from the one field table', () => {
    for (const key of TRAIN_FIELD_KEYS) expect(DEFAULT_TRAIN_CONFIG[key]).toBe(TRAIN_FIELDS[key].default);
    expect(parseTrainConfig({})).toEqual(DEFAULT_TRAIN_CONFIG);
  });

  it('gives every field a label and help text, and defaults inside their bounds', () => {
    for (const key of TRAIN_FIELD_KEYS) {
      const spec = TRAIN_FIELDS[key];
      expect(spec.label.length).toBeGreaterThan(0);
      expect(spec.help.length).toBeGreaterThan(10);
      if (spec.kind === 'text') expect(spec.validate(spec.default)).toBeUndefined();
      else if (spec.kind !== 'choice') {
        expect(spec.default).toBeGreaterThanOrEqual(spec.min);
        expect(spec.default).toBeLessThanOrEqual(spec.max);
      }
    }
  });

  it('reads the encoder field: builtin, a Hub id (with a revision), a URL or a picked folder', () => {
    expect(parseEncoderSource('builtin')).toEqual({ kind: 'builtin' });
    expect(parseEncoderSource('prajjwal1/bert-tiny')).toEqual({
      kind: 'hub',
      id: 'prajjwal1/bert-tiny',
      revision: 'main',
    });
    expect(parseEncoderSource('BAAI/bge-small-en-v1.5@v2')).toEqual({
      kind: 'hub',
      id: 'BAAI/bge-small-en-v1.5',
      revision: 'v2',
    });
    expect(parseEncoderSource('https://example.org/models/tiny/')).toEqual({
      kind: 'url',
      url: 'https://example.org/models/tiny',
    });
    expect(parseEncoderSource('folder:my-bert')).toEqual({ kind: 'folder', name: 'my-bert' });
    expect(() => parseEncoderSource('../../etc/passwd')).toThrow('is not an encoder RM Lab can load');
    expect(() => parseTrainConfig({ encoder: 'a b' })).toThrow('Encoder (encoder): "a b" is not an encoder');
  });

  it('names the field and the reason when a value is wrong', () => {
    expect(() => parseTrainConfig({ batchSize: 0 })).toThrow('Batch size (batchSize) must be between 1 and 256, got 0');
    expect(() => parseTrainConfig({ nLayers: 1.5 })).toThrow('Layers (nLayers) must be a whole number, got 1.5');
    expect(() => parseTrainConfig({ learningRate: 'fast' })).toThrow('Learning rate (learningRate) must be a number');
    expect(() => parseTrainConfig({ backend: 'tpu' })).toThrow(
      'Backend (backend) must be one of auto, webgpu, webgl, wasm, cpu',
    );
    expect(() => parseTrainConfig({ dModel: 30, nHeads: 4 })).toThrow('must divide Model width');
    expect(() => parseTrainConfig(null)).toThrow('must be an object');
  });

  it('keeps valid values', () => {
    const c = parseTrainConfig({ dModel: 32, nHeads: 2, backend: 'wasm', learningRate: 0.01 });
    expect(c).toMatchObject({
      dModel: 32,
      nHeads: 2,
      backend: 'wasm',
      learningRate: 0.01,
      nLayers: DEFAULT_TRAIN_CONFIG.nLayers,
    });
  });

  it('has presets that are valid configurations, balanced being the defaults', () => {
    for (const p of TRAIN_PRESETS) expect(() => presetConfig(p.id)).not.toThrow();
    expect(presetConfig('balanced')).toEqual(DEFAULT_TRAIN_CONFIG);
    expect(presetConfig('quick')).toMatchObject({ dModel: 32, nLayers: 1, epochs: 1, seed: DEFAULT_TRAIN_CONFIG.seed });
    expect(() => presetConfig('nope')).toThrow('no preset nope');
    const mine = { ...DEFAULT_TRAIN_CONFIG, splitSeed: 9, backend: 'wasm' as const, dModel: 256, nHeads: 8 };
    expect(applyPreset(mine, 'quick')).toMatchObject({ splitSeed: 9, backend: 'wasm', dModel: 32, nHeads: 2 });
  });
});
