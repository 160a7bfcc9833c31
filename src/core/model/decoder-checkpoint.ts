// Hugging Face decoder checkpoints in and out (GPT-2, Llama/SmolLM2, Qwen2): config.json ->
// DecoderConfig, a checkpoint's tensors -> the encoder's weights and, where the checkpoint is a
// one-label *ForSequenceClassification (a shared reward model, or RM Lab's own export), its `score`
// head; and a trained model -> a *ForSequenceClassification folder's config and tensors.
//
// The parameter tables in encoders/gpt2.ts and encoders/llama.ts name each tensor both ways, so the
// loader and the export cannot drift apart. The base model's tensors sit under 'transformer.' (GPT-2)
// or 'model.' (Llama, Qwen2) in causal-LM and sequence-classification checkpoints, at the top in
// base-model ones; lm_head (tied or not) is ignored, since a reward model predicts no tokens.
import { readGpt2Config, readLlamaConfig, type DecoderConfig } from './encoders/decoder-config.ts';
import type { DecoderParam } from './encoders/decoder-params.ts';
import { gpt2Params } from './encoders/gpt2.ts';
import { llamaParams } from './encoders/llama.ts';
import type { NamedWeight } from './reward-model.ts';
import type { SafetensorsTensor } from './safetensors.ts';

/** The model_types this module builds. */
export const DECODER_TYPES = ['gpt2', 'llama', 'qwen2'] as const;

/** config.json (parsed) -> the family's config, or a plain error naming the field. */
export function readDecoderConfig(configJson: Record<string, unknown>): DecoderConfig {
  return configJson.model_type === 'gpt2' ? readGpt2Config(configJson) : readLlamaConfig(configJson);
}

export function decoderParams(config: DecoderConfig): DecoderParam[] {
  return config.modelType === 'gpt2' ? gpt2Params(config) : llamaParams(config);
}

/** Where the base model's tensors sit in a *ForCausalLM or *ForSequenceClassification checkpoint. */
export function basePrefix(config: DecoderConfig): string {
  return config.modelType === 'gpt2' ? 'transformer.' : 'model.';
}

/** The *ForSequenceClassification class an export names. */
export function sequenceClassificationClass(config: DecoderConfig): string {
  return {
    gpt2: 'GPT2ForSequenceClassification',
    llama: 'LlamaForSequenceClassification',
    qwen2: 'Qwen2ForSequenceClassification',
  }[config.modelType];
}

/** A row-major [rows, cols] matrix -> its transpose [cols, rows]. */
function transpose(data: Float32Array, [rows, cols]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows!; r++) for (let c = 0; c < cols!; c++) out[c * rows! + r] = data[r * cols! + c]!;
  return out;
}

/**
 * The encoder's weights (RM Lab names, tfjs orientation) from a checkpoint's tensors, and the
 * reward head when the checkpoint has a one-output `score` (HF's [1, D], as RM Lab's [D, 1] head;
 * HF's score has no bias). A missing tensor or a shape that does not match config.json is an error
 * listing every such tensor.
 */
export function decoderEncoderWeights(
  config: DecoderConfig,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
): { weights: NamedWeight[]; score?: NamedWeight } {
  const params = decoderParams(config);
  const first = params[0]!.hfName;
  const prefix = [basePrefix(config), ''].find((p) => tensors.has(p + first));
  if (prefix === undefined) {
    const seen = [...tensors.keys()].slice(0, 3).join(', ');
    throw new Error(
      `the checkpoint has no ${basePrefix(config)}${first} (nor ${first}), so it is not a ${config.modelType} checkpoint; ` +
        `its first tensors are ${seen || 'none'}`,
    );
  }
  const weights: NamedWeight[] = [];
  const problems: string[] = [];
  for (const p of params) {
    const hfShape = p.transposed ? [...p.shape].reverse() : p.shape;
    const found = tensors.get(prefix + p.hfName);
    if (!found) problems.push(`${prefix}${p.hfName} is missing (expected shape [${hfShape}])`);
    else if (found.shape.join('x') !== hfShape.join('x')) {
      problems.push(`${prefix}${p.hfName} has shape [${found.shape}], expected [${hfShape}]`);
    } else
      weights.push({ name: p.name, shape: p.shape, data: p.transposed ? transpose(found.data, hfShape) : found.data });
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; and ${problems.length - 6} more` : '');
    throw new Error(`the checkpoint does not match its config.json: ${listed}`);
  }
  return { weights, score: scoreHead(config, tensors) };
}

function scoreHead(config: DecoderConfig, tensors: ReadonlyMap<string, SafetensorsTensor>): NamedWeight | undefined {
  const score = tensors.get('score.weight');
  if (!score) return undefined;
  const D = config.hiddenSize;
  if (score.shape.join('x') !== `1x${D}`) {
    throw new Error(
      `score.weight has shape [${score.shape}]: RM Lab opens a reward model with one output ([1, ${D}]), ` +
        'not a classifier with several labels',
    );
  }
  if (tensors.has('score.bias')) throw new Error('score.bias is present; HF decoder reward heads have no bias');
  return { name: 'head.weight', shape: [D, 1], data: score.data }; // [1, D] and [D, 1] hold the same values in order
}

/**
 * RM Lab weights (encoder and head.weight) -> tensors under HF's *ForSequenceClassification names
 * and orientation: the base model under its prefix, then score.weight [1, D]. Used by the export and
 * by the reference tests, which compare gradients under HF's names.
 */
export function toHuggingFaceDecoderTensors(config: DecoderConfig, weights: readonly NamedWeight[]): NamedWeight[] {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const get = (name: string, hf: string) => {
    const w = byName.get(name);
    if (!w) throw new Error(`the model has no weight ${name} (HF's ${hf})`);
    return w;
  };
  const prefix = basePrefix(config);
  const out = decoderParams(config).map((p): NamedWeight => {
    const w = get(p.name, p.hfName);
    if (!p.transposed) return { name: prefix + p.hfName, shape: w.shape, data: w.data };
    return { name: prefix + p.hfName, shape: [...w.shape].reverse(), data: transpose(w.data, w.shape) };
  });
  const head = get('head.weight', 'score.weight');
  out.push({ name: 'score.weight', shape: [1, config.hiddenSize], data: head.data });
  return out;
}
