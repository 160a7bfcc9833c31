// A model folder in the Hub's layout made from a reference fixture (tests/fixtures/reference-*.json):
// its config.json, a WordPiece tokenizer.json over a vocabulary as large as the fixture's (special
// tokens at the fixture's ids: BERT's [PAD] [CLS] [SEP], or RoBERTa's <s> <pad> </s>), and its
// weights under HF's names, with the classifier (a *ForSequenceClassification checkpoint) or without
// it (the bare model, its classification head's dense layer left out too). The per-family tiny
// checkpoint writer: the weights are the PyTorch reference's, so what a folder scores can be checked
// against the reference's rewards. Works in Node and in the browser (files as bytes).
import { bertTokenizerJson, bertTokenizerOptions } from '../src/core/model/bert-tokenizer.ts';
import { writeSafetensors } from '../src/core/model/safetensors.ts';
import type { BertFixture } from './bert-reference-fixture.ts';

export interface FixtureFolderOptions {
  /** Keep the classifier (and RoBERTa/ELECTRA's classifier.dense, DistilBERT's pre_classifier, DeBERTa's pooler): a ready reward model. */
  withHead?: boolean;
  /** A pytorch_model.bin (bytes written by torch.save: tests/fixtures/pytorch-bin/) in place of model.safetensors. */
  pytorchBin?: Uint8Array;
  dtype?: 'F32' | 'F16' | 'BF16';
}

/** Tensors that are the classification head, not the base model (DeBERTa's pooler sits at the top too). */
export function isHeadTensor(name: string): boolean {
  return /^(classifier|pre_classifier|pooler)\./.test(name);
}

export function fixtureFolder(f: BertFixture, options: FixtureFolderOptions = {}): Map<string, Uint8Array> {
  const text = (s: string) => new TextEncoder().encode(s);
  const json = (value: unknown) => text(JSON.stringify(value, null, 2));
  const roberta = String(f.config.model_type).includes('roberta');
  const names = roberta
    ? { cls: '<s>', pad: '<pad>', sep: '</s>', unk: '<unk>', mask: '<mask>' }
    : { cls: '[CLS]', pad: '[PAD]', sep: '[SEP]', unk: '[UNK]', mask: '[MASK]' };
  const vocabSize = Number(f.config.vocab_size);
  const vocab = new Map<string, number>();
  vocab.set(names.pad, f.special.padTokenId);
  vocab.set(names.sep, f.special.sepTokenId);
  vocab.set(names.cls, roberta ? 0 : 1);
  const words = ['good', 'bad', 'answer', 'question', 'the', 'a', 'cat', 'dog', 'is', 'yes', 'no', 'what', 'two'];
  for (const token of [names.unk, names.mask, ...words, ...'abcdefghijklmnopqrstuvwxyz']) {
    if (vocab.size >= vocabSize) break;
    let id = 0;
    while ([...vocab.values()].includes(id)) id++;
    vocab.set(token, id);
  }
  const tokenizerConfig = { cls_token: names.cls, sep_token: names.sep, pad_token: names.pad, unk_token: names.unk };
  const options_ = { ...bertTokenizerOptions(tokenizerConfig), mask: vocab.has(names.mask) ? names.mask : names.unk };
  const architecture = String((f.config.architectures as string[])[0]).replace(/(Model|ForPreTraining)$/, '');
  const files = new Map<string, Uint8Array>([
    [
      'config.json',
      json(
        options.withHead
          ? { ...f.config, architectures: [`${architecture}ForSequenceClassification`], id2label: { 0: 'LABEL_0' } }
          : f.config,
      ),
    ],
    ['tokenizer.json', json(bertTokenizerJson(vocab, options_))],
    ['tokenizer_config.json', json(tokenizerConfig)],
  ]);
  if (options.pytorchBin) {
    files.set('pytorch_model.bin', options.pytorchBin);
    return files;
  }
  const tensors = f.weights
    .filter((w) => options.withHead || !isHeadTensor(w.name))
    .map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data), dtype: options.dtype ?? 'F32' }));
  files.set('model.safetensors', writeSafetensors(tensors, { format: 'pt' }));
  return files;
}
