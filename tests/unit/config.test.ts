import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRAIN_CONFIG,
  parseEncoderSource,
  parseTrainConfig,
  applyPreset,
  presetConfig,
  readFieldText,
  setField,
  TrainConfigError,
  type FieldSpec,
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

describe('one reading of a field from text (link, CLI, form)', () => {
  it('reads a number field as a number and any other field as its text', () => {
    expect(readFieldText('epochs', ' 4 ')).toBe(4);
    expect(readFieldText('learningRate', '1e-3')).toBe(0.001);
    expect(readFieldText('pooling', 'mean')).toBe('mean');
    expect(readFieldText('encoder', 'prajjwal1/bert-tiny')).toBe('prajjwal1/bert-tiny');
  });

  it('refuses a number field that is not a number with an error typed with its field', () => {
    for (const text of ['lots', '', '1e', 'Infinity']) {
      const error = (() => {
        try {
          readFieldText('epochs', text);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(TrainConfigError);
      expect((error as TrainConfigError).field).toBe('epochs');
      expect((error as Error).message).toContain('Epochs (epochs) must be a number');
    }
  });

  it('setField writes the value read from text', () => {
    const config = { ...DEFAULT_TRAIN_CONFIG };
    setField(config, 'batchSize', '32');
    setField(config, 'ties', 'davidson');
    expect(config).toMatchObject({ batchSize: 32, ties: 'davidson' });
    expect(() => setField(config, 'batchSize', 'x')).toThrow(TrainConfigError);
    expect(config.batchSize).toBe(32);
  });

  it('types the errors of parseTrainConfig with their field, and a rule across fields as such', () => {
    const caught = (input: unknown) => {
      try {
        parseTrainConfig(input);
      } catch (e) {
        return e as TrainConfigError;
      }
      throw new Error('expected a refusal');
    };
    expect(caught({ batchSize: 0 })).toMatchObject({ field: 'batchSize', acrossFields: false });
    expect(caught({ pooling: 'max' })).toMatchObject({ field: 'pooling', acrossFields: false });
    expect(caught({ dModel: 30, nHeads: 4 })).toMatchObject({ field: 'nHeads', acrossFields: true });
  });
});

describe('side lists as field attributes', () => {
  const flagged = (attribute: 'builtinOnly' | 'keptByPresets' | 'inNode' | 'webgpuOnly') =>
    TRAIN_FIELD_KEYS.filter((k) => (TRAIN_FIELDS[k] as FieldSpec)[attribute] !== undefined).sort();

  it('marks the fields only the built-in encoder uses, those presets keep, and those the CLI explains', () => {
    expect(flagged('builtinOnly')).toEqual([
      'dModel',
      'embeddingInit',
      'embeddingTraining',
      'nHeads',
      'nLayers',
      'vocabularySize',
    ]);
    expect(flagged('keptByPresets')).toEqual([
      'backend',
      'heldOutFraction',
      'splitSeed',
      'stratify',
      'validationFraction',
    ]);
    expect(flagged('inNode')).toEqual(['backend', 'checkpointEvery', 'frozenWeights']);
    expect(flagged('webgpuOnly')).toEqual(['frozenWeights']);
  });
});

describe('frozen weights in f16', () => {
  it('is off by default and refused, naming the field and the backend, on a backend other than WebGPU', () => {
    expect(DEFAULT_TRAIN_CONFIG.frozenWeights).toBe('f32');
    for (const backend of ['wasm', 'cpu', 'webgl']) {
      const error = (() => {
        try {
          parseTrainConfig({ frozenWeights: 'f16', backend, frozenLayers: 1 });
        } catch (e) {
          return e as TrainConfigError;
        }
      })();
      expect(error).toBeInstanceOf(TrainConfigError);
      expect(error!.field).toBe('frozenWeights');
      expect(error!.message).toContain(`WebGPU backend only, and this run is on ${backend}`);
    }
    // WebGPU, and auto (checked by the trainer once the run has a backend), are accepted.
    expect(parseTrainConfig({ frozenWeights: 'f16', backend: 'webgpu' }).frozenWeights).toBe('f16');
    expect(parseTrainConfig({ frozenWeights: 'f16', backend: 'auto' }).frozenWeights).toBe('f16');
    expect(() => parseTrainConfig({ frozenWeights: 'f8' })).toThrow(
      /Frozen weights \(frozenWeights\) must be one of f32, f16/,
    );
  });
});
