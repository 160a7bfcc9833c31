// A tiny BERT model folder that tests write themselves: config.json, a WordPiece vocabulary (as
// tokenizer.json, as vocab.txt, or both), and model.safetensors with seeded random weights under
// Hugging Face's BertModel names, in F32, F16 or BF16, whole or sharded with an index. Works in Node
// and in the browser (files as bytes; writing them to disk is the caller's business).
import { bertTokenizerJson, bertTokenizerOptions } from '../src/core/model/bert-tokenizer.ts';
import { writeSafetensors, type TensorToWrite } from '../src/core/model/safetensors.ts';
import { mulberry32 as random } from '../src/core/train/shuffle.ts';

export interface TinyBertOptions {
  hiddenSize?: number;
  numLayers?: number;
  numHeads?: number;
  intermediateSize?: number;
  maxPositions?: number;
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Split the weights over this many shards, with model.safetensors.index.json. */
  shards?: number;
  /** Which tokenizer files to write: tokenizer.json (default), vocab.txt only, or both. */
  tokenizer?: 'json' | 'vocab' | 'both';
  lowercase?: boolean;
  /** Put the weights under 'bert.' as BertForPreTraining checkpoints do (prajjwal1/bert-tiny). */
  prefix?: string;
  /** config.json's model_type and architectures (to write an unsupported one); null leaves model_type out. */
  modelType?: string | null;
  architectures?: string[];
  /** Leave the pooler out, as some sentence-embedding checkpoints do. */
  noPooler?: boolean;
  /** Write a pytorch_model.bin of 4 bytes (a zip's magic, nothing more) instead of safetensors. */
  pytorchOnly?: boolean;
  seed?: number;
  /**
   * Add a tensor of about this many bytes that the encoder does not use (as real checkpoints carry
   * their pretraining heads, cls.predictions.*): a download long enough to watch its progress.
   */
  extraBytes?: number;
}

/** Special tokens first, then words, then WordPiece continuations: every lowercase letter and digit is spellable. */
export const TINY_VOCAB: string[] = (() => {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
  const punctuation = '.,!?;:\'"()-/'.split('');
  const words = [
    'the',
    'a',
    'is',
    'what',
    'of',
    'and',
    'to',
    'in',
    'answer',
    'question',
    'good',
    'bad',
    'two',
    'plus',
    'four',
    'capital',
    'france',
    'paris',
    'write',
    'poem',
    'about',
    'cat',
    'dog',
    'yes',
    'no',
    'help',
    'please',
    'thank',
    'you',
    'model',
    'reward',
    'run',
    'train',
    'wrong',
    'right',
    'café',
  ];
  const pieces = ['##s', '##ing', '##ed', '##er', '##ly', ...letters.map((c) => `##${c}`)];
  return ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...punctuation, ...letters, ...words, ...pieces];
})();

export interface TinyBertConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
}

/** The weights of a tiny BERT by their Hugging Face names (no prefix), seeded. */
export function tinyBertWeights(
  c: TinyBertConfig,
  seed = 1,
  pooler = true,
): { name: string; shape: number[]; data: Float32Array }[] {
  const next = random(seed);
  const tensor = (name: string, shape: number[], kind: 'normal' | 'ones' | 'zeros' = 'normal') => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = kind === 'ones' ? 1 : kind === 'zeros' ? 0 : (next() * 2 - 1) * 0.1;
    // Layer norms get a little noise around 1/0 so a mix-up of weight and bias shows.
    if (kind !== 'normal') for (let i = 0; i < n; i++) data[i]! += (next() * 2 - 1) * 0.01;
    return { name, shape, data };
  };
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const out = [
    tensor('embeddings.word_embeddings.weight', [c.vocabSize, H]),
    tensor('embeddings.position_embeddings.weight', [c.maxPositions, H]),
    tensor('embeddings.token_type_embeddings.weight', [2, H]),
    tensor('embeddings.LayerNorm.weight', [H], 'ones'),
    tensor('embeddings.LayerNorm.bias', [H], 'zeros'),
  ];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const m of ['query', 'key', 'value']) {
      out.push(tensor(`${p}attention.self.${m}.weight`, [H, H]), tensor(`${p}attention.self.${m}.bias`, [H]));
    }
    out.push(
      tensor(`${p}attention.output.dense.weight`, [H, H]),
      tensor(`${p}attention.output.dense.bias`, [H]),
      tensor(`${p}attention.output.LayerNorm.weight`, [H], 'ones'),
      tensor(`${p}attention.output.LayerNorm.bias`, [H], 'zeros'),
      tensor(`${p}intermediate.dense.weight`, [I, H]),
      tensor(`${p}intermediate.dense.bias`, [I]),
      tensor(`${p}output.dense.weight`, [H, I]),
      tensor(`${p}output.dense.bias`, [H]),
      tensor(`${p}output.LayerNorm.weight`, [H], 'ones'),
      tensor(`${p}output.LayerNorm.bias`, [H], 'zeros'),
    );
  }
  if (pooler) out.push(tensor('pooler.dense.weight', [H, H]), tensor('pooler.dense.bias', [H]));
  return out;
}

