// A model read from outside (a file, a link, the CLI) checked whole before anything is built from
// it: its spec's fields (an encoder RM Lab builds, positive whole sizes), its tensors against the
// spec (checkWeightsFit: names and shapes, numbers only), and its tokenizer (it loads, and every
// token id it gives has a row in the embedding table). Each refusal names the file and the field
// or tensor, and what was expected.
import { checkWeightsFit, type ModelSpec } from './reward-model.ts';
import { supportedModelTypes } from './families/registry.ts';
import type { RewardModelFile } from './model-file.ts';
import { tokenizerFor, type PairTokenizer } from './tokenizer.ts';
import { checkQuickHeadSpec, checkQuickHeadWeights } from '../quick-head/spec.ts';

const POOLINGS = ['cls', 'mean', 'last'];
const BERT_ACTIVATIONS = ['gelu', 'gelu_new', 'relu'];

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

const shown = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 60));

/** Field checks that name the file and the field in every refusal. */
class SpecFields {
  constructor(readonly where: string) {}

  section(s: Record<string, unknown>, key: string): Record<string, unknown> {
    const v = s[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new Error(`${this.where}: its spec's ${key} is not an object (got ${describe(v)})`);
    }
    return v as Record<string, unknown>;
  }

  whole(fields: Record<string, unknown>, path: string, key: string, min = 1): number {
    const v = fields[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      const kind = min === 0 ? 'a whole number' : 'a positive whole number';
      throw new Error(`${this.where}: the spec's ${path}.${key} must be ${kind}, got ${shown(v)}`);
    }
    return v;
  }

  positive(fields: Record<string, unknown>, path: string, key: string): void {
    const v = fields[key];
    if (typeof v !== 'number' || !(v > 0)) {
      throw new Error(`${this.where}: the spec's ${path}.${key} must be a positive number, got ${shown(v)}`);
    }
  }

  flag(fields: Record<string, unknown>, path: string, key: string): void {
    if (typeof fields[key] !== 'boolean') {
      throw new Error(`${this.where}: the spec's ${path}.${key} must be true or false, got ${shown(fields[key])}`);
    }
  }

  oneOf(value: unknown, path: string, allowed: readonly string[]): void {
    if (typeof value !== 'string' || !allowed.includes(value)) {
      throw new Error(
        `${this.where}: the spec's ${path} must be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${shown(value)}`,
      );
    }
  }

  divisible(a: string, av: unknown, b: string, bv: unknown): void {
    if ((av as number) % (bv as number) !== 0) {
      throw new Error(`${this.where}: the spec's ${a} ${av} is not divisible by its ${b} ${bv}`);
    }
  }
}

/** Checks a spec's shape as data (the file's JSON): throws naming the field; returns it typed. */
export function checkSpec(spec: unknown, where: string): ModelSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new Error(`${where}: its spec is not an object (got ${describe(spec)})`);
  }
  const s = spec as Record<string, unknown>;
  const f = new SpecFields(where);
  if (s.encoder === 'builtin-transformer') {
    const t = f.section(s, 'transformer');
    for (const key of ['vocabSize', 'maxLength', 'dModel', 'nHeads', 'dFF']) f.whole(t, 'transformer', key);
    f.whole(t, 'transformer', 'nLayers', 0); // 0: a bag of words, the default built-in model
    f.oneOf(t.pooling, 'transformer.pooling', POOLINGS);
    f.divisible('dModel', t.dModel, 'nHeads', t.nHeads);
  } else if (s.encoder === 'bert') {
    checkFamilySection(f, f.section(s, 'bert'));
    f.oneOf(s.pooling, 'pooling', POOLINGS);
  } else if (s.encoder === 'frozen-hub') {
    checkQuickHeadSpec(s, where);
    return spec as ModelSpec;
  } else {
    throw new Error(
      `${where}: its encoder ${shown(s.encoder)} is not one RM Lab builds (builtin-transformer, bert or frozen-hub)`,
    );
  }
  f.oneOf(s.tokenizer, 'tokenizer', ['builtin', 'embedded']);
  if (s.length !== undefined) f.oneOf(s.length, 'length', ['off', 'term', 'odin']);
  if (s.lora !== undefined) checkLoraSection(f, f.section(s, 'lora'));
  return spec as ModelSpec;
}

/** The spec's `lora` section (model/lora.ts LoraSpec): rank, alpha, and target names as text; which projections they name checkWeightsFit sees. */
function checkLoraSection(f: SpecFields, l: Record<string, unknown>): void {
  f.whole(l, 'lora', 'rank');
  f.positive(l, 'lora', 'alpha');
  const targets = l.targets;
  if (
    !Array.isArray(targets) ||
    targets.length === 0 ||
    targets.some((t) => typeof t !== 'string' || !/^\w+$/.test(t))
  ) {
    throw new Error(`${f.where}: the spec's lora.targets must be a list of projection names, got ${shown(targets)}`);
  }
}

/**
 * The spec's `bert` section: a Hugging Face family's config (encoders/bert-config.ts for the
 * encoders, encoders/decoder-config.ts for GPT-2 and Llama/Qwen2), checked by its model type.
 */
