// RoBERTa repositories without tokenizer.json ship vocab.json and merges.txt, the byte-level BPE of
// GPT-2. Transformers' RobertaTokenizerFast builds the tokenizer.json it would have from them
// (convert_slow_tokenizer.py, RobertaConverter); this does the same, so such a model tokenizes here
// as it does in Python: ByteLevel pre-tokenizer and decoder, BPE over the merges, and RoBERTa's
// post-processor ("<s> A </s></s> B </s>").
import { specialTokenText } from '../bert-tokenizer.ts';

/** vocab.json (token -> id) checked: an object of whole, non-negative ids. */
function readVocabJson(text: string): Record<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`vocab.json is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('vocab.json is not a JSON object');
  for (const [token, id] of Object.entries(value)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new Error(`vocab.json: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not a whole number`);
    }
  }
  return value as Record<string, number>;
}

/** merges.txt: "a b" a line, after an optional "#version" line; each line is checked to hold two tokens. */
function readMerges(text: string): string[] {
  const merges: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    if (line.split(' ').length !== 2)
      throw new Error(`merges.txt line ${i + 1} is not two tokens: ${JSON.stringify(line)}`);
    merges.push(line);
  });
  return merges;
}

export function byteLevelBpeTokenizerJson(files: Map<string, string>, config: Record<string, unknown>): object {
  const vocab = readVocabJson(files.get('vocab.json')!);
  const merges = readMerges(files.get('merges.txt')!);
  const named = (key: string, fallback: string) => specialTokenText(config[key]) ?? fallback;
  const [bos, eos, unk, pad, mask] = [
    named('cls_token', named('bos_token', '<s>')),
    named('sep_token', named('eos_token', '</s>')),
    named('unk_token', '<unk>'),
    named('pad_token', '<pad>'),
    named('mask_token', '<mask>'),
  ];
  const idOf = (token: string, role: string) => {
    const id = vocab[token];
    if (id === undefined) throw new Error(`vocab.json has no ${token} token (the ${role} token)`);
    return id;
  };
  const addPrefixSpace = config.add_prefix_space === true;
  const added = [...new Set([bos, pad, eos, unk, mask])]
    .filter((token) => vocab[token] !== undefined)
    .map((token) => ({
      id: vocab[token]!,
      content: token,
      single_word: false,
      // RoBERTa's <mask> takes the space before it, as RobertaTokenizer declares it.
      lstrip: token === mask,
      rstrip: false,
      normalized: false,
      special: true,
    }))
    .sort((a, b) => a.id - b.id);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [eos, idOf(eos, 'separator')],
      cls: [bos, idOf(bos, 'classification')],
      trim_offsets: true,
      add_prefix_space: addPrefixSpace,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
