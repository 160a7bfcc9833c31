// What one Hugging Face model family gives RM Lab, so the loader, the reward model and the export
// ask the registry (registry.ts) instead of knowing each family: the model_type values it builds,
// how its config.json reads, its tokenizer files, its encoder, its tensor names (one table, read by
// the loader and the export alike, so they cannot drift apart) and the pooling its
// *ForSequenceClassification uses. One file per family beside this one.
import type { Encoder, Pooling } from '../encoders/encoder.ts';

/** The token ids a config needs from the tokenizer (config.json need not carry them). */
export interface SpecialIds {
  sepTokenId: number;
  padTokenId: number;
}

/** What every family's config has: the loader, the page and the memory checks read these. */
export interface FamilyConfig {
  /** config.json's model_type, e.g. 'bert', 'roberta': the registry finds the family by it. */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** The longest sequence the model reads (for RoBERTa: its position table less the padding offset). */
  maxPositions: number;
  padTokenId: number;
}

/** How a parameter starts when it is not loaded (HF's _init_weights). */
export type ParamInit = 'normal' | 'zeros' | 'ones';

export interface EncoderParam {
  name: string;
  shape: number[];
  init: ParamInit;
}

/** A weight given to an encoder instead of a random start (tfjs orientation, float32). */
export interface InitialWeight {
  shape: number[];
  data: Float32Array;
}

/** One row of a family's tensor table: RM Lab's name, HF's name, orientation, where it sits. */
export interface TensorMapping {
  name: string;
  /** HF's name: inside the base model for 'encoder' rows, at the top of *ForSequenceClassification for 'head' rows. */
  hfName: string;
  /** HF's nn.Linear weight [out, in] against RM Lab's [in, out]. */
  transpose: boolean;
  /** 'encoder' tensors live under the base model ('bert.' in BertFor* checkpoints); 'head' ones at the top. */
  part: 'encoder' | 'head';
  /**
   * A tensor a bare-model checkpoint may lack (BERT's pooler, RoBERTa's classifier.dense): it then
   * starts as HF initialises it, and the loader says so.
   */
  fresh?: boolean;
}

/** A tokenizer.json built from older tokenizer files (vocab.txt; vocab.json + merges.txt), as transformers' converters do. */
export interface TokenizerFromFiles {
  /** The files it reads, first the one whose presence selects it. */
  files: readonly string[];
  build(files: Map<string, string>, tokenizerConfig: Record<string, unknown>): object;
}

export interface EncoderFamily<C extends FamilyConfig = FamilyConfig> {
  /** config.json model_type values this family builds. */
  readonly modelTypes: readonly string[];
  /** What the "supported" message says the family covers. */
  readonly covers: string;
  /** The *ForSequenceClassification architecture its export writes. */
  readonly architecture: string;
  /** The base model's name inside *ForSequenceClassification state dicts ('bert.'); bare-model checkpoints have none. */
  readonly basePrefix: string;
  /** The pooling its *ForSequenceClassification uses: what a run from it pools by unless asked otherwise. */
  readonly defaultPooling: Pooling;
  /**
   * The one pooling the family builds, whatever the form asks (decoders: the last real token, the
   * only position a causal model has read the whole pair at). Absent: every pooling.
   */
  readonly onlyPooling?: Pooling;
  /**
   * The SentencePiece model its repositories may carry instead of tokenizer.json
   * ('sentencepiece.bpe.model' for XLM-RoBERTa, 'tokenizer.model' for Llama), which RM Lab does not
   * read: named in the refusal when tokenizer.json is missing, with how to make one.
   */
  readonly sentencePieceFile?: string;
  /** Whether its reward head has a bias (BERT's classifier does; decoders' bias-free `score` does not). Default true. */
  readonly headBias?: boolean;
  /** The tokenizer class and special tokens its export's tokenizer_config.json names (the model's own settings win). */
  readonly tokenizerClass: string;
  /** Decoders name none here: their eos and pad come from their own tokenizer (export/hf-zip.ts). */
  readonly specialTokens: Readonly<
    Partial<Record<'cls_token' | 'sep_token' | 'pad_token' | 'unk_token' | 'mask_token', string>>
  >;
  /** Older tokenizer files it can read when a repository has no tokenizer.json, in order of preference. */
  readonly tokenizerFiles: readonly TokenizerFromFiles[];
  /** config.json (a parsed object, model_type already checked) -> config; throws naming the field and why. */
  readConfig(configJson: Record<string, unknown>, special: SpecialIds): C;
  /** Every encoder parameter by RM Lab's name, in tfjs orientation. */
  params(config: C, pooling: Pooling): EncoderParam[];
  /** The tensor table, in HF's state_dict order, ending with the reward head's rows. */
  table(config: C, pooling: Pooling): TensorMapping[];
  /** The encoder, random as HF initialises it (seeded) or from `weights` (every parameter, nothing half-loads). */
  build(config: C, pooling: Pooling, seed: number, weights?: ReadonlyMap<string, InitialWeight>): Encoder;
  /**
   * The family's own config.json fields for its *ForSequenceClassification export, or a plain reason
   * why this pooling cannot be exported (its class pools one way only).
   */
  exportConfig(config: C, pooling: Pooling): Record<string, unknown> | { refused: string };
}

/** Reads config.json fields with one message shape for every family: "config.json: FIELD must be ..., got ...". */
export function configFields(c: Record<string, unknown>) {
  const int = (field: string, fallback?: number, min = 1): number => {
    const v = c[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      const kind = min === 0 ? 'a whole number' : 'a positive integer';
      throw new Error(`config.json: ${field} must be ${kind}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const positive = (field: string, fallback: number): number => {
    const v = c[field] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) {
      throw new Error(`config.json: ${field} must be a positive number, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  return { int, positive };
}

/** Refuses special ids that have no row in the vocabulary. */
export function checkSpecialIds(special: SpecialIds, vocabSize: number): void {
  for (const [field, id] of Object.entries(special)) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(`the tokenizer's ${field} ${id} is outside the model's vocabulary of ${vocabSize}`);
    }
  }
}

/** BERT-style activations as config.json names them; gelu_pytorch_tanh is gelu_new (the tanh form) by torch's name. */
export function readActivation(field: string, value: unknown): 'gelu' | 'gelu_new' | 'relu' {
  const act = value === 'gelu_pytorch_tanh' ? 'gelu_new' : value;
  if (act !== 'gelu' && act !== 'gelu_new' && act !== 'relu') {
    throw new Error(
      `config.json: ${field} ${JSON.stringify(value)} is not supported; RM Lab supports gelu (exact), gelu_new (tanh) and relu`,
    );
  }
  return act;
}
