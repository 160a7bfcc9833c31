// Hugging Face checkpoints in and out, for every family of the registry (families/): the
// checkpoint's tensors -> the encoder's weights, and a trained reward model -> a
// *ForSequenceClassification checkpoint (num_labels 1) that transformers in Python loads and scores
// the same. config.json is read by the family (families/registry.ts readModelConfig).
//
// Each family's table maps RM Lab's parameter names to HF's, with each tensor's orientation; the
// loader and the export both read it, so they cannot drift apart. HF's nn.Linear stores its weight
// as [out, in] and computes x W^T; RM Lab's dense() computes x W with W as [in, out]: linear weights
// are transposed on the way in and on the way out. Everything else (embeddings, biases, LayerNorm)
// has the same layout in both.
import { familyOf, readModelConfig } from './families/registry.ts';
import type { EncoderFamily, TensorMapping } from './families/family.ts';
import { bertTable } from './families/bert.ts';
import type { BertModelSpec, ModelSpec, NamedWeight } from './reward-model.ts';
import type { SafetensorsTensor } from './safetensors.ts';
import { mulberry32 } from '../train/shuffle.ts';
import { mergeLora } from './lora-merge.ts';
import { sinusoidalPositions } from './encoders/bert-config.ts';

/** config.json -> the family's config (families/registry.ts); the name callers knew before the registry. */
export const readBertConfig = readModelConfig;
export { bertTable };

/**
 * The encoder's weights (RM Lab names, tfjs orientation) from a checkpoint's tensors, through the
 * family's table. The base model's tensors may sit at the top (a bare BertModel checkpoint) or under
 * the family's prefix ('bert.' in BertFor* checkpoints). Heads the reward model does not use
 * (cls.predictions.*, a classifier, ...) are ignored. A tensor the table marks `fresh` (BERT's
 * pooler, which some sentence-transformers exports lack) starts as HF initialises it, N(0, 0.02^2)
 * weight and zero bias, from a fixed seed so loading twice gives the same model; `initialised`
 * names those tensors (HF names) for the loader to report. Any other missing tensor, or a shape that
 * does not match the config, is an error listing every such tensor.
 */
