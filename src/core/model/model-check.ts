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

/** Checks a spec's shape as data (the file's JSON): throws naming the field; returns it typed. */
export function checkSpec(spec: unknown, where: string): ModelSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new Error(`${where}: its spec is not an object (got ${describe(spec)})`);
  }
  const s = spec as Record<string, unknown>;
  const section = (key: string): Record<string, unknown> => {
    const v = s[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new Error(`${where}: its spec's ${key} is not an object (got ${describe(v)})`);
    }
    return v as Record<string, unknown>;
  };
  const whole = (fields: Record<string, unknown>, path: string, key: string, min = 1): number => {
    const v = fields[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      const kind = min === 0 ? 'a whole number' : 'a positive whole number';
      throw new Error(`${where}: the spec's ${path}.${key} must be ${kind}, got ${shown(v)}`);
    }
    return v;
  };
  const oneOf = (value: unknown, path: string, allowed: readonly string[]) => {
    if (typeof value !== 'string' || !allowed.includes(value)) {
      throw new Error(
        `${where}: the spec's ${path} must be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${shown(value)}`,
      );
    }
  };
  if (s.encoder === 'builtin-transformer') {
    const t = section('transformer');
    for (const key of ['vocabSize', 'maxLength', 'dModel', 'nHeads', 'dFF']) whole(t, 'transformer', key);
    whole(t, 'transformer', 'nLayers', 0); // 0: a bag of words, the default built-in model
    oneOf(t.pooling, 'transformer.pooling', POOLINGS);
    if ((t.dModel as number) % (t.nHeads as number) !== 0) {
      throw new Error(`${where}: the spec's dModel ${t.dModel} is not divisible by its nHeads ${t.nHeads}`);
    }
  } else if (s.encoder === 'bert') {
    const b = section('bert');
    for (const key of ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'intermediateSize', 'maxPositions']) {
      whole(b, 'bert', key);
    }
    whole(b, 'bert', 'typeVocabSize', 0); // 0: DistilBERT has no segment embeddings
    whole(b, 'bert', 'sepTokenId', 0);
    whole(b, 'bert', 'padTokenId', 0);
    // The family the encoder is built by (models stored before the other families all say 'bert').
    oneOf(b.modelType, 'bert.modelType', supportedModelTypes());
    oneOf(b.hiddenAct, 'bert.hiddenAct', BERT_ACTIVATIONS);
    if (b.positionOffset !== undefined) whole(b, 'bert', 'positionOffset', 0);
    if (b.embeddingSize !== undefined) whole(b, 'bert', 'embeddingSize');
    if (b.poolerActivation !== undefined) oneOf(b.poolerActivation, 'bert.poolerActivation', ['tanh', 'gelu', 'relu']);
    if (((b.positionOffset as number | undefined) ?? 0) >= (b.maxPositions as number)) {
      throw new Error(`${where}: the spec's bert.positionOffset leaves no position in its ${b.maxPositions}`);
    }
    if (typeof b.layerNormEps !== 'number' || !(b.layerNormEps > 0)) {
      throw new Error(`${where}: the spec's bert.layerNormEps must be a positive number, got ${shown(b.layerNormEps)}`);
    }
    if ((b.hiddenSize as number) % (b.numHeads as number) !== 0) {
      throw new Error(`${where}: the spec's hiddenSize ${b.hiddenSize} is not divisible by its numHeads ${b.numHeads}`);
    }
    oneOf(s.pooling, 'pooling', POOLINGS);
  } else if (s.encoder === 'frozen-hub') {
    checkQuickHeadSpec(s, where);
    return spec as ModelSpec;
  } else {
    throw new Error(
      `${where}: its encoder ${shown(s.encoder)} is not one RM Lab builds (builtin-transformer, bert or frozen-hub)`,
    );
  }
  oneOf(s.tokenizer, 'tokenizer', ['builtin', 'embedded']);
  if (s.length !== undefined) oneOf(s.length, 'length', ['off', 'term', 'odin']);
  return spec as ModelSpec;
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
