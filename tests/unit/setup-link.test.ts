import { describe, expect, it } from 'vitest';
import { decodeSetup, encodeSetup } from '../../src/core/share/setup-link.ts';
import { DEFAULT_TRAIN_CONFIG } from '../../src/core/train/config.ts';

describe('setup links', () => {
  it('leave defaults out', () => {
    expect(encodeSetup({ config: DEFAULT_TRAIN_CONFIG })).toBe('');
    expect(encodeSetup({ dataset: 'demo', config: { ...DEFAULT_TRAIN_CONFIG, dModel: 32, backend: 'wasm' } })).toBe(
      'dataset=demo&dModel=32&backend=wasm',
    );
  });

  it('round-trip every field', () => {
    const config = {
      ...DEFAULT_TRAIN_CONFIG,
      dModel: 32,
      nHeads: 2,
      learningRate: 0.0003,
      pooling: 'mean' as const,
      stratify: 'task_type' as const,
      heldOutFraction: 0.2,
      splitSeed: 7,
    };
    const hash = encodeSetup({ dataset: 'demo', config });
    expect(decodeSetup(`#${hash}`)).toEqual({ dataset: 'demo', config });
    expect(decodeSetup('')).toEqual({ dataset: undefined, config: DEFAULT_TRAIN_CONFIG });
  });

  it('name the setting a bad link gets wrong', () => {
    expect(() => decodeSetup('#epochs=lots')).toThrow('Epochs (epochs) must be a number');
    expect(() => decodeSetup('#epochs=')).toThrow('Epochs (epochs) must be a number');
    expect(() => decodeSetup('#batchSize=0')).toThrow('Batch size (batchSize) must be between 1 and 256, got 0');
    expect(() => decodeSetup('#pooling=max')).toThrow('Pooling (pooling) must be one of cls, mean');
    expect(() => decodeSetup('#learningrate=0.1')).toThrow('the link has an unknown setting "learningrate"');
    expect(() => decodeSetup('#dataset=mine')).toThrow('the link\'s dataset must be "demo"');
  });
});
