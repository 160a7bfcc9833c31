// The tensor table of a decoder family (gpt2.ts, llama.ts), from its parameter list: every
// parameter's row under the base model's prefix, then the reward head as HF's bias-free
// `score.weight` [1, D] (RM Lab's head.weight is [D, 1]: the same values, so "transposed" is free).
import type { DecoderParam } from '../encoders/decoder-params.ts';
import type { EncoderParam, TensorMapping } from './family.ts';

export function decoderTable(params: DecoderParam[]): TensorMapping[] {
  return [
    ...params.map((p): TensorMapping => ({ name: p.name, hfName: p.hfName, transpose: p.transposed, part: 'encoder' })),
    { name: 'head.weight', hfName: 'score.weight', transpose: true, part: 'head' },
  ];
}

export function encoderParams(params: DecoderParam[]): EncoderParam[] {
  return params.map(({ name, shape, init }) => ({ name, shape, init }));
}
