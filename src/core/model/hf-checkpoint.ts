// Hugging Face BERT checkpoints in and out: config.json -> BertConfig, the checkpoint's tensors ->
// the encoder's weights, and a trained reward model -> a BertForSequenceClassification checkpoint
// (num_labels 1) that transformers in Python loads and scores the same.
//
// One table (BERT_TABLE) maps RM Lab's parameter names to HF's, with each tensor's orientation; the
// loader and the export both read it, so they cannot drift apart. HF's nn.Linear stores its weight
// as [out, in] and computes x W^T; RM Lab's dense() computes x W with W as [in, out]: linear weights
// are transposed on the way in and on the way out. Everything else (embeddings, biases, LayerNorm)
// has the same layout in both.
import type { BertConfig } from './encoders/bert-config.ts';
import { bertParams } from './encoders/bert.ts';
import type { Pooling } from './encoders/encoder.ts';
import type { BertModelSpec, ModelSpec, NamedWeight } from './reward-model.ts';
import type { SafetensorsTensor } from './safetensors.ts';
import { mulberry32 } from '../train/shuffle.ts';

const SUPPORTED =
  "RM Lab supports model_type 'bert' (BERT, MiniLM, BGE-small, GTE-small and other BertModel checkpoints)";

/**
 * config.json (already parsed) -> BertConfig, or one plain error naming what the file holds and
 * what is supported. `special` holds the tokenizer's [SEP] and [PAD] ids (config.json need not).
 * Defaults are HF BertConfig's for the optional fields checkpoints sometimes omit.
 */
export function readBertConfig(configJson: unknown, special: { sepTokenId: number; padTokenId: number }): BertConfig {
  if (typeof configJson !== 'object' || configJson === null || Array.isArray(configJson)) {
    const got = configJson === undefined ? 'nothing' : JSON.stringify(configJson).slice(0, 40);
    throw new Error(`config.json is missing or not a JSON object (got ${got}); ${SUPPORTED}`);
  }
  const c = configJson as Record<string, unknown>;
  if (c.model_type !== 'bert') {
    const got = c.model_type === undefined ? 'no model_type' : `model_type ${JSON.stringify(c.model_type)}`;
    const arch = Array.isArray(c.architectures) ? ` (${c.architectures.join(', ')})` : '';
    throw new Error(`config.json has ${got}${arch}, which RM Lab cannot build; ${SUPPORTED}`);
  }
  const int = (field: string, fallback?: number): number => {
    const v = c[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new Error(`config.json: ${field} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`config.json: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);
  }
  const positionType = c.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw new Error(
      `config.json: position_embedding_type ${JSON.stringify(positionType)} is not supported; RM Lab builds 'absolute' position embeddings only`,
    );
  }
  if (c.is_decoder === true) throw new Error('config.json: is_decoder is true; RM Lab builds BERT as an encoder only');
  const act = c.hidden_act ?? 'gelu';
  // gelu_pytorch_tanh is the same function as gelu_new (the tanh approximation), named by torch.
  const hiddenAct = act === 'gelu_pytorch_tanh' ? 'gelu_new' : act;
  if (hiddenAct !== 'gelu' && hiddenAct !== 'gelu_new' && hiddenAct !== 'relu') {
    throw new Error(
      `config.json: hidden_act ${JSON.stringify(act)} is not supported; RM Lab supports gelu (exact), gelu_new (tanh) and relu`,
    );
  }
  const eps = c.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0)) {
    throw new Error(`config.json: layer_norm_eps must be a positive number, got ${JSON.stringify(eps)}`);
  }
  const vocabSize = int('vocab_size');
  for (const [field, id] of Object.entries(special)) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(`the tokenizer's ${field} ${id} is outside the model's vocabulary of ${vocabSize}`);
    }
  }
  return {
    modelType: 'bert',
    vocabSize,
    hiddenSize,
    numLayers: int('num_hidden_layers'),
    numHeads,
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: eps,
    hiddenAct,
    sepTokenId: special.sepTokenId,
    padTokenId: special.padTokenId,
  };
}

/** One row of the mapping: RM Lab's name, HF's name (inside BertModel, or at the top for the head), orientation. */
export interface TensorMapping {
  name: string;
  hfName: string;
  /** HF's nn.Linear weight [out, in] against RM Lab's [in, out]. */
  transpose: boolean;
  /** 'encoder' tensors live under BertModel ('bert.' in BertFor* checkpoints); the head does not. */
  part: 'encoder' | 'head';
}

