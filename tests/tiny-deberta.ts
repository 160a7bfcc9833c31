// A tiny DeBERTa-v3 model folder in the Hub's layout, from a reference fixture
// (tests/fixtures/reference-deberta-*.json): the fixture's config.json and weights (fixture-folder.ts),
// with the tokenizer files DeBERTa-v3 repositories ship: a tokenizer.json in the shape transformers'
// DebertaV2Converter writes (SentencePiece Unigram, Metaspace "▁", the pair template
// "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1"), special tokens at DeBERTa's ids ([PAD] 0, [CLS] 1, [SEP] 2,
// [UNK] 3, [MASK] last), and tokenizer_config.json. Or, as older repositories have it, spm.model alone.
import type { BertFixture } from './bert-reference-fixture.ts';
import { fixtureFolder, type FixtureFolderOptions } from './fixture-folder.ts';

const SPECIALS = ['[PAD]', '[CLS]', '[SEP]', '[UNK]'];
const PIECES = ['▁good', '▁bad', '▁answer', '▁what', '▁is', '▁the', '▁a', '▁'];

/** A Unigram tokenizer.json as DeBERTa-v3's, with a vocabulary of `vocabSize` pieces. */
export function debertaTokenizerJson(vocabSize: number): object {
  const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
  const pieces = [...PIECES, ...letters].slice(0, vocabSize - SPECIALS.length - 1);
  const vocab: [string, number][] = [
    ...SPECIALS.map((t): [string, number] => [t, 0]),
    ...pieces.map((t, i): [string, number] => [t, t.length > 1 ? -2 - i / 10 : -8 - i / 10]),
    ['[MASK]', 0],
  ];
  const added = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...SPECIALS.map((t, i) => added(t, i)), added('[MASK]', vocab.length - 1)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Replace', pattern: { String: '``' }, content: '"' },
        { type: 'Replace', pattern: { String: "''" }, content: '"' },
        { type: 'NFKD' },
        { type: 'StripAccents' },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
      ],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0), sequence('B', 1), special('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [1], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [2], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
}

export interface DebertaFolderOptions extends FixtureFolderOptions {
  /** Ship spm.model (a few stand-in bytes) in place of tokenizer.json, as older repositories do. */
  spmOnly?: boolean;
}

export function tinyDebertaFolder(f: BertFixture, options: DebertaFolderOptions = {}): Map<string, Uint8Array> {
  const files = fixtureFolder(f, options);
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2));
  files.set(
    'tokenizer_config.json',
    json({
      tokenizer_class: 'DebertaV2Tokenizer',
      bos_token: '[CLS]',
      eos_token: '[SEP]',
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
      do_lower_case: false,
      split_by_punct: false,
      vocab_type: 'spm',
    }),
  );
  files.delete('tokenizer.json');
  if (options.spmOnly) files.set('spm.model', new Uint8Array([0x0a, 0x0b, 0x0a, 0x05, 0x3c, 0x70, 0x61, 0x64, 0x3e]));
  else files.set('tokenizer.json', json(debertaTokenizerJson(Number(f.config.vocab_size))));
  return files;
}
