// A tiny decoder model folder that tests write themselves, in the Hub's layout: config.json, a
// byte-level BPE tokenizer.json (GPT-2's byte-to-character table, a few merges) with
// tokenizer_config.json, and model.safetensors with seeded random weights under Hugging Face's names:
// GPT2LMHeadModel ('transformer.' + lm_head), LlamaForCausalLM (SmolLM2's shape in small: 'model.',
// grouped-query attention, tied embeddings so no lm_head), Qwen2ForCausalLM, or any of them as a
// one-label *ForSequenceClassification with its bias-free score.weight: a ready reward model.
import { writeSafetensors, type TensorToWrite } from '../src/core/model/safetensors.ts';
import { mulberry32 } from '../src/core/train/shuffle.ts';

export type TinyDecoderType = 'gpt2' | 'llama' | 'qwen2';

export interface TinyDecoderOptions {
  modelType: TinyDecoderType;
  /** 'causal' writes *ForCausalLM (GPT2LMHeadModel); 'reward' a one-label *ForSequenceClassification. */
  kind: 'causal' | 'reward';
  seed?: number;
  /** Leave pad_token_id out of config.json and pad_token out of the tokenizer (GPT-2's way). */
  noPad?: boolean;
}

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest map to 256 + n. */
export function byteCharacters(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let n = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : 256 + n++));
}

const MERGES = [
  'Ġ t',
  'h e',
  'Ġt he',
  'Ġ a',
  'i s',
  'Ġ is',
  'o r',
  'Ġ p',
  'a r',
  'Ġp ar',
  'Ġpar is',
  'e s',
  'Ġ y',
  'Ġy es',
];
export const EOS = '<|endoftext|>';
export const PAD = '<|pad|>';

/** tokenizer.json: byte-level BPE over 256 byte characters, the merges above, then eos and pad. */
export function tinyByteLevelTokenizer(): { json: object; vocabSize: number; eos: number; pad: number } {
  const vocab: Record<string, number> = {};
  byteCharacters().forEach((c, i) => (vocab[c] = i));
  for (const m of MERGES) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  const eos = Object.keys(vocab).length;
  const pad = eos + 1;
  const added = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(eos, EOS), added(pad, PAD)],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab: { ...vocab, [EOS]: eos, [PAD]: pad },
      merges: MERGES,
    },
  };
  return { json, vocabSize: pad + 1, eos, pad };
}

const ARCH: Record<TinyDecoderType, [string, string]> = {
  gpt2: ['GPT2LMHeadModel', 'GPT2ForSequenceClassification'],
  llama: ['LlamaForCausalLM', 'LlamaForSequenceClassification'],
  qwen2: ['Qwen2ForCausalLM', 'Qwen2ForSequenceClassification'],
};

function config(o: TinyDecoderOptions, vocabSize: number, eos: number, pad: number): Record<string, unknown> {
  const arch = ARCH[o.modelType][o.kind === 'causal' ? 0 : 1];
  const common = {
    architectures: [arch],
    model_type: o.modelType,
    vocab_size: vocabSize,
    eos_token_id: eos,
    bos_token_id: eos,
    ...(o.noPad ? {} : { pad_token_id: pad }),
    ...(o.kind === 'reward' ? { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } } : {}),
  };
  if (o.modelType === 'gpt2') {
    return { ...common, n_embd: 16, n_layer: 2, n_head: 2, n_positions: 64, n_inner: null, layer_norm_epsilon: 1e-5 };
  }
  return {
    ...common,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    rms_norm_eps: o.modelType === 'qwen2' ? 1e-6 : 1e-5,
    rope_theta: o.modelType === 'qwen2' ? 1e6 : 1e4,
    hidden_act: 'silu',
    tie_word_embeddings: true,
  };
}

/** HF's tensors for the config: [name, shape, std] (std 0 with mean 1 for norms' weights). */
function tensorList(o: TinyDecoderOptions, V: number): [string, number[], number, number?][] {
  const D = 16;
  const out: [string, number[], number, number?][] = [];
  if (o.modelType === 'gpt2') {
    const t = 'transformer.';
    out.push([`${t}wte.weight`, [V, D], 0.5], [`${t}wpe.weight`, [64, D], 0.5]);
    for (let l = 0; l < 2; l++) {
      const p = `${t}h.${l}.`;
      for (const ln of ['ln_1', 'ln_2']) out.push([`${p}${ln}.weight`, [D], 0.1, 1], [`${p}${ln}.bias`, [D], 0.1]);
      out.push([`${p}attn.c_attn.weight`, [D, 3 * D], 0.3], [`${p}attn.c_attn.bias`, [3 * D], 0.1]);
      out.push([`${p}attn.c_proj.weight`, [D, D], 0.3], [`${p}attn.c_proj.bias`, [D], 0.1]);
      out.push([`${p}mlp.c_fc.weight`, [D, 4 * D], 0.3], [`${p}mlp.c_fc.bias`, [4 * D], 0.1]);
      out.push([`${p}mlp.c_proj.weight`, [4 * D, D], 0.3], [`${p}mlp.c_proj.bias`, [D], 0.1]);
    }
    out.push([`${t}ln_f.weight`, [D], 0.1, 1], [`${t}ln_f.bias`, [D], 0.1]);
    if (o.kind === 'causal') out.push(['lm_head.weight', [V, D], 0.5]);
  } else {
    const m = 'model.';
    const bias = o.modelType === 'qwen2';
    out.push([`${m}embed_tokens.weight`, [V, D], 0.5]);
    for (let l = 0; l < 2; l++) {
      const p = `${m}layers.${l}.`;
      out.push([`${p}input_layernorm.weight`, [D], 0.1, 1], [`${p}post_attention_layernorm.weight`, [D], 0.1, 1]);
      for (const [proj, n] of [
        ['q_proj', 16],
        ['k_proj', 8],
        ['v_proj', 8],
      ] as const) {
        out.push([`${p}self_attn.${proj}.weight`, [n, D], 0.4]);
        if (bias) out.push([`${p}self_attn.${proj}.bias`, [n], 0.1]);
      }
      out.push([`${p}self_attn.o_proj.weight`, [D, 16], 0.3]);
      out.push([`${p}mlp.gate_proj.weight`, [32, D], 0.3], [`${p}mlp.up_proj.weight`, [32, D], 0.3]);
      out.push([`${p}mlp.down_proj.weight`, [D, 32], 0.3]);
    }
    out.push([`${m}norm.weight`, [D], 0.1, 1]);
  }
  if (o.kind === 'reward') out.push(['score.weight', [1, D], 0.5]);
  return out;
}

/** The folder's files by name. */
export function tinyDecoderFolder(o: TinyDecoderOptions): Map<string, Uint8Array> {
  const tok = tinyByteLevelTokenizer();
  const random = mulberry32(o.seed ?? 11);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const tensors: TensorToWrite[] = tensorList(o, tok.vocabSize).map(([name, shape, std, mean = 0]) => ({
    name,
    shape,
    dtype: 'F32',
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => mean + std * normal()),
  }));
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const tokenizerConfig = { eos_token: EOS, ...(o.noPad ? {} : { pad_token: PAD }), model_max_length: 64 };
  return new Map([
    ['config.json', json(config(o, tok.vocabSize, tok.eos, tok.pad))],
    ['tokenizer.json', json(tok.json)],
    ['tokenizer_config.json', json(tokenizerConfig)],
    ['model.safetensors', writeSafetensors(tensors)],
  ]);
}