/**
 * The mapping table for a config and pooling, in HF's state_dict order: embeddings, each layer,
 * the pooler ('cls' only), then the classifier (RM Lab's head).
 */
export function bertTable(config: BertConfig, pooling: Pooling): TensorMapping[] {
  const rows: TensorMapping[] = [];
  const same = (name: string, hfName: string) => rows.push({ name, hfName, transpose: false, part: 'encoder' });
  const linear = (name: string, hf: string) => {
    rows.push({ name: `${name}.weight`, hfName: `${hf}.weight`, transpose: true, part: 'encoder' });
    same(`${name}.bias`, `${hf}.bias`);
  };
  const layerNorm = (name: string, hf: string) => {
    same(`${name}.gamma`, `${hf}.weight`);
    same(`${name}.beta`, `${hf}.bias`);
  };
  same('embeddings.word', 'embeddings.word_embeddings.weight');
  same('embeddings.position', 'embeddings.position_embeddings.weight');
  same('embeddings.token_type', 'embeddings.token_type_embeddings.weight');
  layerNorm('embeddings.ln', 'embeddings.LayerNorm');
  for (let l = 0; l < config.numLayers; l++) {
    const [p, hf] = [`layers.${l}`, `encoder.layer.${l}`];
    linear(`${p}.attn.query`, `${hf}.attention.self.query`);
    linear(`${p}.attn.key`, `${hf}.attention.self.key`);
    linear(`${p}.attn.value`, `${hf}.attention.self.value`);
    linear(`${p}.attn.out`, `${hf}.attention.output.dense`);
    layerNorm(`${p}.attn.ln`, `${hf}.attention.output.LayerNorm`);
    linear(`${p}.mlp.in`, `${hf}.intermediate.dense`);
    linear(`${p}.mlp.out`, `${hf}.output.dense`);
    layerNorm(`${p}.mlp.ln`, `${hf}.output.LayerNorm`);
  }
  if (pooling === 'cls') linear('pooler', 'pooler.dense');
  rows.push({ name: 'head.weight', hfName: 'classifier.weight', transpose: true, part: 'head' });
  rows.push({ name: 'head.bias', hfName: 'classifier.bias', transpose: false, part: 'head' });
  return rows;
}

/** Where BertModel's tensors sit: under 'bert.' in BertFor* checkpoints, at the top in BertModel ones. */
const PREFIXES = ['', 'bert.'];

/**
 * The encoder's weights (RM Lab names, tfjs orientation) from a checkpoint's tensors. Heads the
 * reward model does not use (cls.predictions.*, a classifier, ...) are ignored. A checkpoint
 * without pooler weights (some sentence-transformers exports) gets a fresh pooler, N(0, 0.02^2)
 * weight and zero bias as HF initialises it, from a fixed seed so loading twice gives the same
 * model; `initialised` names those tensors (HF names) for the loader to report. Any other missing
 * tensor, or a shape that does not match the config, is an error listing every such tensor.
 */
