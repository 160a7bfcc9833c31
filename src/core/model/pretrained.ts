// Reads a pretrained model folder (Hub repository, URL or picked folder) into what RM Lab trains
// from: the encoder's config, its tokenizer files and its weights. The order is chosen so a model
// RM Lab cannot use is refused before its weights are downloaded: config.json and the tokenizer
// first, the architecture checked, then the weights. Nothing is kept from a load that fails: the
// caller caches the files only once this returns.
import { longestSequence, type BertConfig } from './encoders/bert-config.ts';
import type { Pooling } from './encoders/encoder.ts';
import type { EncoderFamily } from './families/family.ts';
import { familyFor, familyOf, readModelConfig, supported, unsupportedType } from './families/registry.ts';
import { encoderWeights, rewardHead } from './hf-checkpoint.ts';
import { LoadCancelled, type FolderReader } from './hub.ts';
import type { BertModelSpec, NamedWeight, TokenizerFiles } from './reward-model.ts';
import { mergeShards, readSafetensors, shardFiles, type SafetensorsTensor } from './safetensors.ts';
import { readPytorchBin } from './pytorch-bin.ts';
import { PairTokenizer } from './tokenizer.ts';
import { DECODER_MODEL_TYPES } from './encoders/decoder-config.ts';

/** Progress of a load, for a progress bar in bytes. */
export interface LoadProgress {
  /** The file being read now. */
  file: string;
  /** Its bytes read so far, and its size when known. */
  fileLoaded: number;
  fileTotal?: number;
  /** Bytes of every file read so far, this one included. */
  loaded: number;
  /** Whether the files come from the browser's cache (no download). */
  cached?: boolean;
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /**
   * Accepts the model's config.json for an encoder family RM Lab builds, or throws saying what is
   * supported (the registry's readModelConfig unless given). Called before any weight is read.
   */
  readConfig?: (configJson: unknown, special: { sepTokenId: number; padTokenId: number }) => BertConfig;
  /**
   * Called with config.json once its model type is known to be built, before any other file is
   * read: a check that throws (a classifier with three labels, a model that will not fit in
   * memory) stops the load at the cost of that one file. `weightBytes` asks the folder the size of
   * its weights file without reading it (undefined where it cannot say cheaply).
   */
  onConfig?: (check: ConfigCheck) => void | Promise<void>;
}

export interface ConfigCheck {
  configJson: Record<string, unknown>;
  family: EncoderFamily;
  weightBytes: () => Promise<number | undefined>;
}

export interface PretrainedFolder {
  /** How the user named it (the encoder field's value). */
  source: string;
  config: BertConfig;
  /** config.json as the folder has it (architectures, model_type), for what the page shows. */
  configJson: Record<string, unknown>;
  tokenizer: TokenizerFiles;
  tensors: Map<string, SafetensorsTensor>;
  /** Every file read, by name, as read: what the cache keeps. */
  files: Map<string, Uint8Array>;
  /** Whether the tokenizer.json was built from older files (vocab.txt; vocab.json and merges.txt). */
  tokenizerFromVocab: boolean;
}

