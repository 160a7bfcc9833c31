// Which of a reward model's parameters train, and which keep their starting weights (frozen).
//
// Freezing the lower layers of a pretrained encoder is the cheap half of parameter-efficient
// training: a frozen weight gets no gradient (variableGrads is not asked for it), no Adam moments
// and no update, so a frozen 100M encoder costs its weights and its activations, not 3x more for
// gradients and optimizer state. Every family names its parameters RM Lab's way (families/*.ts,
// encoders/transformer.ts): `embeddings.*`, then `layers.<l>.*` from the bottom, then what sits on top
// (BERT's pooler, the built-in encoder's final LayerNorm), then the reward head (`head.*`, `length.*`).
// So the rule needs no list per family:
//   frozenLayers = 0          nothing frozen (word embeddings by embeddingTraining alone)
//   0 < k < layers            the embeddings and layers 0 .. k-1
//   k >= layers               the whole encoder: the head alone trains (the linear probe)
// With LoRA (model/lora.ts) the whole base model is frozen, LayerNorms, embeddings and biases
// included (PEFT's default, bias 'none'), and what trains is the adapters' A and B, the reward head,
// and whatever else sits in the family's Hugging Face head module (RoBERTa's and ELECTRA's
// classifier.dense, DistilBERT's pre_classifier: PEFT's modules_to_save for SEQ_CLS, which matches
// 'classifier' and 'score' by suffix, trains them too).
//
// This file is the one place that says which variables train: the trainer, the memory plan and the
// checkpoints all ask trainedNames.
import type { ModelSpec } from '../model/reward-model.ts';
import { isLoraParam, loraHeadNames } from '../model/lora.ts';

/** The reward model's own weights, which always train. */
function isHead(name: string): boolean {
  return name.startsWith('head.') || name.startsWith('length.');
}

/** The layer a parameter belongs to, or undefined for one outside the layer stack. */
function layerOf(name: string): number | undefined {
  const m = /^layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** How many layers an encoder has, from its parameter names. */
export function layerCount(names: Iterable<string>): number {
  let n = 0;
  for (const name of names) n = Math.max(n, (layerOf(name) ?? -1) + 1);
  return n;
}

export interface FreezeChoice {
  /** Lower layers to freeze (with the embeddings); the layer count or more freezes the whole encoder. */
  frozenLayers: number;
  /** 'freeze' keeps the word embeddings as they start whatever frozenLayers says. */
  embeddingTraining: 'train' | 'freeze';
  /** LoRA is on: only adapters, the head and these tensors of the family's head module train (frozenLayers aside). */
  lora?: { withHead: readonly string[] };
}

/** The model's freezing: the form's choice, and LoRA where the model's spec has adapters. */
export function freezeChoiceOf(spec: ModelSpec, choice: Omit<FreezeChoice, 'lora'>): FreezeChoice {
  const { frozenLayers, embeddingTraining } = choice;
  if (!('lora' in spec) || !spec.lora) return { frozenLayers, embeddingTraining };
  return { frozenLayers, embeddingTraining, lora: { withHead: loraHeadNames(spec) } };
}

/** Whether a parameter is frozen under `choice` in an encoder of `layers` layers. */
export function isFrozen(name: string, layers: number, choice: FreezeChoice): boolean {
  if (isHead(name)) return false;
  if (choice.lora) return !isLoraParam(name) && !choice.lora.withHead.includes(name);
  if (name === 'embeddings.word' && choice.embeddingTraining === 'freeze') return true;
  const k = choice.frozenLayers;
  if (k <= 0) return false;
  if (k >= layers) return true; // all but the head
  if (name.startsWith('embeddings.')) return true;
  const l = layerOf(name);
  return l !== undefined && l < k;
}

/**
 * Weights a model never trains, whatever the choice: DistilBERT's sinusoidal position table (HF
 * sets requires_grad False on it).
 */
export function fixedWeights(spec: ModelSpec): Set<string> {
  return new Set(spec.encoder === 'bert' && spec.bert.fixedPositions ? ['embeddings.position'] : []);
}

/** The names that train, in the model's order (`spec`: the model's own fixed weights left out too). */
export function trainedNames(names: readonly string[], choice: FreezeChoice, spec?: ModelSpec): string[] {
  const layers = layerCount(names);
  const fixed = spec ? fixedWeights(spec) : new Set<string>();
  return names.filter((name) => !fixed.has(name) && !isFrozen(name, layers, choice));
}