export function encoderWeights(
  spec: BertModelSpec,
  tensors: Map<string, SafetensorsTensor>,
): { weights: NamedWeight[]; initialised: string[] } {
  const family = familyOf(spec.bert);
  const table = family.table(spec.bert, spec.pooling);
  const prefix = basePrefix(family, table[0]!.hfName, tensors);
  const shapes = new Map(family.params(spec.bert, spec.pooling).map((p) => [p.name, p.shape]));
  const weights: NamedWeight[] = [];
  const initialised: string[] = [];
  const problems: string[] = [];
  for (const row of table) {
    const shape = shapes.get(row.name);
    if (!shape) continue; // the reward head: rewardHead's
    const hfShape = row.transpose ? [...shape].reverse() : shape;
    const hfName = row.part === 'encoder' ? `${prefix}${row.hfName}` : row.hfName;
    const found = tensors.get(hfName) ?? tensors.get(legacyName(hfName));
    if (!found && row.name === 'embeddings.position' && spec.bert.fixedPositions === 'sinusoidal') {
      // DistilBERT's sinusoidal positions, built as HF builds a missing table (not drawn at random).
      initialised.push(row.hfName);
      weights.push({ name: row.name, shape, data: sinusoidalPositions(shape[0]!, shape[1]!) });
      continue;
    }
    if (!found) {
      if (row.fresh) {
        initialised.push(row.hfName);
        weights.push({ name: row.name, shape, data: freshTensor(row.name, shape) });
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

/** The name callers knew before the registry. */
export const bertEncoderWeights = encoderWeights;

/**
 * The reward head of a *ForSequenceClassification checkpoint with one label (a shared reward model,
 * or a folder RM Lab exported), as RM Lab's head.weight [D, 1] and, where the family's head has one,
 * head.bias [1] (a decoder's `score` has none); or, with no head, why not, for the page to say
 * (undefined when the checkpoint has no classifier at all). The head reads what the family's
 * classification head reads (an encoder's first token through its dense layer, a decoder's last
 * token), so it is taken only under the family's own pooling.
 */
export function rewardHead(
  spec: BertModelSpec,
  tensors: Map<string, SafetensorsTensor>,
): { head?: NamedWeight[]; note?: string } {
  const family = familyOf(spec.bert);
  const rows = family.table(spec.bert, family.defaultPooling);
  const weightRow = rows.find((r) => r.name === 'head.weight')!;
  const biasRow = rows.find((r) => r.name === 'head.bias');
  const weight = tensors.get(weightRow.hfName);
  const bias = biasRow && tensors.get(biasRow.hfName);
  if (!weight || (biasRow && !bias)) return {};
  const D = spec.bert.hiddenSize;
  const biasFits = !bias || (bias.shape.length === 1 && bias.shape[0] === weight.shape[0]);
  if (weight.shape.length !== 2 || weight.shape[1] !== D || !biasFits) {
    return { note: `its ${weightRow.hfName} has shape [${weight.shape}], not [labels, ${D}]: a fresh head` };
  }
  if (weight.shape[0] !== 1) {
    return { note: `its classifier has ${weight.shape[0]} labels, not one reward: a fresh head` };
  }
  if (spec.pooling !== family.defaultPooling) {
    return { note: `its classifier reads ${family.defaultPooling} pooling, not ${spec.pooling}: a fresh head` };
  }
  // [1, D] and its transpose [D, 1] hold the same values in the same order.
  const head: NamedWeight[] = [{ name: 'head.weight', shape: [D, 1], data: weight.data }];
  if (bias) head.push({ name: 'head.bias', shape: [1], data: bias.data });
  return { head };
}

/** Where the base model's tensors sit: found by the first row of the family's table (its word embeddings). */
function basePrefix(family: EncoderFamily, first: string, tensors: Map<string, SafetensorsTensor>): string {
  const prefix = ['', family.basePrefix].find((p) => tensors.has(`${p}${first}`));
  if (prefix !== undefined) return prefix;
  const seen = [...tensors.keys()].slice(0, 3).join(', ');
  const kind = family.modelTypes[0]!.toUpperCase();
  throw new Error(
    `the checkpoint has no ${first} (nor ${family.basePrefix}${first}), so it is not a ${kind} checkpoint; ` +
      `its first tensors are ${seen || 'none'}`,
  );
}

/** Checkpoints converted from the original TensorFlow BERT call LayerNorm's weight and bias gamma and beta. */
function legacyName(hfName: string): string {
  return hfName.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
}

/** HF's _init_weights for a fresh Linear: weight N(0, 0.02^2), bias 0 (Box-Muller over a seeded generator). */
function freshTensor(name: string, shape: number[]): Float32Array {
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
 * RM Lab weights -> tensors under HF's *ForSequenceClassification names and orientation, for every
 * row of the family's table. Used by the export and by the reference tests, which compare gradients
 * under HF's names.
 */
export function toHuggingFaceTensors(spec: BertModelSpec, weights: NamedWeight[]): NamedWeight[] {
  const family = familyOf(spec.bert);
  const byName = new Map(weights.map((w) => [w.name, w]));
  return family.table(spec.bert, spec.pooling).map((row: TensorMapping) => {
    const w = byName.get(row.name);
    if (!w) throw new Error(`the model has no weight ${row.name} (HF's ${row.hfName})`);
    const hfName = row.part === 'encoder' ? `${family.basePrefix}${row.hfName}` : row.hfName;
    if (!row.transpose) return { name: hfName, shape: w.shape, data: w.data };
    return { name: hfName, shape: [...w.shape].reverse(), data: transpose(w.data, w.shape) };
  });
}

/**
 * A reward model as its family's *ForSequenceClassification with one label: config.json and the
 * tensors of its state_dict (write them with writeSafetensors as model.safetensors). In Python,
 * `AutoModelForSequenceClassification.from_pretrained(folder)(**batch).logits[:, 0]` is then the
 * reward. Only the pooling that class uses can be exported (BERT's: [CLS] and its pooler). A model
 * trained with LoRA exports merged (lora-merge.ts): W + (alpha / r) A B in place of each adapted W.
 */
export function toHuggingFaceSequenceClassification(
  adapted: ModelSpec,
  adaptedWeights: NamedWeight[],
): { config: object; tensors: NamedWeight[] } {
  const { spec, weights } = mergeLora(adapted, adaptedWeights);
  if (spec.encoder !== 'bert') {
    throw new Error(
      "only BERT-family models export as a Hugging Face checkpoint; the built-in encoder has no transformers class (use RM Lab's model file)",
    );
  }
  if (spec.length === 'term' || spec.length === 'odin') {
    throw new Error(
      "this model's reward has a length term (a weight on log response length), which a " +
        "Hugging Face *ForSequenceClassification has no place for; export RM Lab's model file instead",
    );
  }
  const family = familyOf(spec.bert);
  const own = family.exportConfig(spec.bert, spec.pooling);
  if ('refused' in own) {
    const pooled =
      spec.pooling === 'mean' ? 'the mean of its tokens' : spec.pooling === 'last' ? 'its last token' : '[CLS]';
    throw new Error(`this model pools by ${pooled}, and ${own.refused}; export RM Lab's model file instead`);
  }
  const config = {
    architectures: [family.architecture],
    model_type: spec.bert.modelType,
    ...own,
    // One output, the reward: num_labels 1, which transformers reads from id2label.
    id2label: { '0': 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    problem_type: 'regression',
    torch_dtype: 'float32',
  };
  return { config, tensors: toHuggingFaceTensors(spec, weights) };
}