/** Files read besides the weights, when the folder has them. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export async function loadModelFolder(reader: FolderReader, options: LoadOptions): Promise<PretrainedFolder> {
  const files = new Map<string, Uint8Array>();
  let before = 0;
  const read = async (file: string): Promise<Uint8Array | undefined> => {
    if (options.signal?.aborted) throw new LoadCancelled();
    const bytes = await reader.read(file, {
      signal: options.signal,
      onBytes: (fileLoaded, fileTotal) =>
        options.onProgress?.({ file, fileLoaded, fileTotal, loaded: before + fileLoaded }),
    });
    if (bytes) {
      files.set(file, bytes);
      before += bytes.byteLength;
    }
    return bytes;
  };
  const json = (file: string, bytes: Uint8Array): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      return value as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${file} of ${reader.label} is not valid JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
  };

  const configBytes = await read('config.json');
  if (!configBytes) {
    throw new Error(`${reader.label} has no config.json: it is not a Hugging Face model folder RM Lab can read`);
  }
  const configJson = withModelType(json('config.json', configBytes), reader.label);
  // The model type decides before anything else is read: an unsupported model costs one small file.
  const family = typeof configJson.model_type === 'string' ? familyFor(configJson.model_type) : undefined;
  if (!family) throw new Error(`${unsupportedType(configJson)}; ${supported()}`);
  await options.onConfig?.({ configJson, family, weightBytes: () => weightBytes(reader, options.signal) });

  const { tokenizer, tokenizerFromVocab, pairTokenizer } = await readTokenizer(reader.label, family, read, json);
  const config = (options.readConfig ?? readModelConfig)(configJson, {
    sepTokenId: pairTokenizer.special.sep,
    padTokenId: pairTokenizer.special.pad,
  });

  const tensors = await readWeights(reader.label, read, json);
  return { source: reader.label, config, configJson, tokenizer, tensors, files, tokenizerFromVocab };
}

type JsonReader = (file: string, bytes: Uint8Array) => Record<string, unknown>;

/**
 * The model's tokenizer: tokenizer.json, or one built from the family's older files (vocab.txt;
 * vocab.json and merges.txt) as transformers' converters build it. tokenizer_config.json and
 * special_tokens_map.json name the special tokens.
 */