function checkFamilySection(f: SpecFields, b: Record<string, unknown>): void {
  for (const key of ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'intermediateSize', 'maxPositions']) {
    f.whole(b, 'bert', key);
  }
  f.whole(b, 'bert', 'padTokenId', 0);
  // The family the encoder is built by (models stored before the other families all say 'bert').
  f.oneOf(b.modelType, 'bert.modelType', supportedModelTypes());
  if (b.modelType === 'gpt2') {
    f.whole(b, 'bert', 'eosTokenId', 0);
    f.oneOf(b.hiddenAct, 'bert.hiddenAct', BERT_ACTIVATIONS);
    f.positive(b, 'bert', 'layerNormEps');
    f.divisible('hiddenSize', b.hiddenSize, 'numHeads', b.numHeads);
  } else if (b.modelType === 'llama' || b.modelType === 'qwen2') {
    for (const key of ['numKvHeads', 'headDim']) f.whole(b, 'bert', key);
    f.whole(b, 'bert', 'eosTokenId', 0);
    for (const key of ['rmsNormEps', 'ropeTheta']) f.positive(b, 'bert', key);
    for (const key of ['qkvBias', 'outBias', 'mlpBias']) f.flag(b, 'bert', key);
    f.divisible('numHeads', b.numHeads, 'numKvHeads', b.numKvHeads);
  } else {
    f.whole(b, 'bert', 'typeVocabSize', 0); // 0: DistilBERT has no segment embeddings
    f.whole(b, 'bert', 'sepTokenId', 0);
    f.oneOf(b.hiddenAct, 'bert.hiddenAct', BERT_ACTIVATIONS);
    if (b.positionOffset !== undefined) f.whole(b, 'bert', 'positionOffset', 0);
    if (b.embeddingSize !== undefined) f.whole(b, 'bert', 'embeddingSize');
    if (b.poolerActivation !== undefined)
      f.oneOf(b.poolerActivation, 'bert.poolerActivation', ['tanh', 'gelu', 'relu']);
    if (b.fixedPositions !== undefined) f.oneOf(b.fixedPositions, 'bert.fixedPositions', ['sinusoidal']);
    if (((b.positionOffset as number | undefined) ?? 0) >= (b.maxPositions as number)) {
      throw new Error(`${f.where}: the spec's bert.positionOffset leaves no position in its ${b.maxPositions}`);
    }
    f.positive(b, 'bert', 'layerNormEps');
    f.divisible('hiddenSize', b.hiddenSize, 'numHeads', b.numHeads);
    if (b.modelType === 'deberta-v2') checkDebertaSection(f, b);
  }
}

/** DeBERTa's disentangled-attention fields (encoders/deberta-config.ts), beside the BERT-style ones. */
function checkDebertaSection(f: SpecFields, b: Record<string, unknown>): void {
  for (const key of ['positionBiasedInput', 'relativeAttention', 'shareAttKey', 'normRelEmbeddings']) {
    f.flag(b, 'bert', key);
  }
  f.whole(b, 'bert', 'maxRelativePositions');
  const buckets = b.positionBuckets;
  if (typeof buckets !== 'number' || !Number.isSafeInteger(buckets) || buckets < -1) {
    throw new Error(`${f.where}: the spec's bert.positionBuckets must be -1 or a whole number, got ${shown(buckets)}`);
  }
  const types = b.posAttTypes;
  if (!Array.isArray(types))
    throw new Error(`${f.where}: the spec's bert.posAttTypes must be a list, got ${shown(types)}`);
  for (const t of types) f.oneOf(t, 'bert.posAttTypes', ['c2p', 'p2c']);
}

/** The rows of the model's word embedding table: the most token ids it can look up. */
function embeddedTokens(spec: ModelSpec): number {
  if (spec.encoder === 'frozen-hub') return 0; // its encoder's tokenizer is not RM Lab's to check
  return spec.encoder === 'bert' ? spec.bert.vocabSize : spec.transformer.vocabSize;
}

/**
 * A model file checked whole (spec, tensors, tokenizer) before anything is allocated from it;
 * returns the tokenizer it reads with. `where` names the file in every message.
 */
export function checkModelFile(file: RewardModelFile, where: string): PairTokenizer | undefined {
  const spec = checkSpec(file.spec, where);
  checkWeightsFit(spec, file.weights, where);
  if (spec.encoder === 'frozen-hub') {
    checkQuickHeadWeights(spec, file.weights, where);
    return undefined; // it reads with its Hub encoder's tokenizer, fetched with the encoder
  }
  let tokenizer: PairTokenizer;
  try {
    tokenizer = tokenizerFor(spec, file.tokenizer);
  } catch (error) {
    throw new Error(`${where}: its tokenizer cannot be read (${(error as Error).message})`, { cause: error });
  }
  if (tokenizer.vocabSize > embeddedTokens(spec)) {
    throw new Error(
      `${where}: its tokenizer has ${tokenizer.vocabSize} tokens but the model embeds only ${embeddedTokens(spec)} ` +
        '(spec vocabSize): every token id must have a row in the embedding table',
    );
  }
  return tokenizer;
}