export function bertEncoderWeights(
  spec: BertModelSpec,
  tensors: Map<string, SafetensorsTensor>,
): { weights: NamedWeight[]; initialised: string[] } {
  const prefix = PREFIXES.find((p) => tensors.has(`${p}embeddings.word_embeddings.weight`));
  if (prefix === undefined) {
    const seen = [...tensors.keys()].slice(0, 3).join(', ');
    throw new Error(
      `the checkpoint has no embeddings.word_embeddings.weight (nor bert.embeddings.word_embeddings.weight), ` +
        `so it is not a BERT checkpoint; its first tensors are ${seen || 'none'}`,
    );
  }
  const shapes = new Map(bertParams(spec.bert, spec.pooling).map((p) => [p.name, p.shape]));
  const weights: NamedWeight[] = [];
  const initialised: string[] = [];
  const problems: string[] = [];
  for (const row of bertTable(spec.bert, spec.pooling)) {
    if (row.part !== 'encoder') continue;
    const shape = shapes.get(row.name)!;
    const hfShape = row.transpose ? [...shape].reverse() : shape;
    const hfName = `${prefix}${row.hfName}`;
    // Checkpoints converted from the original TensorFlow BERT call LayerNorm's weight and bias gamma and beta.
    const legacy = hfName
      .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
      .replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
    const found = tensors.get(hfName) ?? tensors.get(legacy);
    if (!found) {
      if (row.name.startsWith('pooler.')) {
        initialised.push(row.hfName);
        weights.push({ name: row.name, shape, data: freshPoolerTensor(row.name, shape) });
      } else problems.push(`${hfName} is missing (expected shape [${hfShape}])`);
      continue;
    }
    if (found.shape.join('x') !== hfShape.join('x')) {
      problems.push(`${hfName} has shape [${found.shape}], expected [${hfShape}]`);
      continue;
    }
    weights.push({ name: row.name, shape, data: row.transpose ? transpose(found.data, hfShape) : found.data });
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; and ${problems.length - 6} more` : '');
    throw new Error(`the checkpoint does not match its config.json: ${listed}`);
  }
  return { weights, initialised };
}

/** HF's _init_weights for the pooler's Linear: weight N(0, 0.02^2), bias 0 (Box-Muller over a seeded generator). */
function freshPoolerTensor(name: string, shape: number[]): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  if (name.endsWith('.bias')) return out;
  const random = mulberry32(20240229);
  for (let i = 0; i < count; i++) {
    const u = 1 - random(); // (0, 1]: log(u) is finite
    out[i] = 0.02 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

/** A row-major [rows, cols] matrix -> its transpose [cols, rows]. */
function transpose(data: Float32Array, [rows, cols]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows!; r++) for (let c = 0; c < cols!; c++) out[c * rows! + r] = data[r * cols! + c]!;
  return out;
}

/**
 * RM Lab weights -> tensors under HF's BertForSequenceClassification names and orientation, for
 * every row of the table that the weights hold ('cls' pooling adds the pooler). Used by the export
 * and by the reference tests, which compare gradients under HF's names.
 */
export function toHuggingFaceTensors(spec: BertModelSpec, weights: NamedWeight[]): NamedWeight[] {
  const byName = new Map(weights.map((w) => [w.name, w]));
  return bertTable(spec.bert, spec.pooling).map((row) => {
    const w = byName.get(row.name);
    if (!w) throw new Error(`the model has no weight ${row.name} (HF's ${row.hfName})`);
    const hfName = row.part === 'encoder' ? `bert.${row.hfName}` : row.hfName;
    if (!row.transpose) return { name: hfName, shape: w.shape, data: w.data };
    return { name: hfName, shape: [...w.shape].reverse(), data: transpose(w.data, w.shape) };
  });
}

/**
 * A BERT-family reward model as HF's BertForSequenceClassification with one label: config.json
 * and the tensors of its state_dict (write them with writeSafetensors as model.safetensors). In
 * Python, `AutoModelForSequenceClassification.from_pretrained(folder)(**batch).logits[:, 0]` is then
 * the reward. Only 'cls' pooling can be exported this way: that class pools through [CLS] and its
 * pooler, so a mean- or last-token model has no equivalent in it.
 */
export function toHuggingFaceSequenceClassification(
  spec: ModelSpec,
  weights: NamedWeight[],
): { config: object; tensors: NamedWeight[] } {
  if (spec.encoder !== 'bert') {
    throw new Error(
      "only BERT-family models export as a Hugging Face checkpoint; the built-in encoder has no transformers class (use RM Lab's model file)",
    );
  }
  if (spec.pooling !== 'cls') {
    throw new Error(
      `this model pools by ${spec.pooling === 'mean' ? 'the mean of its tokens' : 'its last token'}, and HF's ` +
        "BertForSequenceClassification pools through [CLS] and its pooler only; export RM Lab's model file instead",
    );
  }
  if (spec.length === 'term' || spec.length === 'odin') {
    throw new Error(
      "this model's reward has a length term (a weight on log response length), which HF's " +
        "BertForSequenceClassification has no place for; export RM Lab's model file instead",
    );
  }
  const b = spec.bert;
  const config = {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: b.vocabSize,
    hidden_size: b.hiddenSize,
    num_hidden_layers: b.numLayers,
    num_attention_heads: b.numHeads,
    intermediate_size: b.intermediateSize,
    hidden_act: b.hiddenAct,
    max_position_embeddings: b.maxPositions,
    type_vocab_size: b.typeVocabSize,
    layer_norm_eps: b.layerNormEps,
    pad_token_id: b.padTokenId,
    position_embedding_type: 'absolute',
    initializer_range: 0.02,
    // RM Lab trained with dropout off; saying so keeps further training in Python the same model.
    hidden_dropout_prob: 0.0,
    attention_probs_dropout_prob: 0.0,
    classifier_dropout: null,
    // One output, the reward: num_labels 1, which transformers reads from id2label.
    id2label: { '0': 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    problem_type: 'regression',
    torch_dtype: 'float32',
  };
  return { config, tensors: toHuggingFaceTensors(spec, weights) };
}