/** The files of a tiny BERT model folder, by file name. */
export function tinyBertFolder(options: TinyBertOptions = {}): Map<string, Uint8Array> {
  const c: TinyBertConfig = {
    vocabSize: TINY_VOCAB.length,
    hiddenSize: options.hiddenSize ?? 16,
    numLayers: options.numLayers ?? 2,
    numHeads: options.numHeads ?? 2,
    intermediateSize: options.intermediateSize ?? 32,
    maxPositions: options.maxPositions ?? 64,
  };
  const text = (s: string) => new TextEncoder().encode(s);
  const json = (value: unknown) => text(JSON.stringify(value, null, 2));
  const files = new Map<string, Uint8Array>();
  const modelType = options.modelType === undefined ? 'bert' : options.modelType;
  files.set(
    'config.json',
    json({
      ...(options.architectures?.length === 0 ? {} : { architectures: options.architectures ?? ['BertModel'] }),
      ...(modelType === null ? {} : { model_type: modelType }),
      vocab_size: c.vocabSize,
      hidden_size: c.hiddenSize,
      num_hidden_layers: c.numLayers,
      num_attention_heads: c.numHeads,
      intermediate_size: c.intermediateSize,
      max_position_embeddings: c.maxPositions,
      type_vocab_size: 2,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
      initializer_range: 0.02,
    }),
  );
  const lowercase = options.lowercase ?? true;
  const tokenizerConfig = {
    do_lower_case: lowercase,
    model_max_length: c.maxPositions,
    tokenizer_class: 'BertTokenizer',
  };
  files.set('tokenizer_config.json', json(tokenizerConfig));
  files.set(
    'special_tokens_map.json',
    json({ unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' }),
  );
  const kind = options.tokenizer ?? 'json';
  if (kind !== 'json') files.set('vocab.txt', text(TINY_VOCAB.join('\n') + '\n'));
  if (kind !== 'vocab') {
    const vocab = new Map(TINY_VOCAB.map((token, id) => [token, id]));
    files.set('tokenizer.json', json(bertTokenizerJson(vocab, bertTokenizerOptions(tokenizerConfig))));
  }
  const prefix = options.prefix ?? '';
  const tensors: TensorToWrite[] = tinyBertWeights(c, options.seed ?? 1, !options.noPooler).map((t) => ({
    ...t,
    name: prefix + t.name,
    dtype: options.dtype ?? 'F32',
  }));
  if (options.extraBytes) {
    const n = Math.ceil(options.extraBytes / 4);
    tensors.push({ name: `${prefix}cls.predictions.unused`, shape: [n], data: new Float32Array(n).fill(0.5) });
  }
  if (options.pytorchOnly) {
    files.set('pytorch_model.bin', new Uint8Array([0x50, 0x4b, 0x03, 0x04])); // a zip's magic: never read
  } else if (options.shards && options.shards > 1) {
    const per = Math.ceil(tensors.length / options.shards);
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < options.shards; s++) {
      const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(options.shards).padStart(5, '0')}.safetensors`;
      const part = tensors.slice(s * per, (s + 1) * per);
      for (const t of part) weightMap[t.name] = name;
      files.set(name, writeSafetensors(part, { format: 'pt' }));
    }
    files.set('model.safetensors.index.json', json({ metadata: {}, weight_map: weightMap }));
  } else {
    files.set('model.safetensors', writeSafetensors(tensors, { format: 'pt' }));
  }
  return files;
}