async function readTokenizer(
  label: string,
  family: EncoderFamily,
  read: (file: string) => Promise<Uint8Array | undefined>,
  json: JsonReader,
): Promise<{ tokenizer: TokenizerFiles; tokenizerFromVocab: boolean; pairTokenizer: PairTokenizer }> {
  const [tokenizerJsonBytes, tokenizerConfigBytes, specialMapBytes] = [
    await read(TOKENIZER_FILES[0]!),
    await read(TOKENIZER_FILES[1]!),
    await read(TOKENIZER_FILES[2]!),
  ];
  const tokenizerConfig: Record<string, unknown> = {
    ...(tokenizerConfigBytes ? json('tokenizer_config.json', tokenizerConfigBytes) : {}),
  };
  // special_tokens_map.json names the special tokens where tokenizer_config.json does not.
  for (const [key, value] of Object.entries(specialMapBytes ? json('special_tokens_map.json', specialMapBytes) : {})) {
    tokenizerConfig[key] ??= value;
  }
  let tokenizerJson: object | undefined;
  let tokenizerFromVocab = false;
  if (tokenizerJsonBytes) tokenizerJson = json('tokenizer.json', tokenizerJsonBytes);
  for (const older of tokenizerJson ? [] : family.tokenizerFiles) {
    const texts = new Map<string, string>();
    for (const file of older.files) {
      const bytes = await read(file);
      if (!bytes) break;
      texts.set(file, new TextDecoder().decode(bytes));
    }
    if (texts.size < older.files.length) continue;
    tokenizerJson = older.build(texts, tokenizerConfig);
    tokenizerFromVocab = true;
    break;
  }
  if (!tokenizerJson) {
    const others = family.tokenizerFiles.map((t) => t.files.join(' and ')).join(', nor ');
    const sentencePiece = family.sentencePieceFile
      ? `. Its SentencePiece model (${family.sentencePieceFile}) is not one RM Lab reads: in Python, ` +
        'AutoTokenizer.from_pretrained(...).save_pretrained(folder) writes the tokenizer.json the fast tokenizer ' +
        'builds from it; pick that folder (with the model files) instead'
      : '';
    throw new Error(
      `${label} has ${others ? `neither tokenizer.json nor ${others}` : 'no tokenizer.json'}: RM Lab needs the model's tokenizer to read text as it was trained to${sentencePiece}`,
    );
  }
  try {
    const reader = family.modelTypes.some((t) => DECODER_MODEL_TYPES.includes(t)) ? 'decoder' : 'encoder';
    const pairTokenizer = new PairTokenizer(tokenizerJson, tokenizerConfig, reader);
    return { tokenizer: { json: tokenizerJson, config: tokenizerConfig }, tokenizerFromVocab, pairTokenizer };
  } catch (error) {
    throw new Error(`the tokenizer of ${label} cannot be used: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Older checkpoints' config.json has no model_type (prajjwal1/bert-tiny is one). Transformers'
 * AutoConfig then takes the model type from the architectures or, failing that, the longest known
 * model type that the repository's name contains; so does this, so such a model loads here as there.
 */
function withModelType(config: Record<string, unknown>, label: string): Record<string, unknown> {
  if (typeof config.model_type === 'string') return config;
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  const byArchitecture = ARCHITECTURE_TYPES.find(([prefix]) => architectures.some((a) => prefix.test(a)))?.[1];
  const name = label.toLowerCase();
  const byName = KNOWN_MODEL_TYPES.find((type) => name.includes(type));
  const modelType = byArchitecture ?? byName;
  return modelType ? { ...config, model_type: modelType } : config;
}

/** Architecture class names' model types, as AutoConfig maps them (XLMRoberta before Roberta: it contains it). */
const ARCHITECTURE_TYPES: [RegExp, string][] = [
  [/^Bert[A-Z]/, 'bert'],
  [/^DistilBert[A-Z]/, 'distilbert'],
  [/^XLMRoberta[A-Z]/, 'xlm-roberta'],
  [/^Roberta[A-Z]/, 'roberta'],
  [/^Electra[A-Z]/, 'electra'],
  [/^DebertaV2[A-Z]/, 'deberta-v2'],
  [/^GPT2[A-Z]/, 'gpt2'],
  [/^Llama[A-Z]/, 'llama'],
  [/^Qwen2[A-Z]/, 'qwen2'],
];

/** Model types whose names can appear in a repository's name, longest first (a 'roberta' is not a 'bert'). */
const KNOWN_MODEL_TYPES = [
  'xlm-roberta',
  'megatron-bert',
  'mobilebert',
  'distilbert',
  'camembert',
  'deberta-v2',
  'deberta',
  'roberta',
  'electra',
  'albert',
  'mpnet',
  'bert',
  'gpt2',
  'llama',
  'qwen2',
  't5',
].sort((a, b) => b.length - a.length);

/** The weight formats RM Lab reads, in order of preference: safetensors, then torch.save's zip through the safe unpickler. */
const WEIGHT_FORMATS = [
  { file: 'model.safetensors', read: (bytes: Uint8Array, name: string) => readSafetensors(bytes, name).tensors },
  { file: 'pytorch_model.bin', read: (bytes: Uint8Array, name: string) => readPytorchBin(bytes, name).tensors },
];

/** The size of the first weights file the folder has, from the server's headers alone (no index: undefined). */
async function weightBytes(reader: FolderReader, signal: AbortSignal | undefined): Promise<number | undefined> {
  if (!reader.size) return undefined;
  for (const format of WEIGHT_FORMATS) {
    const bytes = await reader.size(format.file, { signal });
    if (bytes !== undefined) return bytes;
  }
  return undefined;
}

async function readWeights(
  label: string,
  read: (file: string) => Promise<Uint8Array | undefined>,
  json: (file: string, bytes: Uint8Array) => Record<string, unknown>,
): Promise<Map<string, SafetensorsTensor>> {
  for (const format of WEIGHT_FORMATS) {
    const single = await read(format.file);
    if (single) return format.read(single, format.file);
    const indexName = `${format.file}.index.json`;
    const indexBytes = await read(indexName);
    if (!indexBytes) continue;
    const shards = [];
    for (const name of shardFiles(json(indexName, indexBytes), indexName)) {
      const bytes = await read(name);
      if (!bytes) throw new Error(`${label}: ${indexName} lists ${name}, which is missing`);
      shards.push({ tensors: format.read(bytes, name), metadata: {} });
    }
    return mergeShards(shards).tensors;
  }
  throw new Error(
    `${label} has neither model.safetensors nor pytorch_model.bin (nor a sharded index of either): ` +
      'it holds no weights RM Lab can read',
  );
}

/** What the page shows about a loaded encoder. */
export interface EncoderSummary {
  source: string;
  /** config.json's architectures[0], or its model_type. */
  architecture: string;
  layers: number;
  hiddenSize: number;
  heads: number;
  vocabSize: number;
  /** The longest sequence it reads (max_position_embeddings). */
  maxPositions: number;
  /** Parameters of the encoder and head as RM Lab trains them. */
  parameters: number;
  /** Tensors that the checkpoint did not have and start fresh (e.g. a missing pooler). */
  initialised: string[];
  /** Whether the checkpoint brought its own reward head (a *ForSequenceClassification with one label). */
  readyHead?: boolean;
  /** Why a classifier the checkpoint has is not used as the reward head. */
  headNote?: string;
  /** Bytes of the model's files. */
  bytes: number;
  tokenizerFromVocab: boolean;
  /** The one pooling its family builds (decoders: 'last'), whatever the form says; absent: the form's. */
  onlyPooling?: Pooling;
}

export function summarise(
  folder: PretrainedFolder,
  weights: { shape: number[] }[],
  initialised: string[],
): EncoderSummary {
  const architectures = folder.configJson.architectures;
  return {
    source: folder.source,
    architecture:
      Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : folder.config.modelType,
    layers: folder.config.numLayers,
    hiddenSize: folder.config.hiddenSize,
    heads: folder.config.numHeads,
    vocabSize: folder.config.vocabSize,
    maxPositions: longestSequence(folder.config),
    // The reward head: hidden -> 1, plus its bias where the family's head has one.
    parameters:
      weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0) +
      folder.config.hiddenSize +
      (familyOf(folder.config).headBias === false ? 0 : 1),
    initialised,
    bytes: [...folder.files.values()].reduce((n, b) => n + b.byteLength, 0),
    tokenizerFromVocab: folder.tokenizerFromVocab,
  };
}

/** A loaded folder as the reward model is built from it: spec, encoder weights, tokenizer, summary. */
export interface PretrainedEncoder {
  spec: BertModelSpec;
  weights: NamedWeight[];
  /**
   * The reward head of a one-label *ForSequenceClassification checkpoint (a reward model, or RM
   * Lab's own export): head.weight, and head.bias where the family's head has one. The model then
   * scores as it is, and training starts from it. Absent: a fresh head.
   */
  head?: NamedWeight[];
  tokenizer: TokenizerFiles;
  summary: EncoderSummary;
}

/**
 * Refuses a run whose sequences would outgrow the encoder's position table. `option` is how the
 * caller's user names the setting ('Max tokens' in the form, '--max-length' in the CLI).
 */
export function checkMaxLength(spec: BertModelSpec, maxLength: number, option: string): void {
  const maxPositions = longestSequence(spec.bert);
  if (maxLength > maxPositions) {
    throw new Error(
      `${option} is ${maxLength}, but ${spec.source} reads at most ${maxPositions} tokens: set ${option} to ${maxPositions} or less`,
    );
  }
}

/** The family's own pooling for a loaded folder: what its *ForSequenceClassification reads. */
export function familyPooling(folder: PretrainedFolder): Pooling {
  return familyOf(folder.config).defaultPooling;
}

/**
 * The spec and encoder weights of a loaded folder, pooled as asked; `source` is what the encoder
 * field said (it travels in the spec, so a stored model says where its encoder came from).
 */
export function pretrainedEncoder(folder: PretrainedFolder, pooling: Pooling, source: string): PretrainedEncoder {
  // A decoder reads its last token whatever the form says: no other position has seen the whole pair.
  const { onlyPooling } = familyOf(folder.config);
  const pooled = onlyPooling ?? pooling;
  const spec: BertModelSpec = { encoder: 'bert', tokenizer: 'embedded', bert: folder.config, pooling: pooled, source };
  const { weights, initialised } = encoderWeights(spec, folder.tensors);
  const { head, note } = rewardHead(spec, folder.tensors);
  const summary = {
    ...summarise(folder, weights, initialised),
    readyHead: head !== undefined,
    ...(onlyPooling ? { onlyPooling } : {}),
  };
  return {
    spec,
    weights,
    ...(head ? { head } : {}),
    tokenizer: folder.tokenizer,
    summary: note ? { ...summary, headNote: note } : summary,
  };
}
